package io.sluice.control.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.sluice.control.ConfigControlMXBean;
import io.sluice.control.SettingRow;

/**
 * {@code sluice config [forget KEY]}: every setting with its effective value and its layer (default, file, --set,
 * live), over the Config MXBean; {@code forget} drops a live change kept in control.properties, so the file that
 * configuration management writes applies again from the next restart. The daemon refuses (exit 1) an unknown key or
 * one without a live change, changing nothing.
 */
final class ConfigCommands
{
    private ConfigCommands()
    {
    }

    /** Usage errors before any connection. */
    static void check(final Invocation invocation) throws CommandException
    {
        if (invocation.operands().isEmpty())
        {
            return;
        }
        final String action = invocation.operands().get(0);
        if (!action.equals("forget"))
        {
            throw CommandException.usage("config: expected no argument or forget KEY, not " + action);
        }
        invocation.operand(1, "the key of the live change to drop, e.g. config forget drain.routes");
        invocation.expectAtMost(2);
    }

    static Reports.Report run(final Invocation invocation, final DaemonClient daemon) throws CommandException
    {
        final ConfigControlMXBean config = daemon.config();
        if (invocation.operands().isEmpty())
        {
            return list(daemon.call(config::getSettings));
        }
        final String key = invocation.operands().get(1);
        final String answer = daemon.call(() -> config.forget(key));
        final Map<String, Object> json = new LinkedHashMap<>();
        json.put("forgotten", key);
        json.put("appliesAt", "next restart");
        return new Reports.Report(List.of(answer), json);
    }

    private static Reports.Report list(final SettingRow[] rows)
    {
        int width = 0;
        for (final SettingRow row : rows)
        {
            width = Math.max(width, row.getKey().length());
        }
        final List<String> text = new ArrayList<>();
        final List<Object> settings = new ArrayList<>();
        for (final SettingRow row : rows)
        {
            text.add(String.format("%-" + width + "s  %-7s  %s", row.getKey(), row.getSource(), row.getValue()));
            final Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("key", row.getKey());
            entry.put("value", row.getValue());
            entry.put("source", row.getSource());
            settings.add(entry);
        }
        final Map<String, Object> json = new LinkedHashMap<>();
        json.put("settings", settings);
        return new Reports.Report(text, json);
    }
}
