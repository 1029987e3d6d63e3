package io.sluice.control;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.sluice.delivery.Delivery;
import io.sluice.delivery.DeliveryContext;
import io.sluice.drain.DrainAgent;
import io.sluice.drain.DrainContext;
import io.sluice.drain.DrainStatus;

/**
 * The drain's published status and its switches. The status is at most {@code drain.statusIntervalMs} old (its ages
 * at most {@link DrainStatus#AGES_INTERVAL_MS}); every switch is applied on the drain thread's next duty cycle (a
 * connection limit at the next dispatch), written to the operator state first and audited. A route's rate is kept
 * across restarts by rewriting its entry of {@code drain.routes}, its connection limit as
 * {@code delivery.route.<name>.maxConnections}, pauses as {@code drain.pausedTenants} and {@code drain.pausedSources}.
 */
public final class DrainControl implements DrainControlMXBean
{
    private final DrainAgent drain;
    private final DrainSwitches switches;
    private final Delivery delivery;
    private final ControlState state;
    private final Map<String, String> routeEntries = new LinkedHashMap<>();

    /**
     * @param switches the operator's pauses, shared with the Spool MXBean.
     * @param delivery the routes' connection limits and use.
     * @param routes   the effective {@code drain.routes} value ({@code name:rate:burst,...}), rewritten on a change.
     */
    public DrainControl(final DrainAgent drain, final DrainSwitches switches, final Delivery delivery,
        final ControlState state, final String routes)
    {
        this.drain = drain;
        this.switches = switches;
        this.delivery = delivery;
        this.state = state;
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
    public double getMeasuredRatePerSecond()
    {
        double rate = 0;
        for (final DrainStatus.RouteStatus route : status().routes())
        {
            rate += route.measuredRatePerSec();
        }
        return rate;
    }

    @Override
    public double getEffectiveRatePerSecond()
    {
        double rate = 0;
        for (final DrainStatus.RouteStatus route : status().routes())
        {
            rate += route.routePaused() ? 0 : route.effectiveRatePerSec();
        }
        return rate;
    }

    @Override
    public long getOldestPendingAgeSeconds()
    {
        final DrainStatus.PendingAges ages = status().ages();
        return ages.oldestReceivedAtMillis() == 0 ? 0 : Math.max(0, ages.atMillis() - ages.oldestReceivedAtMillis()) / 1000;
    }

    @Override
    public String[] getRoutes()
    {
        final List<String> lines = new ArrayList<>();
        for (final DrainStatus.RouteStatus route : status().routes())
        {
            lines.add(String.format(Locale.ROOT,
                "%s%s: configured %.1f/s, effective %.1f/s, measured %.1f/s; connections %d of %d; ready %d, deferred %d,"
                + " held %d, paused %d, in flight %d; ETA %d s; throttle signals %d, rate decreases %d,"
                + " learned ceiling %.1f/s",
                route.route(), route.routePaused() ? " (PAUSED)" : "", route.configuredRatePerSec(),
                route.effectiveRatePerSec(), route.measuredRatePerSec(), delivery.inUse(route.route()),
                delivery.maxConnections(route.route()), route.ready(), route.deferred(), route.held(), route.paused(),
                route.inFlight(), route.etaMillis() / 1000, route.throttleSignals(), route.rateDecreases(),
                route.learnedCeilingPerSec()));
        }
        return lines.toArray(String[]::new);
    }

    @Override
    public RouteRow[] getRouteTable()
    {
        final List<RouteRow> rows = new ArrayList<>();
        for (final DrainStatus.RouteStatus route : status().routes())
        {
            rows.add(new RouteRow(route.route(), route.configuredRatePerSec(), route.effectiveRatePerSec(),
                route.measuredRatePerSec(), delivery.maxConnections(route.route()), delivery.inUse(route.route()),
                route.routePaused(), route.ready(), route.paused(), route.deferred(), route.held(), route.inFlight(),
                route.etaMillis() / 1000, route.throttleSignals(), route.learnedCeilingPerSec()));
        }
        return rows.toArray(RouteRow[]::new);
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
    public int[] getAgeBucketUpperMinutes()
    {
        return DrainStatus.AGE_BUCKET_UPPER_MINUTES.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public PendingAgeRow[] getPendingByAge()
    {
        return rows(status().ages().lanes());
    }

    @Override
    public PendingAgeRow[] getPendingByTenantAge()
    {
        return rows(status().ages().tenants());
    }

    @Override
    public int getPendingByTenantAgeLeftOut()
    {
        return status().ages().tenantRowsLeftOut();
    }

    private static PendingAgeRow[] rows(final List<DrainStatus.AgeRow> ages)
    {
        return ages.stream().map(r -> new PendingAgeRow(r.route(), r.lane(), r.tenant(), r.byAge(), r.bytes()))
            .toArray(PendingAgeRow[]::new);
    }

    @Override
    public String[] getPausedTenants()
    {
        return switches.pausedTenants().stream().sorted().toArray(String[]::new);
    }

    @Override
    public String[] getPausedSources()
    {
        return switches.pausedSources().stream().sorted().toArray(String[]::new);
    }

    @Override
    public synchronized void setRouteRate(final String route, final double ratePerSecond, final int burst)
    {
        drain.setRouteRate(route, ratePerSecond, burst);
        final String old = routeEntries.get(route);
        routeEntries.put(route, route + ":" + ratePerSecond + ":" + burst);
        state.changed(DrainContext.ROUTES.key(), String.join(",", withOld(route, old)), String.join(",", routeEntries.values()));
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
    public synchronized void setRouteConnections(final String route, final int maxConnections)
    {
        final int old = delivery.setMaxConnections(route, maxConnections);
        try
        {
            state.changed(DeliveryContext.maxConnectionsKey(route), old, maxConnections);
        }
        catch (final RuntimeException ex)
        {
            // Not saved, so not in force either: a restart would bring the old limit back unannounced.
            delivery.setMaxConnections(route, old);
            throw ex;
        }
    }

    @Override
    public void pauseTenant(final String tenant)
    {
        switches.pauseTenant(tenant);
    }

    @Override
    public synchronized void resumeTenant(final String tenant)
    {
        switches.resumeTenant(tenant);
    }

    @Override
    public synchronized void pauseSource(final String source)
    {
        switches.pauseSource(source);
    }

    @Override
    public synchronized void resumeSource(final String source)
    {
        switches.resumeSource(source);
    }
}
