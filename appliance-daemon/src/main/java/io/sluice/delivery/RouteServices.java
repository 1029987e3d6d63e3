package io.sluice.delivery;

import io.sluice.counters.EnumCounters;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.channel.EventLoopGroup;
import io.sluice.drain.Dispatch;
import io.sluice.outcome.DeliveryReports;
import io.sluice.spool.Spool;

/**
 * What every route shares: settings, the spool (content in), the outcome stage (replies and dispatches handed back
 * out), counters, the blocking-I/O executor and the event loops.
 *
 * @param context  delivery settings
 * @param heloName the name given in EHLO/HELO
 * @param spool    the spool messages are read from
 * @param reports  where replies go, and dispatches handed back unattempted
 * @param counters delivery counters
 * @param io       reads content from the spool, resolves host names, writes dir: files (blocking work)
 * @param loops    the SMTP client's Netty event loops
 * @param budget   the content all deliveries together may hold in memory
 * @param limits   each route's connection limit now: an operator may change it while the route runs
 */
record RouteServices(
    DeliveryContext context,
    String heloName,
    Spool spool,
    DeliveryReports reports,
    EnumCounters<DeliveryCounter> counters,
    ExecutorService io,
    EventLoopGroup loops,
    ContentBudget budget,
    Map<String, AtomicInteger> limits)
{
    /** @return the route's connection limit in force now. */
    int maxConnections(final String route)
    {
        return limits.get(route).get();
    }

    /** Hands a dispatch back unattempted: the drain refunds its tokens and schedules it again. */
    void giveBack(final Dispatch dispatch)
    {
        counters.increment(DeliveryCounter.DISPATCHES_RETURNED);
        reports.returnUndelivered(dispatch);
    }
}
