package io.sluice.drain;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the drain publishes so anyone can read how long the backlog will take: per route and per lane, the
 * backlog, the configured, backed-off and measured rates, the ETA to empty, and the delay a new message would
 * see. A flooded gateway's operators could only post "the delay is still 6 hours"; these numbers are what they lacked.
 *
 * <p>Immutable and thread-safe: the drain thread builds a new one and publishes it; readers never see it change.
 *
 * <p>The arithmetic, for one route with effective rate {@code r}:
 * <ul>
 *   <li>Strict lanes drain first, in order, at {@code r}: lane {@code i} is empty after
 *       {@code (ready of strict lanes up to i) ÷ r}.</li>
 *   <li>Weighted lanes then share {@code r} in proportion to their weights while they have mail (fluid fair
 *       queuing): sorted by {@code ready ÷ weight}, each finishes when the service per unit of weight reaches its
 *       {@code ready ÷ weight}, the survivors sharing its rate after it. A lane with its own limit {@code c} takes
 *       at least {@code ready ÷ c}. The route's ETA is the latest lane's, or longer if a tenant limit holds a
 *       tenant's mail back: {@code max(ready of tenant on the route ÷ tenant rate)}.</li>
 *   <li>The projected delay of a new message on a lane is the time until the scheduler reaches it from a source
 *       whose network has nothing queued: the strict backlog ahead of it at {@code r}, plus the picks the lane's
 *       round robin makes before it, {@code max(Q + 1, max over active tenants t of ceil((N_t + 1) ÷ q_t) × Q)}
 *       where {@code q_t} is tenant {@code t}'s weight, {@code Q} the sum of the active tenants' weights and
 *       {@code N_t} the networks with ready mail in tenant {@code t}, at the lane's share
 *       {@code r × weight ÷ (sum of weights of lanes with ready mail)} (capped by its own limit). That is
 *       "active queues ÷ rate", not "backlog ÷ rate": what a quiet sender waits during a flood. A source that
 *       already has mail queued waits behind its own mail too.</li>
 * </ul>
 * Paused mail, deferred mail and mail in flight are shown but not counted in ETAs: paused mail does not drain,
 * and deferred mail drains when its retry time comes.
 *
 * @param atMillis        when it was computed, wall-clock millis
 * @param routes          one entry per configured route, in configuration order
 * @param laneRoutes      lanes mapped to a route of their own ({@code drain.laneRoutes})
 * @param defaultRoute    the route of every other lane
 * @param defaultLane     the lane mail on an unlisted lane is scheduled in
 * @param ready           messages ready to send on every route, paused ones excluded
 * @param paused          ready messages of paused tenants or sources
 * @param deferred        messages waiting for a retry time
 * @param held            messages whose open recipients are all held
 * @param inFlight        messages being delivered
 * @param ages            pending messages by route, lane and tenant against their age, at most
 *                        {@link #AGES_INTERVAL_MS} old
 */
public record DrainStatus(
    long atMillis,
    List<RouteStatus> routes,
    Map<String, String> laneRoutes,
    String defaultRoute,
    String defaultLane,
    long ready,
    long paused,
    long deferred,
    long held,
    long inFlight,
    PendingAges ages)
{
    /**
     * Upper bounds of the age buckets, in minutes, as Postfix's {@code qshape} has them by default; one more bucket
     * holds everything older than the last bound.
     */
    public static final List<Integer> AGE_BUCKET_UPPER_MINUTES = List.of(5, 10, 20, 40, 80, 160, 320, 640, 1280);
    /** Buckets in an {@link AgeRow}: one per upper bound, and one for older mail. */
    public static final int AGE_BUCKETS = AGE_BUCKET_UPPER_MINUTES.size() + 1;
    /**
     * How often the ages are counted at most. Counting walks every pending message; the smallest bucket is five
     * minutes wide, so a few seconds of staleness is invisible, while a walk over a million messages four times a
     * second ({@code drain.statusIntervalMs}) would cost the drain thread real time.
     */
    public static final long AGES_INTERVAL_MS = 5_000;
    /** Tenant rows kept in {@link PendingAges#tenants()}: the busiest; the rest are only counted. */
    public static final int MAX_TENANT_AGE_ROWS = 50;

    public DrainStatus
    {
        routes = List.copyOf(routes);
        laneRoutes = Map.copyOf(laneRoutes);
        Objects.requireNonNull(ages, "ages");
    }

    /** @return the bucket a message of this age counts in: 0 for under 5 minutes, ..., the last for over 1280. */
    public static int ageBucket(final long ageMillis)
    {
        final long minutes = Math.max(0, ageMillis) / 60_000;
        for (int i = 0; i < AGE_BUCKET_UPPER_MINUTES.size(); i++)
        {
            if (minutes < AGE_BUCKET_UPPER_MINUTES.get(i))
            {
                return i;
            }
        }
        return AGE_BUCKET_UPPER_MINUTES.size();
    }

    /** @return the route's status, or null if there is no such route. */
    public RouteStatus route(final String name)
    {
        for (final RouteStatus route : routes)
        {
            if (route.route().equals(name))
            {
                return route;
            }
        }
        return null;
    }

    /** @return the lane's status on the route, or null. */
    public LaneStatus lane(final String route, final String lane)
    {
        final RouteStatus status = route(route);
        return status == null ? null : status.lane(lane);
    }

    /**
     * For admission's {@code SpoolPressure.projectedDelayMillis(lane)}: how long a new message on the lane, from a
     * source with nothing queued, would wait, on the route the lane takes when no tenant mapping applies.
     *
     * @param lane a lane name; one not configured is scheduled as the default lane and answered as such.
     * @return the projected delay in ms; 0 when nothing is queued ahead of it.
     */
    public long projectedDelayMillis(final String lane)
    {
        final LaneStatus status = laneOnDefaultRoute(lane);
        return status == null ? 0 : status.projectedDelayMillis();
    }

    /** @return when the lane will be empty at the current rates, ms from {@link #atMillis()}; 0 if it is. */
    public long etaMillis(final String lane)
    {
        final LaneStatus status = laneOnDefaultRoute(lane);
        return status == null ? 0 : status.etaMillis();
    }

    private LaneStatus laneOnDefaultRoute(final String lane)
    {
        final RouteStatus route = route(laneRoutes.getOrDefault(lane, defaultRoute));
        if (route == null)
        {
            return null;
        }
        final LaneStatus status = route.lane(lane);
        return status != null ? status : route.lane(defaultLane);
    }

    /** @return when every route will be empty at the current rates, ms; 0 if they are. */
    public long etaMillis()
    {
        long eta = 0;
        for (final RouteStatus route : routes)
        {
            eta = Math.max(eta, route.etaMillis());
        }
        return eta;
    }

    /**
     * One route.
     *
     * @param route               its name
     * @param configuredRatePerSec the rate configured (what the provider tolerates)
     * @param effectiveRatePerSec  the rate in force, as the rate learner set it from the upstream's replies
     * @param measuredRatePerSec   dispatches per second over the sliding window
     * @param ready               messages ready to send, paused ones excluded
     * @param paused              ready messages of paused tenants or sources
     * @param deferred            messages waiting for a retry time
     * @param held                messages whose open recipients are all held
     * @param inFlight            messages being delivered
     * @param etaMillis           when {@code ready} will have drained at the effective rate (no more than the learned
     *                            ceiling while a probe is above it), ms
     * @param throttleSignals     throttling replies seen on the route
     * @param rateDecreases       decreases of the learned rate (a throttle, or a capacity limit)
     * @param rateIncreases       increases of the learned rate (climbing back, probing)
     * @param learnedCeilingPerSec the rate the upstream was last measured to accept; 0 if none is known
     * @param capacitySignals     intervals in which the delivery had no room for the route's ready mail
     * @param routePaused         true while an operator has paused the route: its ready mail counts as paused
     * @param lanes               each configured lane on this route, in service order
     */
    public record RouteStatus(
        String route,
        double configuredRatePerSec,
        double effectiveRatePerSec,
        double measuredRatePerSec,
        long ready,
        long paused,
        long deferred,
        long held,
        long inFlight,
        long etaMillis,
        long throttleSignals,
        long rateDecreases,
        long rateIncreases,
        double learnedCeilingPerSec,
        long capacitySignals,
        boolean routePaused,
        List<LaneStatus> lanes)
    {
        public RouteStatus
        {
            lanes = List.copyOf(lanes);
        }

        /** @return the lane's status on this route, or null. */
        public LaneStatus lane(final String lane)
        {
            for (final LaneStatus status : lanes)
            {
                if (status.lane().equals(lane))
                {
                    return status;
                }
            }
            return null;
        }
    }

    /**
     * One lane on one route.
     *
     * @param route                its route
     * @param lane                 its name
     * @param ready                messages ready to send, paused ones excluded
     * @param paused               ready messages of paused tenants or sources
     * @param deferred             messages waiting for a retry time
     * @param held                 messages whose open recipients are all held
     * @param inFlight             messages being delivered
     * @param activeTenants        tenants with ready, unpaused mail
     * @param activeNetworks       networks with ready, unpaused mail
     * @param measuredRatePerSec   dispatches per second over the sliding window
     * @param shareRatePerSec      the rate the lane gets now: the route's effective rate times its share
     * @param etaMillis            when its ready mail will have drained, ms
     * @param projectedDelayMillis how long a new message from a source with nothing queued would wait, ms
     */
    public record LaneStatus(
        String route,
        String lane,
        long ready,
        long paused,
        long deferred,
        long held,
        long inFlight,
        int activeTenants,
        int activeNetworks,
        double measuredRatePerSec,
        double shareRatePerSec,
        long etaMillis,
        long projectedDelayMillis)
    {
    }

    /**
     * Pending messages of one route and lane (and one tenant, in {@link PendingAges#tenants()}) by age, and their size.
     *
     * @param route  the route
     * @param lane   the lane
     * @param tenant the tenant, or null for the whole lane
     * @param byAge  counts per age bucket ({@link #AGE_BUCKETS} of them)
     * @param bytes  the content bytes of those messages
     */
    public record AgeRow(String route, String lane, String tenant, long[] byAge, long bytes)
    {
        public AgeRow
        {
            if (byAge.length != AGE_BUCKETS)
            {
                throw new IllegalArgumentException("expected " + AGE_BUCKETS + " age buckets, got " + byAge.length);
            }
            byAge = byAge.clone();
        }

        @Override
        public long[] byAge()
        {
            return byAge.clone();
        }

        /** @return the messages in every bucket. */
        public long total()
        {
            long total = 0;
            for (final long count : byAge)
            {
                total += count;
            }
            return total;
        }
    }

    /**
     * The shape of the backlog, as Postfix's {@code qshape} draws it.
     *
     * @param atMillis               when the ages were counted
     * @param oldestReceivedAtMillis when the oldest pending message was received; 0 if none is pending
     * @param lanes                  one row per route and lane with pending mail, in configuration order
     * @param tenants                the busiest route/lane/tenant rows, most pending first, at most
     *                               {@link #MAX_TENANT_AGE_ROWS}
     * @param tenantRowsLeftOut      route/lane/tenant rows beyond those, counted only
     */
    public record PendingAges(long atMillis, long oldestReceivedAtMillis, List<AgeRow> lanes, List<AgeRow> tenants,
        int tenantRowsLeftOut)
    {
        public static final PendingAges NONE = new PendingAges(0, 0, List.of(), List.of(), 0);

        public PendingAges
        {
            lanes = List.copyOf(lanes);
            tenants = List.copyOf(tenants);
        }
    }
}
