package io.sluice.fleet;

import io.sluice.counters.CounterDescriptor;

/** The fleet's counters: stable ids and labels, as every stage's. */
public enum FleetCounter implements CounterDescriptor
{
    FALLBACKS(0, "times Redis went away and this node fell back to local limits"),
    REJOINS(1, "times Redis came back and this node rejoined the shared limits"),
    REDIS_ERRORS(2, "Redis commands that failed or timed out"),
    TOKENS_BORROWED(3, "shared egress tokens borrowed from Redis"),
    TOKENS_RETURNED(4, "borrowed egress tokens given back unused"),
    BORROWS(5, "borrow requests sent to Redis"),
    HOLDS_SHARED(6, "tenant holds and releases this node told the fleet of"),
    HOLDS_APPLIED(7, "tenant holds and releases from other nodes applied here"),
    LIVE_NODES(8, "live nodes last seen in Redis, this one included (gauge)"),
    SHARED(9, "1 while this node shares the fleet's limits, 0 while it runs on local ones (gauge)"),
    BOUNCES_RESERVED(10, "bounces reserved for this node in the fleet's bounce budget"),
    BOUNCES_RETURNED(11, "reserved bounces given back unused"),
    BOUNCES_ON_CREDIT(12, "bounces allowed on credit while nothing was reserved (at most one per node per sync)"),
    SWITCHES_SHARED(13, "operator pauses and blocklist changes this node told the fleet of"),
    SWITCHES_APPLIED(14, "operator pauses and blocklist changes from other nodes applied here"),
    CATCH_UPS(15, "times this node read the fleet's holds, pauses and blocks to apply what it missed");

    private final int id;
    private final String label;

    FleetCounter(final int id, final String label)
    {
        this.id = id;
        this.label = label;
    }

    @Override
    public int id()
    {
        return id;
    }

    @Override
    public String label()
    {
        return label;
    }
}
