package io.sluice.control.cli;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.sluice.control.QuarantineRow;
import io.sluice.control.SpoolControlMXBean;

/**
 * {@code sluice quarantine [list] | release ID...|--all | delete ID... --confirm}: the mail kept home instead of
 * forwarded, and the operator's release (back to the drain, in its own lane) or delete (PURGED), over the Spool MXBean.
 * The daemon checks every id before it changes anything: an unknown one is refused (exit 1) with its name.
 */
final class QuarantineCommands
{
    private QuarantineCommands()
    {
    }

    /** Usage errors before any connection. */
    static void check(final Invocation invocation) throws CommandException
    {
        final String action = action(invocation);
        final List<String> ids = invocation.operands().isEmpty() ? List.of()
            : invocation.operands().subList(1, invocation.operands().size());
        final boolean all = invocation.option("all") != null;
        switch (action)
        {
            case "list" ->
            {
                invocation.expectAtMost(1);
                if (all || invocation.option("confirm") != null)
                {
                    throw CommandException.usage("quarantine list takes no --all or --confirm");
                }
            }
            case "release" ->
            {
                if (all == !ids.isEmpty())
                {
                    throw CommandException.usage("quarantine release: expected queue ids or --all, not "
                        + (all ? "both" : "neither"));
                }
                if (invocation.option("confirm") != null)
                {
                    throw CommandException.usage("quarantine release takes no --confirm");
                }
            }
            case "delete" ->
            {
                if (ids.isEmpty() || all)
                {
                    throw CommandException.usage("quarantine delete: expected queue ids (no --all: delete names each one)");
                }
                if (invocation.option("confirm") == null)
                {
                    throw CommandException.usage("quarantine delete removes " + ids.size()
                        + " messages for good: confirm with --confirm");
                }
            }
            default -> throw CommandException.usage("quarantine: expected list, release or delete, not " + action);
        }
    }

    private static String action(final Invocation invocation)
    {
        return invocation.operands().isEmpty() ? "list" : invocation.operands().get(0);
    }

    static Reports.Report run(final Invocation invocation, final DaemonClient daemon) throws CommandException
    {
        final SpoolControlMXBean spool = daemon.spool();
        final List<String> operands = invocation.operands();
        final String[] ids = operands.size() <= 1 ? new String[0] : operands.subList(1, operands.size()).toArray(String[]::new);
        final Map<String, Object> json = new LinkedHashMap<>();
        switch (action(invocation))
        {
            case "release" ->
            {
                final int released = invocation.option("all") != null ? daemon.call(spool::releaseAllQuarantined)
                    : daemon.call(() -> spool.releaseQuarantined(ids));
                json.put("released", released);
                return new Reports.Report(List.of("released " + released + " quarantined messages to the drain"), json);
            }
            case "delete" ->
            {
                final int deleted = daemon.call(() -> spool.deleteQuarantined(ids, true));
                json.put("deleted", deleted);
                return new Reports.Report(List.of("deleted " + deleted + " quarantined messages (PURGED)"), json);
            }
            default ->
            {
                return list(daemon.call(spool::getQuarantine));
            }
        }
    }

    private static Reports.Report list(final QuarantineRow[] rows)
    {
        final List<String> text = new ArrayList<>();
        final List<Object> messages = new ArrayList<>();
        text.add(rows.length + " quarantined messages" + (rows.length == 0 ? ""
            : "; sluice quarantine release ID...|--all sends them, delete ID... --confirm removes them"));
        for (final QuarantineRow row : rows)
        {
            text.add(String.format("%s  received %s  expires %s  client %s  from <%s>  to <%s>", row.getQueueId(),
                Instant.ofEpochMilli(row.getReceivedAtMillis()), Instant.ofEpochMilli(row.getExpiresAtMillis()),
                row.getSource(), row.getSender(), row.getRecipients()));
            text.add("    " + row.getReason());
            final Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("queueId", row.getQueueId());
            entry.put("client", row.getSource());
            entry.put("from", row.getSender());
            entry.put("to", row.getRecipients());
            entry.put("reason", row.getReason());
            entry.put("received", Instant.ofEpochMilli(row.getReceivedAtMillis()).toString());
            entry.put("expires", Instant.ofEpochMilli(row.getExpiresAtMillis()).toString());
            messages.add(entry);
        }
        final Map<String, Object> json = new LinkedHashMap<>();
        json.put("quarantined", rows.length);
        json.put("messages", messages);
        return new Reports.Report(text, json);
    }
}
