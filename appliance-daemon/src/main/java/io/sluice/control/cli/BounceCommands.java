package io.sluice.control.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.sluice.control.BouncesControlMXBean;

/**
 * {@code sluice dsns [release [N]]}: the DSNs deferred over the bounce budget, waiting in the spool, and the operator's
 * release of them (oldest first, whatever the budget), over the Bounces MXBean.
 */
final class BounceCommands
{
    private BounceCommands()
    {
    }

    /** Usage errors before any connection. */
    static void check(final Invocation invocation) throws CommandException
    {
        invocation.expectAtMost(2);
        if (invocation.operands().isEmpty())
        {
            return;
        }
        if (!"release".equals(invocation.operands().get(0)))
        {
            throw CommandException.usage("dsns: expected nothing or release [N], not " + invocation.operands().get(0));
        }
        count(invocation);
    }

    private static int count(final Invocation invocation) throws CommandException
    {
        if (invocation.operands().size() < 2)
        {
            return Integer.MAX_VALUE;
        }
        final String text = invocation.operands().get(1);
        try
        {
            final int count = Integer.parseInt(text);
            if (count >= 1)
            {
                return count;
            }
        }
        catch (final NumberFormatException ex)
        {
            // Reported below.
        }
        throw CommandException.usage("dsns release: expected how many DSNs, at least 1, not " + text);
    }

    static Reports.Report run(final Invocation invocation, final DaemonClient daemon) throws CommandException
    {
        final BouncesControlMXBean bounces = daemon.bounces();
        final Map<String, Object> json = new LinkedHashMap<>();
        if (invocation.operands().isEmpty())
        {
            final int waiting = daemon.call(bounces::getDeferredWaiting);
            final long deferred = daemon.call(bounces::getDeferred);
            final String budget = daemon.call(bounces::getBudget);
            json.put("waiting", waiting);
            json.put("deferred", deferred);
            json.put("budget", budget);
            return new Reports.Report(List.of(waiting + " deferred DSNs wait in the spool (" + deferred
                + " deferred since start); bounce budget: " + budget,
                waiting == 0 ? "nothing to release" : "sluice dsns release [N] sends them now, oldest first"), json);
        }
        final int count = count(invocation);
        final int released = daemon.call(() -> bounces.releaseDeferred(count));
        final int waiting = daemon.call(bounces::getDeferredWaiting);
        json.put("released", released);
        json.put("waiting", waiting);
        return new Reports.Report(List.of("released " + released + " deferred DSNs; " + waiting + " still wait"), json);
    }
}
