package io.sluice.text;

import java.util.Collection;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a value as one JSON document (RFC 8259): maps (keys as strings, in the map's iteration order), collections
 * and {@code double[]} as arrays, strings, numbers, booleans and null; any other object is written as the string of
 * its {@code toString()}. Strings are escaped per RFC 8259 section 7: quotation mark, reverse solidus and every control
 * character below U+0020 (newline, return and tab by their short forms, the others as a {@code u00XX} escape).
 *
 * <p>Two layouts, each with the number form its readers have always seen:
 * <ul>
 *   <li>{@link #compact} for scripts ({@code sluice --json}): no whitespace; a {@code double} in Java's shortest form
 *   that reads back exactly ({@link Double#toString}).</li>
 *   <li>{@link #indented} for reports people also read (the flood harness): two spaces per level, arrays of plain
 *   values on one line, a final newline; a {@code double} as {@link #decimal}.</li>
 * </ul>
 * NaN and the infinities, which JSON cannot carry, are written as {@code null} in both. A {@link Fixed} number is
 * written with exactly its number of decimals, in either layout, for output whose form scripts already parse.
 */
public final class Json
{
    private static final String INDENT = "  ";

    private final boolean indent;

    private Json(final boolean indent)
    {
        this.indent = indent;
    }

    /** The value as compact JSON, with no whitespace. */
    public static String compact(final Object value)
    {
        final StringBuilder out = new StringBuilder();
        new Json(false).append(out, value, 0);
        return out.toString();
    }

    /** The value as indented JSON, two spaces a level, ending with a newline. */
    public static String indented(final Object value)
    {
        final StringBuilder out = new StringBuilder();
        new Json(true).append(out, value, 0);
        return out.append('\n').toString();
    }

    /**
     * A number as the indented layout writes it: a whole number (below 10^15) without decimals, any other with three;
     * {@code null} for NaN and the infinities.
     */
    public static String decimal(final double value)
    {
        if (!Double.isFinite(value))
        {
            return "null";
        }
        if (value == Math.rint(value) && Math.abs(value) < 1e15)
        {
            return Long.toString((long)value);
        }
        return String.format(Locale.ROOT, "%.3f", value);
    }

    /** A number to be written with exactly {@code decimals} decimals. */
    public static Fixed fixed(final double value, final int decimals)
    {
        return new Fixed(value, decimals);
    }

    /**
     * A number written with a fixed number of decimals ({@code null} if not finite).
     *
     * @param value    the number
     * @param decimals how many decimals to write, 0 or more
     */
    public record Fixed(double value, int decimals)
    {
        public Fixed
        {
            if (decimals < 0)
            {
                throw new IllegalArgumentException("decimals must be 0 or more, not " + decimals);
            }
        }

        @Override
        public String toString()
        {
            return Double.isFinite(value) ? String.format(Locale.ROOT, "%." + decimals + "f", value) : "null";
        }
    }

    private void append(final StringBuilder out, final Object value, final int depth)
    {
        if (value == null)
        {
            out.append("null");
        }
        else if (value instanceof Map<?, ?> map)
        {
            object(out, map, depth);
        }
        else if (value instanceof Collection<?> list)
        {
            array(out, list, depth);
        }
        else if (value instanceof double[] numbers)
        {
            out.append('[');
            for (int i = 0; i < numbers.length; i++)
            {
                if (i > 0)
                {
                    out.append(',');
                }
                out.append(number(numbers[i]));
            }
            out.append(']');
        }
        else if (value instanceof Double || value instanceof Float)
        {
            out.append(number(((Number)value).doubleValue()));
        }
        else if (value instanceof Number || value instanceof Boolean || value instanceof Fixed)
        {
            out.append(value);
        }
        else
        {
            string(out, value.toString());
        }
    }

    private String number(final double value)
    {
        if (indent)
        {
            return decimal(value);
        }
        return Double.isFinite(value) ? Double.toString(value) : "null";
    }

    private void object(final StringBuilder out, final Map<?, ?> map, final int depth)
    {
        if (map.isEmpty())
        {
            out.append("{}");
            return;
        }
        out.append('{');
        int i = 0;
        for (final Map.Entry<?, ?> entry : map.entrySet())
        {
            out.append(i++ == 0 ? "" : ",");
            newline(out, depth + 1);
            string(out, String.valueOf(entry.getKey()));
            out.append(indent ? ": " : ":");
            append(out, entry.getValue(), depth + 1);
        }
        newline(out, depth);
        out.append('}');
    }

    private void array(final StringBuilder out, final Collection<?> list, final int depth)
    {
        // People read a list of plain values best on one line; only nested objects and arrays get a line each.
        final boolean flat = !indent || list.stream().noneMatch(item -> item instanceof Map || item instanceof Collection);
        out.append('[');
        int i = 0;
        for (final Object item : list)
        {
            if (i++ > 0)
            {
                out.append(indent && flat ? ", " : ",");
            }
            if (!flat)
            {
                newline(out, depth + 1);
            }
            append(out, item, flat ? depth : depth + 1);
        }
        if (!flat && !list.isEmpty())
        {
            newline(out, depth);
        }
        out.append(']');
    }

    private void newline(final StringBuilder out, final int depth)
    {
        if (indent)
        {
            out.append('\n').append(INDENT.repeat(depth));
        }
    }

    private static void string(final StringBuilder out, final String text)
    {
        out.append('"');
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            switch (c)
            {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default ->
                {
                    if (c < 0x20)
                    {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int)c));
                    }
                    else
                    {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
