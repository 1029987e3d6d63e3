package io.sluice.control;

/** The console for the drain: what waits, how fast it leaves, and when the backlog will be gone. */
@Description("The drain: backlog per route and lane and by age, egress rates (configured, backed off, measured), "
    + "connection limits and ETA; pauses of tenants and sources")
@Requires(Role.OPERATOR)
public interface DrainControlMXBean
{
    @Description("Messages ready to send now")
    long getReadyMessages();

    @Description("Messages waiting for a retry time after a temporary failure")
    long getDeferredMessages();

    @Description("Messages held by containment or an operator")
    long getHeldMessages();

    @Description("Messages of paused routes, tenants or sources")
    long getPausedMessages();

    @Description("Messages being delivered right now")
    long getInFlightMessages();

    @Description("Seconds until the ready backlog is gone at the current rates")
    long getEtaSeconds();

    @Description("Messages per second delivered (dispatched) recently, every route together")
    double getMeasuredRatePerSecond();

    @Description("Messages per second the routes may send now, after any back-off, paused routes excluded")
    double getEffectiveRatePerSecond();

    @Description("Age of the oldest pending message, seconds (counted every few seconds)")
    long getOldestPendingAgeSeconds();

    @Description("Per route: configured, effective (after back-off) and measured rate, backlog, ETA, throttle signals")
    String[] getRoutes();

    @Description("Per route: rates, connection limit and use, paused or not, backlog, ETA (a table)")
    RouteRow[] getRouteTable();

    @Description("Per route and lane: backlog, active tenants and networks, rate share, ETA and projected delay")
    String[] getLanes();

    @Description("Upper bounds of the age buckets of PendingByAge, minutes (Postfix qshape's); one more bucket is older")
    int[] getAgeBucketUpperMinutes();

    @Description("Pending messages per route and lane against their age (like Postfix qshape)")
    PendingAgeRow[] getPendingByAge();

    @Description("Pending messages per route, lane and tenant against their age, busiest tenants first")
    PendingAgeRow[] getPendingByTenantAge();

    @Description("Route, lane and tenant rows left out of PendingByTenantAge: only the busiest are listed")
    int getPendingByTenantAgeLeftOut();

    @Description("Tenants an operator paused in the drain")
    String[] getPausedTenants();

    @Description("Sources (client addresses) an operator paused in the drain")
    String[] getPausedSources();

    @Description("Sets a route's egress rate (the provider's limit) and ends any back-off; kept across restarts")
    void setRouteRate(
        @Description(value = "the route, e.g. default", name = "route") String route,
        @Description(value = "messages per second, above 0", name = "ratePerSecond") double ratePerSecond,
        @Description(value = "bucket size, at least 1", name = "burst") int burst);

    @Description("Sets a route's connection limit (dir: parallel writers); kept across restarts")
    void setRouteConnections(
        @Description(value = "the route, e.g. default", name = "route") String route,
        @Description(value = "connections, 1 to 10000", name = "maxConnections") int maxConnections);

    @Description("Stops sending one tenant's mail; it stays in the spool, counted as paused; kept across restarts")
    void pauseTenant(@Description(value = "the tenant", name = "tenant") String tenant);

    @Description("Sends a paused tenant's mail again (a tenant containment holds stays held)")
    void resumeTenant(@Description(value = "the tenant", name = "tenant") String tenant);

    @Description("Stops sending one source's mail (its address); it stays in the spool; kept across restarts")
    void pauseSource(@Description(value = "the source address", name = "source") String source);

    @Description("Sends a paused source's mail again")
    void resumeSource(@Description(value = "the source address", name = "source") String source);
}
