package io.sluice.fleet;

/**
 * Where this node stands in its fleet, for the console and the status line.
 *
 * @param fleet      the fleet's name; empty for a single appliance.
 * @param nodeId     this node's name in it.
 * @param shared     true while it shares the fleet's limits; false while it runs on local ones (Redis away).
 * @param liveNodes  the live nodes last seen, this one included.
 * @param fallbacks  how often Redis went away so far.
 * @param lastError  the last Redis error, or empty.
 */
public record FleetStatus(String fleet, String nodeId, boolean shared, int liveNodes, long fallbacks, String lastError)
{
    /** A single appliance: no fleet. */
    public static final FleetStatus SINGLE = new FleetStatus("", "", false, 1, 0, "");

    public boolean isFleet()
    {
        return !fleet.isEmpty();
    }

    /** @return one line: "fleet f: node a shares its limits with 3 live nodes" or "... runs on local limits". */
    public String summary()
    {
        if (!isFleet())
        {
            return "single appliance";
        }
        return "fleet " + fleet + ", node " + nodeId + ": " + (shared ? "sharing limits" : "ON LOCAL LIMITS (Redis away)")
            + ", " + liveNodes + " live nodes" + (fallbacks > 0 ? ", " + fallbacks + " fallbacks" : "");
    }
}
