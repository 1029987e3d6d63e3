package io.sluice.control;

import io.sluice.fleet.Fleet;
import io.sluice.fleet.FleetCounter;
import io.sluice.fleet.FleetStatus;

/** The fleet's state for the console; read-only: the fleet rejoins by itself when Redis answers. */
public final class FleetControl implements FleetControlMXBean
{
    private final Fleet fleet;

    public FleetControl(final Fleet fleet)
    {
        this.fleet = fleet;
    }

    @Override
    public String getFleet()
    {
        return fleet.status().fleet();
    }

    @Override
    public String getNodeId()
    {
        return fleet.status().nodeId();
    }

    @Override
    public boolean isShared()
    {
        return fleet.status().shared();
    }

    @Override
    public int getLiveNodes()
    {
        return fleet.status().liveNodes();
    }

    @Override
    public long getFallbacks()
    {
        return fleet.status().fallbacks();
    }

    @Override
    public long getRedisErrors()
    {
        return fleet.counters() == null ? 0 : fleet.counters().get(FleetCounter.REDIS_ERRORS);
    }

    @Override
    public String getLastError()
    {
        return fleet.status().lastError();
    }

    @Override
    public String getSummary()
    {
        final FleetStatus status = fleet.status();
        return status.summary();
    }
}
