package io.sluice.control;

/** Where this appliance stands in its fleet (docs/fleet.md): sharing the fleet's limits through Redis, or not. */
@Description("The fleet: whether this node shares its limits through Redis now, the live nodes, fallbacks to local limits")
@Requires(Role.OPERATOR)
public interface FleetControlMXBean
{
    @Description("The fleet's name (fleet.name); empty for a single appliance (fleet.redis unset)")
    String getFleet();

    @Description("This node's name in the fleet (fleet.nodeId)")
    String getNodeId();

    @Description("True while this node shares the fleet's limits; false while Redis is away and it runs on local ones")
    boolean isShared();

    @Description("Live nodes last seen in Redis, this one included: the divisor of the local limits while Redis is away")
    int getLiveNodes();

    @Description("Times Redis went away and this node fell back to local limits, since start")
    long getFallbacks();

    @Description("Redis commands that failed or timed out, since start")
    long getRedisErrors();

    @Description("The last Redis error, or empty")
    String getLastError();

    @Description("One line: the fleet, the node, sharing or on local limits, live nodes")
    String getSummary();
}
