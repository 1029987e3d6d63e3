package io.sluice.control.cli;

import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.sluice.control.QueueChange;
import io.sluice.control.QueuePage;
import io.sluice.control.QueueRecipient;
import io.sluice.control.QueueRow;
import io.sluice.control.SpoolControlMXBean;
import io.sluice.queue.MessageFilter;
import io.sluice.text.Json;

/**
 * {@code sluice queue [shape] | list [FILTER] | show ID [--body] | hold|release|requeue|delete ID...|FILTER}: the queue
 * message by message, as Postfix's {@code postqueue -j}, {@code postcat -q} and {@code postsuper} give it, over the
 * Spool MXBean. A FILTER is {@code --tenant --sender --recipient --route --older-than --state}; it is checked here before
 * any connection (a malformed duration is a usage error, exit 2), and the daemon checks every id before it changes
 * anything (an unknown one is refused by name, exit 1). {@code list} pages through the daemon ({@value #PAGE} rows a
 * call) and prints each page as it comes, so a large backlog is never one reply, and stops at {@code --limit}.
 */
final class QueueCommands
{
    static final int DEFAULT_LIMIT = 1000;
    static final int MAX_LIMIT = 1_000_000;
    static final int PAGE = 200;
    private static final List<String> FILTER_OPTIONS = List.of("tenant", "sender", "recipient", "route", "older-than",
        "state");
    private static final List<String> ACTIONS = List.of("hold", "release", "requeue", "delete");

    private QueueCommands()
    {
    }

    static String action(final Invocation invocation)
    {
        return invocation.operands().isEmpty() ? "shape" : invocation.operands().get(0);
    }

    private static List<String> ids(final Invocation invocation)
    {
        return invocation.operands().size() <= 1 ? List.of()
            : invocation.operands().subList(1, invocation.operands().size());
    }

    /** Usage errors before any connection. */
    static void check(final Invocation invocation) throws CommandException
    {
        final String action = action(invocation);
        final MessageFilter filter = filter(invocation);
        final boolean listing = "list".equals(action);
        if (!listing && (invocation.option("limit") != null || invocation.option("oldest") != null
            || invocation.option("newest") != null))
        {
            throw CommandException.usage("--limit, --oldest and --newest belong to queue list");
        }
        if (!"show".equals(action) && invocation.option("body") != null)
        {
            throw CommandException.usage("--body belongs to queue show");
        }
        if (!"delete".equals(action) && invocation.option("confirm") != null)
        {
            throw CommandException.usage("--confirm belongs to queue delete");
        }
        if (!listing && !ACTIONS.contains(action) && !filter.isEmpty())
        {
            throw CommandException.usage("queue " + action + " takes no filter options");
        }
        switch (action)
        {
            case "shape" -> invocation.expectAtMost(1);
            case "list" ->
            {
                invocation.expectAtMost(1);
                limit(invocation);
                if (invocation.option("oldest") != null && invocation.option("newest") != null)
                {
                    throw CommandException.usage("queue list: --oldest or --newest, not both");
                }
            }
            case "show" ->
            {
                invocation.operand(1, "a queue id, as sluice queue list shows it");
                invocation.expectAtMost(2);
            }
            default ->
            {
                if (!ACTIONS.contains(action))
                {
                    throw CommandException.usage("queue: expected shape, list, show, hold, release, requeue or delete, not "
                        + action);
                }
                if (ids(invocation).isEmpty() == filter.isEmpty())
                {
                    throw CommandException.usage("queue " + action + ": expected queue ids or filter options (--tenant,"
                        + " --sender, --recipient, --route, --older-than, --state), not " + (filter.isEmpty() ? "neither"
                        : "both"));
                }
            }
        }
    }

    /** @return the filter the options give; a usage error names the option whose value is wrong. */
    static MessageFilter filter(final Invocation invocation) throws CommandException
    {
        final Map<String, String> values = new LinkedHashMap<>();
        for (final String option : FILTER_OPTIONS)
        {
            if (invocation.option(option) != null)
            {
                values.put(option, invocation.option(option));
            }
        }
        try
        {
            return MessageFilter.of(values);
        }
        catch (final IllegalArgumentException ex)
        {
            throw CommandException.usage("--" + ex.getMessage());
        }
    }

