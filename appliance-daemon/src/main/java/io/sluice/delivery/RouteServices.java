package io.sluice.delivery;

import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.channel.EventLoopGroup;
import io.sluice.drain.DrainAgent;
import io.sluice.drain.Dispatch;
import io.sluice.spool.Spool;

/**
 * What every route shares: settings, the spool (content in, outcomes out), the drain (dispatches handed back), the
 * outcome recorder, counters, the blocking-I/O executor and the event loops.
 *
 * @param context  delivery settings
 * @param heloName the name given in EHLO/HELO
 * @param spool    the spool messages are read from
 * @param agent    the drain, for dispatches handed back unattempted
 * @param recorder journals outcomes
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
    DrainAgent agent,
    OutcomeRecorder recorder,
    DeliveryCounters counters,
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

    /** Hands a dispatch back to the drain unattempted: its tokens are refunded and it is scheduled again. */
    void giveBack(final Dispatch dispatch)
    {
        counters.increment(DeliveryCounter.DISPATCHES_RETURNED);
        agent.returnUndelivered(dispatch);
    }
}
