package io.sluice.fleet;

import java.util.ArrayList;
import java.util.List;

import io.sluice.counters.EnumCounters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this node shares the fleet's limits now or runs on local ones, and how many nodes it last saw alive. Every
 * Redis call reports here: a failure (an error, a timeout) turns the node local with one ALERT line; the next success
 * (the liveness refresh keeps asking) brings it back with one line, and the listeners (shared holds) catch up.
 * Thread-safe.
 */
final class FleetHealth
{
    private static final Logger LOG = LoggerFactory.getLogger(FleetHealth.class);
    static final int FAILURES_TO_FALL_BACK = 2;

    private final EnumCounters<FleetCounter> counters;
    private final List<Runnable> onRejoin = new ArrayList<>();
    /** False until the first success: a node starts local, and becomes shared once Redis answers. */
    private boolean shared;
    private int liveNodes = 1;
    private String lastError = "";
    private int failuresInARow;

    FleetHealth(final EnumCounters<FleetCounter> counters)
    {
        this.counters = counters;
        counters.set(FleetCounter.LIVE_NODES, 1);
    }

    /** @param action run (on the reporting thread) each time the node becomes shared, the first time included. */
    synchronized void onRejoin(final Runnable action)
    {
        onRejoin.add(action);
    }

    boolean isShared()
    {
        return counters.get(FleetCounter.SHARED) == 1;
    }

    /** @return the live nodes last seen (at least 1: this one), the divisor of the fallback rates. */
    synchronized int liveNodes()
    {
        return liveNodes;
    }

    synchronized String lastError()
    {
        return lastError;
    }

    void liveNodes(final int seen)
    {
        synchronized (this)
        {
            liveNodes = Math.max(1, seen);
        }
        counters.set(FleetCounter.LIVE_NODES, Math.max(1, seen));
    }

    /** A Redis call answered. */
    void succeeded()
    {
        final List<Runnable> actions;
        synchronized (this)
        {
            failuresInARow = 0;
            if (shared)
            {
                return;
            }
            shared = true;
            counters.set(FleetCounter.SHARED, 1);
            actions = List.copyOf(onRejoin);
        }
        if (counters.get(FleetCounter.FALLBACKS) > 0)
        {
            counters.increment(FleetCounter.REJOINS);
            LOG.warn("fleet: Redis answers again; this node shares the fleet's limits again");
        }
        else
        {
            LOG.info("fleet: connected to Redis; sharing the fleet's limits");
        }
        actions.forEach(Runnable::run);
    }

    /**
     * A Redis call failed or timed out: after {@link #FAILURES_TO_FALL_BACK} in a row, the node runs on local limits
     * until the next success. One slow answer on a loaded machine (a GC pause, a busy CPU) is not an outage; a
     * stopped Redis fails every call at once, so two come within milliseconds.
     */
    void failed(final Throwable error)
    {
        counters.increment(FleetCounter.REDIS_ERRORS);
        final int nodes;
        synchronized (this)
        {
            lastError = String.valueOf(error);
            failuresInARow++;
            final boolean startedLocal = !shared && counters.get(FleetCounter.FALLBACKS) == 0;
            if (!shared && !startedLocal || shared && failuresInARow < FAILURES_TO_FALL_BACK)
            {
                return;
            }
            shared = false;
            counters.set(FleetCounter.SHARED, 0);
            nodes = liveNodes;
        }
        counters.increment(FleetCounter.FALLBACKS);
        LOG.error("ALERT fleet: Redis is away ({}); this node runs on local limits, each shared rate divided by the {}"
            + " live nodes last seen, until it answers again; no mail is refused for it", error, nodes);
    }
}
