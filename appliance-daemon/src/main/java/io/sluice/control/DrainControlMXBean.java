package io.sluice.control;

/** The console for the drain: what waits, how fast it leaves, and when the backlog will be gone. */
@Description("The drain: backlog per route and lane, egress rates (configured, backed off, measured) and ETA")
public interface DrainControlMXBean
{
    @Description("Messages ready to send now")
    long getReadyMessages();

    @Description("Messages waiting for a retry time after a temporary failure")
    long getDeferredMessages();

    @Description("Messages held by containment or an operator")
    long getHeldMessages();

    @Description("Messages of paused tenants or sources")
    long getPausedMessages();

    @Description("Messages being delivered right now")
    long getInFlightMessages();

    @Description("Seconds until the ready backlog is gone at the current rates")
    long getEtaSeconds();

    @Description("Per route: configured, effective (after back-off) and measured rate, backlog, ETA, throttle signals")
    String[] getRoutes();

    @Description("Per route and lane: backlog, active tenants and networks, rate share, ETA and projected delay")
    String[] getLanes();

    @Description("Sets a route's egress rate (the provider's limit); kept across restarts")
    void setRouteRate(
        @Description(value = "the route, e.g. default", name = "route") String route,
        @Description(value = "messages per second, above 0", name = "ratePerSecond") double ratePerSecond,
        @Description(value = "bucket size, at least 1", name = "burst") int burst);

    @Description("Tenants paused by an operator (kept across restarts)")
    String[] getPausedTenants();

    @Description("Sources paused by an operator (kept across restarts)")
    String[] getPausedSources();

    @Description("Stops sending one tenant's mail; it stays in the spool, counted as paused; kept across restarts")
    void pauseTenant(@Description(value = "the tenant", name = "tenant") String tenant);

    @Description("Sends a paused tenant's mail again")
    void resumeTenant(@Description(value = "the tenant", name = "tenant") String tenant);

    @Description("Stops sending one source's mail (its address); it stays in the spool; kept across restarts")
    void pauseSource(@Description(value = "the source address", name = "source") String source);

    @Description("Sends a paused source's mail again")
    void resumeSource(@Description(value = "the source address", name = "source") String source);
}
