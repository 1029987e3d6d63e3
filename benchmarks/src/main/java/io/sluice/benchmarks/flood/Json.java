package io.sluice.benchmarks.flood;

import java.util.Collection;
import java.util.Locale;
import java.util.Map;

/** Writes maps, lists, strings, numbers and booleans as indented JSON: the report needs no more. */
final class Json
{
    private Json()
    {
    }

    static String write(final Object value)
    {
        final StringBuilder out = new StringBuilder();
        write(out, value, 0);
        return out.append('\n').toString();
    }

    private static void write(final StringBuilder out, final Object value, final int depth)
    {
        if (value == null)
        {
            out.append("null");
        }
        else if (value instanceof Map<?, ?> map)
        {
            writeMap(out, map, depth);
        }
        else if (value instanceof Collection<?> list)
        {
            writeList(out, list, depth);
        }
        else if (value instanceof double[] numbers)
        {
            out.append('[');
            for (int i = 0; i < numbers.length; i++)
            {
                out.append(i == 0 ? "" : ",").append(number(numbers[i]));
            }
            out.append(']');
        }
        else if (value instanceof Double || value instanceof Float)
        {
            out.append(number(((Number)value).doubleValue()));
        }
        else if (value instanceof Number || value instanceof Boolean)
        {
            out.append(value);
        }
        else
        {
            string(out, value.toString());
        }
    }

    private static void writeMap(final StringBuilder out, final Map<?, ?> map, final int depth)
    {
        if (map.isEmpty())
        {
            out.append("{}");
            return;
        }
        out.append("{\n");
        int i = 0;
        for (final Map.Entry<?, ?> entry : map.entrySet())
        {
            indent(out, depth + 1);
            string(out, String.valueOf(entry.getKey()));
            out.append(": ");
            write(out, entry.getValue(), depth + 1);
            out.append(++i < map.size() ? ",\n" : "\n");
        }
        indent(out, depth);
        out.append('}');
    }

    private static void writeList(final StringBuilder out, final Collection<?> list, final int depth)
    {
        final boolean flat = list.stream().noneMatch(item -> item instanceof Map || item instanceof Collection);
        if (flat)
        {
            out.append('[');
            int i = 0;
            for (final Object item : list)
            {
                out.append(i++ == 0 ? "" : ", ");
                write(out, item, depth);
            }
            out.append(']');
            return;
        }
        out.append("[\n");
        int i = 0;
        for (final Object item : list)
        {
            indent(out, depth + 1);
            write(out, item, depth + 1);
            out.append(++i < list.size() ? ",\n" : "\n");
        }
        indent(out, depth);
        out.append(']');
    }

    static String number(final double value)
    {
        if (Double.isNaN(value) || Double.isInfinite(value))
        {
            return "null";
        }
        if (value == Math.rint(value) && Math.abs(value) < 1e15)
        {
            return Long.toString((long)value);
        }
        return String.format(Locale.ROOT, "%.3f", value);
    }

    private static void indent(final StringBuilder out, final int depth)
    {
        out.append("  ".repeat(depth));
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
