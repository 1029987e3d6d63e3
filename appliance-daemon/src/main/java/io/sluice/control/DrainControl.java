package io.sluice.control;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import io.sluice.drain.DrainAgent;
import io.sluice.drain.DrainContext;
import io.sluice.drain.DrainStatus;

/**
 * The drain's published status and its few switches. The status is at most {@code drain.statusIntervalMs} old;
 * every switch is applied on the drain thread's next duty cycle and audited. A route's rate is kept across
 * restarts by rewriting its entry of {@code drain.routes} in the operator state.
 */
public final class DrainControl implements DrainControlMXBean
{
    private final DrainAgent drain;
    private final ControlState state;
    private final Map<String, String> routeEntries = new LinkedHashMap<>();
    private final Set<String> pausedTenants = new TreeSet<>();
    private final Set<String> pausedSources = new TreeSet<>();

    /**
     * @param routes  the effective {@code drain.routes} value ({@code name:rate:burst,...}), rewritten on a change.
     * @param context the drain's settings, for the tenants and sources paused at start.
     */
    public DrainControl(final DrainAgent drain, final ControlState state, final String routes, final DrainContext context)
    {
        this.drain = drain;
        this.state = state;
        pausedTenants.addAll(context.pausedTenants());
        pausedSources.addAll(context.pausedSources());
        for (final String entry : routes.split(","))
        {
            final String trimmed = entry.trim();
            if (!trimmed.isEmpty())
            {
                routeEntries.put(trimmed.split(":")[0], trimmed);
            }
        }
    }

    private DrainStatus status()
    {
        final DrainStatus status = drain.status();
        if (status == null)
        {
            throw new IllegalStateException("the drain has not published its status yet; try again in a second");
        }
        return status;
    }

    @Override
    public long getReadyMessages()
    {
        return status().ready();
    }

    @Override
    public long getDeferredMessages()
    {
        return status().deferred();
    }

    @Override
    public long getHeldMessages()
    {
        return status().held();
    }

    @Override
    public long getPausedMessages()
    {
        return status().paused();
    }

    @Override
    public long getInFlightMessages()
    {
        return status().inFlight();
    }

    @Override
    public long getEtaSeconds()
    {
        return status().etaMillis() / 1000;
    }

    @Override
    public String[] getRoutes()
    {
        final List<String> lines = new ArrayList<>();
        for (final DrainStatus.RouteStatus route : status().routes())
        {
            lines.add(String.format(Locale.ROOT,
                "%s: configured %.1f/s, effective %.1f/s, measured %.1f/s; ready %d, deferred %d, held %d, paused %d,"
                + " in flight %d; ETA %d s; throttle signals %d, rate decreases %d",
                route.route(), route.configuredRatePerSec(), route.effectiveRatePerSec(), route.measuredRatePerSec(),
                route.ready(), route.deferred(), route.held(), route.paused(), route.inFlight(), route.etaMillis() / 1000,
                route.throttleSignals(), route.rateDecreases()));
        }
        return lines.toArray(String[]::new);
    }

    @Override
    public String[] getLanes()
    {
        final List<String> lines = new ArrayList<>();
        for (final DrainStatus.RouteStatus route : status().routes())
        {
            for (final DrainStatus.LaneStatus lane : route.lanes())
            {
                lines.add(String.format(Locale.ROOT,
                    "%s/%s: ready %d, deferred %d, held %d, paused %d; %d tenants, %d networks; share %.1f/s,"
                    + " measured %.1f/s; ETA %d s; a new message waits ~%d s",
                    lane.route(), lane.lane(), lane.ready(), lane.deferred(), lane.held(), lane.paused(),
                    lane.activeTenants(), lane.activeNetworks(), lane.shareRatePerSec(), lane.measuredRatePerSec(),
                    lane.etaMillis() / 1000, lane.projectedDelayMillis() / 1000));
            }
        }
        return lines.toArray(String[]::new);
    }

    @Override
    public synchronized void setRouteRate(final String route, final double ratePerSecond, final int burst)
    {
        drain.setRouteRate(route, ratePerSecond, burst);
        final String old = routeEntries.get(route);
        routeEntries.put(route, route + ":" + ratePerSecond + ":" + burst);
        state.changed(DrainContext.ROUTES, String.join(",", withOld(route, old)), String.join(",", routeEntries.values()));
    }

    private List<String> withOld(final String route, final String old)
    {
        final List<String> entries = new ArrayList<>();
        for (final Map.Entry<String, String> entry : routeEntries.entrySet())
        {
            entries.add(entry.getKey().equals(route) ? old : entry.getValue());
        }
        return entries;
    }

    @Override
    public synchronized void pauseTenant(final String tenant)
    {
        drain.pauseTenant(requireName("tenant", tenant));
        ControlState.audit("drain tenant " + tenant, "sending", "paused");
        keep(DrainContext.PAUSED_TENANTS, pausedTenants, tenant, true);
    }

    @Override
    public synchronized void resumeTenant(final String tenant)
    {
        drain.resumeTenant(requireName("tenant", tenant));
        ControlState.audit("drain tenant " + tenant, "paused", "sending");
        keep(DrainContext.PAUSED_TENANTS, pausedTenants, tenant, false);
    }

    @Override
    public synchronized void pauseSource(final String source)
    {
        drain.pauseSource(requireName("source", source));
        ControlState.audit("drain source " + source, "sending", "paused");
        keep(DrainContext.PAUSED_SOURCES, pausedSources, source, true);
    }

    @Override
    public synchronized void resumeSource(final String source)
    {
        drain.resumeSource(requireName("source", source));
        ControlState.audit("drain source " + source, "paused", "sending");
        keep(DrainContext.PAUSED_SOURCES, pausedSources, source, false);
    }

    @Override
    public synchronized String[] getPausedTenants()
    {
        return pausedTenants.toArray(String[]::new);
    }

    @Override
    public synchronized String[] getPausedSources()
    {
        return pausedSources.toArray(String[]::new);
    }

    /** Writes the paused set to control.properties, so the pause outlasts a restart. */
    private void keep(final String key, final Set<String> paused, final String name, final boolean pause)
    {
        final String old = String.join(",", paused);
        if (pause ? paused.add(name) : paused.remove(name))
        {
            state.changed(key, old, String.join(",", paused));
        }
    }

    private static String requireName(final String what, final String value)
    {
        if (value == null || value.isBlank())
        {
            throw new IllegalArgumentException(what + " must not be empty");
        }
        return value.trim();
    }
}
