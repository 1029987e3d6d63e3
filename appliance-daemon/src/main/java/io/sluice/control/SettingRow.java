package io.sluice.control;

import javax.management.ConstructorParameters;

/** One setting as the daemon runs with it: key, effective value and the layer it came from. A row of {@code sluice config}. */
public final class SettingRow
{
    private final String key;
    private final String value;
    private final String source;

    /** @param source {@code default}, {@code file}, {@code --set} or {@code live} (control.properties). */
    @ConstructorParameters({"key", "value", "source"})
    public SettingRow(final String key, final String value, final String source)
    {
        this.key = key;
        this.value = value;
        this.source = source;
    }

    /**
     * A row as the console shows it: a password's value (a key ending in {@code Password}, such as a route's
     * {@code trustStorePassword}) is hidden, since the monitor role reads this table; a password file's path is shown.
     */
    public static SettingRow shown(final String key, final String value, final String source)
    {
        return new SettingRow(key, shownValue(key, value), source);
    }

    /** @return the value as it may be printed anywhere (a console, a log, the journal): a password's is hidden. */
    public static String shownValue(final String key, final String value)
    {
        return key.endsWith("Password") && !value.isEmpty() ? "(hidden)" : value;
    }

    public String getKey()
    {
        return key;
    }

    public String getValue()
    {
        return value;
    }

    public String getSource()
    {
        return source;
    }
}
