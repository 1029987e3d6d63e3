package io.sluice.config;

/**
 * A setting with a value that cannot work. The message always names the key, the value given and what
 * is expected, so an operator can fix the file without reading code.
 */
public final class InvalidSettingException extends IllegalArgumentException
{
    private static final long serialVersionUID = 1L;

    private final String key;
    private final String value;

    public InvalidSettingException(final String key, final Object value, final String expected)
    {
        super(key + "=" + value + ": " + expected);
        this.key = key;
        this.value = String.valueOf(value);
    }

    /** @return the setting's key, as written in the configuration file. */
    public String key()
    {
        return key;
    }

    /** @return the rejected value as given. */
    public String value()
    {
        return value;
    }
}
