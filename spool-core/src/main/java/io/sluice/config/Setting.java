package io.sluice.config;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One configuration key declared once: its type, default, allowed range, unit and the line the configuration
 * reference shows for it. A context keeps only the values; reading a properties file ({@link #parse(String)}) and
 * checking a value set in code ({@link #validate(Object)}) both go through here, so every bad value is refused in the
 * same words: {@code key=value: expected ...}.
 *
 * <p>Modelled on Aeron's {@code Configuration} (a property name, its default and a reader side by side), as values
 * rather than static methods, so the reference and the daemon's list of known keys can be built from the same list.
 *
 * @param <T> the value's type.
 */
public final class Setting<T>
{
    /** What a value is counted in; the reference shows large defaults in readable units. */
    public enum Unit
    {
        NONE, MILLISECONDS, BYTES
    }

    private static final String TEXT = "a text";
    private static final String PATH = "a file system path";

    private final String key;
    private final T defaultValue;
    private final Function<String, T> parser;
    private final String typeExpected;
    private final Predicate<T> allowed;
    private final String rangeText;
    private final String crossRule;
    private final Unit unit;
    private final String description;
    private final String derivedFrom;

    private Setting(final Builder<T> builder)
    {
        this.key = builder.key;
        this.defaultValue = builder.defaultValue;
        this.parser = builder.parser;
        this.typeExpected = builder.typeExpected;
        this.allowed = builder.allowed;
        this.rangeText = builder.rangeText;
        this.crossRule = builder.crossRule;
        this.unit = builder.unit != null ? builder.unit : unitOf(builder.key);
        this.description = Objects.requireNonNull(builder.description, () -> builder.key + " has no description");
        this.derivedFrom = builder.derivedFrom;
    }

    public static Builder<Long> ofLong(final String key, final long defaultValue)
    {
        return new Builder<>(key, defaultValue, text -> Long.parseLong(text.replace("_", "")), "a whole number");
    }

    public static Builder<Integer> ofInt(final String key, final int defaultValue)
    {
        return new Builder<>(key, defaultValue, text -> Integer.parseInt(text.replace("_", "")), "a whole number within 32 bits");
    }

    public static Builder<Double> ofDouble(final String key, final double defaultValue)
    {
        return new Builder<>(key, defaultValue, Double::parseDouble, "a decimal number");
    }

    public static Builder<Boolean> ofBoolean(final String key, final boolean defaultValue)
    {
        return new Builder<>(key, defaultValue, Setting::parseBoolean, "true or false");
    }

    /** A text setting; the value is taken trimmed, and the empty text is a value (often "derived from ..."). */
    public static Builder<String> ofString(final String key, final String defaultValue)
    {
        return new Builder<>(key, defaultValue, Function.identity(), TEXT);
    }

    public static Builder<Path> ofPath(final String key, final String defaultValue)
    {
        return new Builder<>(key, Path.of(defaultValue), Path::of, PATH);
    }

    /** An enum setting; names are accepted in any case. */
    public static <E extends Enum<E>> Builder<E> ofEnum(final String key, final Class<E> type, final E defaultValue)
    {
        return ofEnum(key, type, defaultValue, "one of " + Arrays.toString(type.getEnumConstants()));
    }

    /** An enum setting, with its own words for the names it takes ("accept or tempfail"). */
    public static <E extends Enum<E>> Builder<E> ofEnum(
        final String key, final Class<E> type, final E defaultValue, final String expected)
    {
        final E[] constants = type.getEnumConstants();
        return new Builder<E>(key, defaultValue, text -> parseEnum(constants, text), expected).check(Objects::nonNull, expected);
    }

    /**
     * Reads a value as written in a properties file and checks it.
     *
     * @param text the value, or null when missing.
     * @return the value.
     * @throws InvalidSettingException naming the key and the text when it is not of the type or out of range.
     */
    public T parse(final String text)
    {
        if (text == null)
        {
            throw new InvalidSettingException(key, null, "expected " + typeExpected);
        }
        final T value;
        try
        {
            value = parser.apply(text.trim());
        }
        catch (final RuntimeException ex)
        {
            final String range = rangeText.isEmpty() || rangeText.equals(typeExpected) ? "" : ", " + rangeText;
            throw new InvalidSettingException(key, text, "expected " + typeExpected + range);
        }
        return validate(value);
    }

    /**
     * @param value a value set in code or parsed.
     * @return the value, when it is within the declared range.
     * @throws InvalidSettingException naming the key and the value otherwise.
     */
    public T validate(final T value)
    {
        if (!allowed.test(value))
        {
            throw new InvalidSettingException(key, value, "expected " + rangeText);
        }
        return value;
    }

    /** @return a bad-value error for a check that needs other settings too, in the same words as every other. */
    public InvalidSettingException invalid(final Object value, final String expected)
    {
        return new InvalidSettingException(key, value, "expected " + expected);
    }

    public String key()
    {
        return key;
    }

    public T defaultValue()
    {
        return defaultValue;
    }

    /** @return the default as a properties file would write it. */
    public String defaultText()
    {
        return defaultValue == null ? "" : defaultValue.toString();
    }

    /** @return what a value must be ("1 to 65535", "a power of two ..."), or empty when any value of the type works. */
    public String range()
    {
        return rangeText;
    }

    /**
     * @return the whole rule for the reference: the range, and what the context checks against other settings; empty
     * for any value of the type.
     */
    public String allowed()
    {
        final boolean anyText = typeExpected.equals(TEXT) || typeExpected.equals(PATH);
        final String range = rangeText.isEmpty() && !anyText ? typeExpected : rangeText;
        if (crossRule == null)
        {
            return range;
        }
        return range.isEmpty() ? crossRule : range + "; " + crossRule;
    }

    public Unit unit()
    {
        return unit;
    }

    /** @return one line for the configuration reference (Markdown). */
    public String description()
    {
        return description;
    }

    /** @return where the value comes from when left empty ("spool.directory/admission.state"), or null. */
    public String derivedFrom()
    {
        return derivedFrom;
    }

    @Override
    public String toString()
    {
        return key;
    }

    private static Unit unitOf(final String key)
    {
        if (key.endsWith("Ms"))
        {
            return Unit.MILLISECONDS;
        }
        return key.endsWith("Bytes") ? Unit.BYTES : Unit.NONE;
    }

    private static Boolean parseBoolean(final String text)
    {
        if ("true".equalsIgnoreCase(text) || "false".equalsIgnoreCase(text))
        {
            return Boolean.parseBoolean(text);
        }
        throw new IllegalArgumentException(text);
    }

    private static <E extends Enum<E>> E parseEnum(final E[] constants, final String text)
    {
        final String upper = text.toUpperCase(Locale.ROOT);
        for (final E constant : constants)
        {
            if (constant.name().toUpperCase(Locale.ROOT).equals(upper))
            {
                return constant;
            }
        }
        throw new IllegalArgumentException(text);
    }

    /**
     * Declares a setting: the range checks compose, and the wording of what is expected follows from them.
     *
     * @param <T> the value's type.
     */
    public static final class Builder<T>
    {
        private final String key;
        private final T defaultValue;
        private final Function<String, T> parser;
        private final String typeExpected;
        private Predicate<T> allowed = value -> true;
        private String rangeText = "";
        private String crossRule;
        private Unit unit;
        private String description;
        private String derivedFrom;

        private Builder(final String key, final T defaultValue, final Function<String, T> parser, final String typeExpected)
        {
            this.key = Objects.requireNonNull(key);
            this.defaultValue = defaultValue;
            this.parser = parser;
            this.typeExpected = typeExpected;
        }

        /** Numbers from {@code min} to {@code max}, both included. */
        public Builder<T> range(final Number min, final Number max)
        {
            return check(value -> compare((Number)value, min) >= 0 && compare((Number)value, max) <= 0,
                format(min) + " to " + format(max));
        }

        /** Numbers of at least {@code min}. */
        public Builder<T> atLeast(final Number min)
        {
            return check(value -> compare((Number)value, min) >= 0, "at least " + format(min));
        }

        /** Numbers above zero: at least 1 for whole numbers, more than 0.0 (and not NaN) for decimals. */
        public Builder<T> positive()
        {
            return check(value -> compare((Number)value, 0) > 0, "a positive number");
        }

        /** No rule beyond the type, but a precise word on what a value looks like ("comma-separated CIDRs, or empty"). */
        public Builder<T> expecting(final String expected)
        {
            return check(value -> true, expected);
        }

        /** Any other rule on the value alone, with what a valid one looks like ("a power of two >= 2"). */
        public Builder<T> check(final Predicate<T> rule, final String expected)
        {
            final Predicate<T> before = allowed;
            allowed = value -> value != null && before.test(value) && rule.test(value);
            rangeText = rangeText.isEmpty() ? expected : rangeText + ", " + expected;
            return this;
        }

        /**
         * @param rule a bound that depends on other settings ("at most spool.writeQueueCapacity"), which the context
         *             checks in {@code conclude()}: here only so the reference states it.
         */
        public Builder<T> checkedWith(final String rule)
        {
            this.crossRule = rule;
            return this;
        }

        public Builder<T> unit(final Unit unit)
        {
            this.unit = unit;
            return this;
        }

        /** @param description one line for the configuration reference, in Markdown. */
        public Builder<T> doc(final String description)
        {
            this.description = description;
            return this;
        }

        /** @param derivedFrom what an empty value stands for, such as {@code <spool.directory>/admission.state}. */
        public Builder<T> derivedFrom(final String derivedFrom)
        {
            this.derivedFrom = derivedFrom;
            return this;
        }

        public Setting<T> build()
        {
            return new Setting<>(this);
        }

        /** A NaN is out of every range: it compares as below any bound. */
        private static int compare(final Number value, final Number bound)
        {
            if (value instanceof Double || value instanceof Float || bound instanceof Double || bound instanceof Float)
            {
                final double v = value.doubleValue();
                return Double.isNaN(v) ? Integer.MIN_VALUE : Double.compare(v, bound.doubleValue());
            }
            return Long.compare(value.longValue(), bound.longValue());
        }

        private static String format(final Number number)
        {
            final boolean decimal = number instanceof Double || number instanceof Float;
            return decimal ? Double.toString(number.doubleValue()) : number.toString();
        }
    }
}
