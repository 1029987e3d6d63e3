package io.sluice.control;

import javax.management.ConstructorParameters;

/**
 * One route as an operator steers it: its egress rate (configured, learned from the upstream, measured, and the
 * learned ceiling: what the upstream was last measured to accept), its connection
 * limit and use, whether it is paused, and its backlog and ETA. A row of JConsole's table and of {@code sluice queue}.
 */
public final class RouteRow
{
    private final String route;
    private final double configuredRatePerSecond;
    private final double effectiveRatePerSecond;
    private final double measuredRatePerSecond;
    private final int maxConnections;
    private final int connectionsInUse;
    private final boolean paused;
    private final long readyMessages;
    private final long pausedMessages;
    private final long deferredMessages;
    private final long heldMessages;
    private final long inFlightMessages;
    private final long etaSeconds;
    private final long throttleSignals;
    private final double learnedCeilingPerSecond;

    @ConstructorParameters({"route", "configuredRatePerSecond", "effectiveRatePerSecond", "measuredRatePerSecond",
        "maxConnections", "connectionsInUse", "paused", "readyMessages", "pausedMessages", "deferredMessages",
        "heldMessages", "inFlightMessages", "etaSeconds", "throttleSignals", "learnedCeilingPerSecond"})
    public RouteRow(final String route, final double configuredRatePerSecond, final double effectiveRatePerSecond,
        final double measuredRatePerSecond, final int maxConnections, final int connectionsInUse, final boolean paused,
        final long readyMessages, final long pausedMessages, final long deferredMessages, final long heldMessages,
        final long inFlightMessages, final long etaSeconds, final long throttleSignals, final double learnedCeilingPerSecond)
    {
        this.route = route;
        this.configuredRatePerSecond = configuredRatePerSecond;
        this.effectiveRatePerSecond = effectiveRatePerSecond;
        this.measuredRatePerSecond = measuredRatePerSecond;
        this.maxConnections = maxConnections;
        this.connectionsInUse = connectionsInUse;
        this.paused = paused;
        this.readyMessages = readyMessages;
        this.pausedMessages = pausedMessages;
        this.deferredMessages = deferredMessages;
        this.heldMessages = heldMessages;
        this.inFlightMessages = inFlightMessages;
        this.etaSeconds = etaSeconds;
        this.throttleSignals = throttleSignals;
        this.learnedCeilingPerSecond = learnedCeilingPerSecond;
    }

    public String getRoute()
    {
        return route;
    }

    /** @return the rate the provider tolerates, as configured or set by an operator. */
    public double getConfiguredRatePerSecond()
    {
        return configuredRatePerSecond;
    }

    /** @return the rate in force after AIMD back-off (equal to the configured one unless the upstream throttled). */
    public double getEffectiveRatePerSecond()
    {
        return effectiveRatePerSecond;
    }

    public double getMeasuredRatePerSecond()
    {
        return measuredRatePerSecond;
    }

    public int getMaxConnections()
    {
        return maxConnections;
    }

    public int getConnectionsInUse()
    {
        return connectionsInUse;
    }

    public boolean isPaused()
    {
        return paused;
    }

    public long getReadyMessages()
    {
        return readyMessages;
    }

    public long getPausedMessages()
    {
        return pausedMessages;
    }

    public long getDeferredMessages()
    {
        return deferredMessages;
    }

    public long getHeldMessages()
    {
        return heldMessages;
    }

    public long getInFlightMessages()
    {
        return inFlightMessages;
    }

    public long getEtaSeconds()
    {
        return etaSeconds;
    }

    public long getThrottleSignals()
    {
        return throttleSignals;
    }

    /** @return the rate the upstream was last measured to accept (the rate learner's ceiling); 0 while none is known. */
    public double getLearnedCeilingPerSecond()
    {
        return learnedCeilingPerSecond;
    }
}