    private static int limit(final Invocation invocation) throws CommandException
    {
        final String text = invocation.option("limit");
        if (text == null)
        {
            return DEFAULT_LIMIT;
        }
        try
        {
            final int limit = Integer.parseInt(text.trim());
            if (limit >= 1 && limit <= MAX_LIMIT)
            {
                return limit;
            }
        }
        catch (final NumberFormatException ex)
        {
            // reported below
        }
        throw CommandException.usage("--limit expects a count from 1 to " + MAX_LIMIT + ", got: " + text);
    }

    /** @return true for {@code queue list}, which prints as it pages instead of returning one report. */
    static boolean streams(final Invocation invocation)
    {
        return "queue".equals(invocation.command()) && "list".equals(action(invocation));
    }

    /** {@code queue list}: pages through the daemon and prints each row as it comes; one JSON document with --json. */
    static void list(final Invocation invocation, final DaemonClient daemon, final PrintStream out) throws CommandException
    {
        final SpoolControlMXBean spool = daemon.spool();
        final MessageFilter filter = filter(invocation);
        final int limit = limit(invocation);
        final boolean newestFirst = invocation.option("newest") != null;
        final String filterText = filter.toString();
        final boolean json = invocation.json();
        if (json)
        {
            out.print("{\"filter\":" + Json.compact(filterText) + ",\"order\":\"" + (newestFirst ? "newest" : "oldest")
                + "\",\"messages\":[");
        }
        int shown = 0;
        boolean more = false;
        String after = "";
        do
        {
            // One row more than the limit needs: it tells "there is more" from "that was all".
            final int want = Math.min(PAGE, limit + 1 - shown);
            final String from = after;
            final QueuePage page = daemon.call(() -> spool.listQueue(filterText, from, want, newestFirst));
            for (final QueueRow row : page.getRows())
            {
                if (shown == limit)
                {
                    more = true;
                    break;
                }
                if (json)
                {
                    out.print((shown == 0 ? "" : ",") + Json.compact(rowJson(row)));
                }
                else
                {
                    out.println(line(row));
                }
                shown++;
            }
            after = page.getNext();
        }
        while (!more && !after.isEmpty());
        final String what = filter.isEmpty() ? "" : " matching " + filterText;
        if (json)
        {
            out.println("],\"shown\":" + shown + ",\"truncated\":" + more + "}");
        }
        else if (more)
        {
            out.println("showing the first " + shown + " messages" + what + " (" + (newestFirst ? "newest" : "oldest")
                + " first); more match: raise --limit or narrow the filter");
        }
        else
        {
            out.println(shown + " messages" + what);
        }
    }

    private static String line(final QueueRow row)
    {
        final List<String> open = new ArrayList<>();
        for (final QueueRecipient recipient : row.getRecipients())
        {
            if (isOpen(recipient))
            {
                open.add(recipient.getAddress());
            }
        }
        return String.format("%s  %-8s %8s %10s  tenant %s  %s/%s  from <%s>  to <%s>%s", row.getQueueId(), row.getState(),
            Reports.age(row.getAgeSeconds()), Reports.bytes(row.getSizeBytes()), row.getTenant(), row.getRoute(),
            row.getLane(), row.getSender(), String.join(">, <", open),
            row.getHoldReason().isEmpty() ? "" : "  (" + row.getHoldReason() + ")");
    }

    private static boolean isOpen(final QueueRecipient recipient)
    {
        return switch (recipient.getStatus())
        {
            case "delivered", "failed", "suppressed", "purged" -> false;
            default -> true;
        };
    }

