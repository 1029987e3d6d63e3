package io.sluice.control;

import java.util.List;

/**
 * {@code sluice config} over JMX: the settings read at start with their layers, and {@code forget}, which drops a live
 * change kept in {@link ControlState#FILE_NAME} so configuration management's file wins again. The running value does
 * not change: no stage re-reads its setting, so the file's value applies from the next restart, as the answer says.
 */
public final class ConfigControl implements ConfigControlMXBean
{
    private final List<SettingRow> rows;
    private final ControlState state;

    public ConfigControl(final List<SettingRow> rows, final ControlState state)
    {
        this.rows = List.copyOf(rows);
        this.state = state;
    }

    @Override
    public SettingRow[] getSettings()
    {
        return rows.toArray(SettingRow[]::new);
    }

    @Override
    public String forget(final String key)
    {
        final boolean known = rows.stream().anyMatch(row -> row.getKey().equals(key));
        final String old = state.forget(key);
        if (old == null)
        {
            throw new IllegalArgumentException(known ? key + " has no live change in " + ControlState.FILE_NAME
                + "; nothing to forget" : "unknown setting " + key + " (sluice config lists the keys)");
        }
        return "forgot the live change " + key + "=" + old + "; the configuration file's value or the default applies"
            + " at the next restart";
    }
}
