package io.sluice.metrics;

import java.util.List;
import java.util.function.Supplier;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.sluice.drain.DrainStatus;
import io.sluice.drain.DrainStatus.AgeRow;
import io.sluice.drain.DrainStatus.LaneStatus;
import io.sluice.drain.DrainStatus.RouteStatus;

/**
 * Per-route, per-lane and per-tenant gauges from the drain's status snapshot, the one the console shows: the drain
 * thread publishes it every {@code drain.statusIntervalMs}, a scrape only reads the latest. Tenants are the busiest
 * {@link DrainStatus#MAX_TENANT_AGE_ROWS} route/lane/tenant rows, so a flood of tenants cannot blow up the scrape.
 */
public final class DrainMetrics implements MultiCollector
{
    private static final String[] STATES = {"ready", "paused", "deferred", "held", "in_flight"};

    private final Supplier<DrainStatus> status;

    /** @param status the drain's latest status, or null before its first. */
    public DrainMetrics(final Supplier<DrainStatus> status)
    {
        this.status = status;
    }

    @Override
    public MetricSnapshots collect()
    {
        final DrainStatus now = status.get();
        final List<RouteStatus> routes = now == null ? List.of() : now.routes();
        final GaugeSnapshot.Builder routeMessages = gauge("sluice_route_messages",
            "messages on a route by state: ready, paused, deferred, held, in_flight");
        final GaugeSnapshot.Builder laneMessages = gauge("sluice_lane_messages",
            "messages on a route's lane by state: ready, paused, deferred, held, in_flight");
        final GaugeSnapshot.Builder configured = gauge("sluice_route_configured_rate", "the route's configured rate, msg/s");
        final GaugeSnapshot.Builder effective = gauge("sluice_route_effective_rate",
            "the route's rate in force, as learned from the upstream's replies, msg/s");
        final GaugeSnapshot.Builder ceiling = gauge("sluice_route_learned_ceiling_rate",
            "the rate the route's upstream was last measured to accept, msg/s; 0 while none is known");
        final GaugeSnapshot.Builder measured = gauge("sluice_route_measured_rate", "dispatches per second, measured");
        final GaugeSnapshot.Builder paused = gauge("sluice_route_paused", "1 while an operator has paused the route");
        final GaugeSnapshot.Builder routeEta = gauge("sluice_route_drain_eta_seconds",
            "when the route's ready mail will have drained at its rate");
        final GaugeSnapshot.Builder laneDelay = gauge("sluice_lane_projected_delay_seconds",
            "how long a new message from a source with nothing queued would wait in the lane");
        final GaugeSnapshot.Builder laneRate = gauge("sluice_lane_measured_rate", "the lane's dispatches per second");
        for (final RouteStatus route : routes)
        {
            final Labels labels = Labels.of("route", route.route());
            final long[] counts = {route.ready(), route.paused(), route.deferred(), route.held(), route.inFlight()};
            for (int i = 0; i < STATES.length; i++)
            {
                routeMessages.dataPoint(point(labels.add("state", STATES[i]), counts[i]));
            }
            configured.dataPoint(point(labels, route.configuredRatePerSec()));
            effective.dataPoint(point(labels, route.effectiveRatePerSec()));
            ceiling.dataPoint(point(labels, route.learnedCeilingPerSec()));
            measured.dataPoint(point(labels, route.measuredRatePerSec()));
            paused.dataPoint(point(labels, route.routePaused() ? 1 : 0));
            routeEta.dataPoint(point(labels, route.etaMillis() / 1000.0));
            for (final LaneStatus lane : route.lanes())
            {
                final Labels laneLabels = Labels.of("route", route.route(), "lane", lane.lane());
                final long[] laneCounts = {lane.ready(), lane.paused(), lane.deferred(), lane.held(), lane.inFlight()};
                for (int i = 0; i < STATES.length; i++)
                {
                    laneMessages.dataPoint(point(laneLabels.add("state", STATES[i]), laneCounts[i]));
                }
                laneDelay.dataPoint(point(laneLabels, lane.projectedDelayMillis() / 1000.0));
                laneRate.dataPoint(point(laneLabels, lane.measuredRatePerSec()));
            }
        }
        final GaugeSnapshot.Builder tenantMessages = gauge("sluice_tenant_pending_messages",
            "pending messages of the busiest route/lane/tenant rows");
        final GaugeSnapshot.Builder tenantBytes = gauge("sluice_tenant_pending_bytes",
            "content bytes pending of the busiest route/lane/tenant rows");
        if (now != null)
        {
            for (final AgeRow row : now.ages().tenants())
            {
                final Labels labels = Labels.of("route", row.route(), "lane", row.lane(), "tenant", row.tenant());
                tenantMessages.dataPoint(point(labels, row.total()));
                tenantBytes.dataPoint(point(labels, row.bytes()));
            }
        }
        return MetricSnapshots.of(routeMessages.build(), laneMessages.build(), configured.build(), effective.build(),
            ceiling.build(), measured.build(), paused.build(), routeEta.build(), laneDelay.build(), laneRate.build(),
            tenantMessages.build(), tenantBytes.build());
    }

    private static GaugeSnapshot.Builder gauge(final String name, final String help)
    {
        return GaugeSnapshot.builder().name(name).help(help);
    }

    private static GaugeDataPointSnapshot point(final Labels labels, final double value)
    {
        return GaugeDataPointSnapshot.builder().labels(labels).value(value).build();
    }
}