    private static Map<String, Object> rowJson(final QueueRow row)
    {
        final Map<String, Object> json = new LinkedHashMap<>();
        json.put("queueId", row.getQueueId());
        json.put("state", row.getState());
        json.put("tenant", row.getTenant());
        json.put("lane", row.getLane());
        json.put("route", row.getRoute());
        json.put("client", row.getSource());
        json.put("from", row.getSender());
        json.put("sizeBytes", row.getSizeBytes());
        json.put("received", Instant.ofEpochMilli(row.getReceivedAtMillis()).toString());
        json.put("ageSeconds", row.getAgeSeconds());
        json.put("holdReason", row.getHoldReason());
        final List<Object> recipients = new ArrayList<>();
        for (final QueueRecipient recipient : row.getRecipients())
        {
            final Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("address", recipient.getAddress());
            entry.put("status", recipient.getStatus());
            entry.put("attempts", recipient.getAttempts());
            entry.put("nextAttempt", recipient.getNextAttemptMillis() == 0 ? null
                : Instant.ofEpochMilli(recipient.getNextAttemptMillis()).toString());
            entry.put("detail", recipient.getDetail());
            recipients.add(entry);
        }
        json.put("recipients", recipients);
        return json;
    }

    /** {@code queue show} and the actions. */
    static Reports.Report run(final Invocation invocation, final DaemonClient daemon) throws CommandException
    {
        final SpoolControlMXBean spool = daemon.spool();
        final String action = action(invocation);
        if ("show".equals(action))
        {
            return show(invocation, daemon, spool);
        }
        final String[] ids = ids(invocation).toArray(String[]::new);
        final String filter = filter(invocation).toString();
        final QueueChange change = switch (action)
        {
            case "hold" -> daemon.call(() -> spool.holdQueued(ids, filter));
            case "release" -> daemon.call(() -> spool.releaseQueued(ids, filter));
            case "requeue" -> daemon.call(() -> spool.requeueQueued(ids, filter));
            default -> daemon.call(() -> spool.deleteQueued(ids, filter, invocation.option("confirm") != null));
        };
        final List<String> text = new ArrayList<>();
        final String[] done = change.getQueueIds();
        text.add(change.getAction() + " " + done.length + (done.length == 1 ? " message" : " messages")
            + ("deleted".equals(change.getAction()) ? " (PURGED, no DSN)" : "") + ": " + String.join(" ", done));
        if (!change.getNote().isEmpty())
        {
            text.add(change.getNote());
        }
        final Map<String, Object> json = new LinkedHashMap<>();
        json.put("action", change.getAction());
        json.put("count", done.length);
        json.put("queueIds", List.of(done));
        json.put("note", change.getNote());
        return new Reports.Report(text, json);
    }

    private static Reports.Report show(final Invocation invocation, final DaemonClient daemon,
        final SpoolControlMXBean spool) throws CommandException
    {
        final String id = invocation.operands().get(1);
        final QueueRow row = daemon.call(() -> spool.showQueued(id));
        final Map<String, Object> json = rowJson(row);
        final List<String> text = new ArrayList<>();
        text.add("queue id     " + row.getQueueId());
        text.add("state        " + row.getState() + (row.getHoldReason().isEmpty() ? "" : " (" + row.getHoldReason() + ")"));
        text.add("received     " + Instant.ofEpochMilli(row.getReceivedAtMillis()) + ", " + Reports.age(row.getAgeSeconds())
            + " ago");
        text.add("size         " + Reports.bytes(row.getSizeBytes()));
        text.add("tenant       " + row.getTenant());
        text.add("lane         " + row.getLane());
        text.add("route        " + row.getRoute());
        text.add("client       " + row.getSource());
        text.add("from         <" + row.getSender() + ">");
        for (final QueueRecipient recipient : row.getRecipients())
        {
            text.add("to           <" + recipient.getAddress() + ">  " + recipient.getStatus() + ", " + recipient.getAttempts()
                + " attempts" + (recipient.getNextAttemptMillis() == 0 ? ""
                : ", next " + Instant.ofEpochMilli(recipient.getNextAttemptMillis()))
                + (recipient.getDetail().isEmpty() ? "" : ": " + recipient.getDetail()));
        }
        if (invocation.option("body") != null)
        {
            final String body = daemon.call(() -> spool.readQueuedContent(id));
            json.put("body", body);
            text.add("");
            text.addAll(List.of(body.split("\r?\n", -1)));
        }
        return new Reports.Report(text, json);
    }
}
