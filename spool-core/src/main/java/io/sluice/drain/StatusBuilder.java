package io.sluice.drain;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds a {@link DrainStatus} from the scheduler's queues, on the drain thread. The arithmetic is documented on
 * {@link DrainStatus}; the pure parts ({@link #fluidFinishSeconds}, {@link #picksBeforeNewNetwork}) are tested
 * on their own.
 */
final class StatusBuilder
{
    /** Above this share of the rate arriving, the backlog is not reliably shrinking: no inflow-based ETA. */
    private static final double MAX_INFLOW_SHARE = 0.95;

    private StatusBuilder()
    {
    }

    /** Counts over one lane's tenants. */
    private static final class LaneFacts
    {
        long ready;
        long paused;
        int activeTenants;
        int activeNetworks;
        final List<int[]> tenantShapes = new ArrayList<>();
    }

    static DrainStatus build(final DrainScheduler scheduler, final long nowNanos, final long nowMillis,
        final DrainStatus.PendingAges ages)
    {
        final List<DrainStatus.RouteStatus> routes = new ArrayList<>();
        long ready = 0;
        long paused = 0;
        long deferred = 0;
        long held = 0;
        long inFlight = 0;
        for (final RouteState route : scheduler.routeStates())
        {
            final DrainStatus.RouteStatus status = route(scheduler, route, nowNanos);
            routes.add(status);
            ready += status.ready();
            paused += status.paused();
            deferred += status.deferred();
            held += status.held();
            inFlight += status.inFlight();
        }
        final DrainContext context = scheduler.context();
        return new DrainStatus(nowMillis, routes, context.routeTable().laneRoutes(), context.routeTable().defaultRoute(),
            context.defaultLane(), ready, paused, deferred, held, inFlight, ages);
    }

    private static DrainStatus.RouteStatus route(final DrainScheduler scheduler, final RouteState route, final long nowNanos)
    {
        final int count = route.lanes.size();
        final LaneFacts[] facts = new LaneFacts[count];
        final Map<String, Long> tenantReady = new HashMap<>();
        for (int i = 0; i < count; i++)
        {
            facts[i] = facts(scheduler, route.lanes.get(i), route.paused, tenantReady);
        }
        // The rate the upstream was measured to accept, not a probe above it: the ETA is a promise, not a test.
        final double rate = route.expectedRate();
        final double[] eta = laneEtaSeconds(route, facts, rate);
        double routeEta = 0;
        for (final double laneEta : eta)
        {
            routeEta = Math.max(routeEta, laneEta);
        }
        routeEta = Math.max(routeEta, withInflow(facts, rate, route.arrivals.ratePerSec(nowNanos)));
        for (final Map.Entry<String, Long> tenant : tenantReady.entrySet())
        {
            final double tenantRate = scheduler.context().tenantRatePerSec(tenant.getKey());
            if (tenantRate > 0)
            {
                routeEta = Math.max(routeEta, tenant.getValue() / tenantRate);
            }
        }
        int activeWeight = 0;
        long strictReady = 0;
        for (int i = 0; i < count; i++)
        {
            final LaneSpec spec = route.lanes.get(i).spec;
            activeWeight += spec.strict() || facts[i].ready == 0 ? 0 : spec.weight();
            strictReady += spec.strict() ? facts[i].ready : 0;
        }
        final List<DrainStatus.LaneStatus> lanes = new ArrayList<>();
        long ready = 0;
        long paused = 0;
        long deferred = 0;
        long held = 0;
        long inFlight = 0;
        long strictAhead = 0;
        for (int i = 0; i < count; i++)
        {
            final LaneQueue lane = route.lanes.get(i);
            final LaneFacts fact = facts[i];
            final int roundWeight = fact.ready == 0 ? activeWeight + lane.spec.weight() : activeWeight;
            final double share = shareRate(lane.spec, rate, roundWeight);
            final long ahead = lane.spec.strict() ? strictAhead : strictReady;
            final double delay = ahead == 0 && fact.ready == 0 && activeWeight == 0
                ? 0 : projectedDelaySeconds(lane.spec, ahead, picksBeforeNewNetwork(fact.tenantShapes), roundWeight, rate);
            lanes.add(new DrainStatus.LaneStatus(route.name, lane.spec.name(), fact.ready, fact.paused, lane.deferred, lane.held,
                lane.inFlight, fact.activeTenants, fact.activeNetworks, lane.meter.ratePerSec(nowNanos), share,
                millis(eta[i]), millis(delay)));
            strictAhead += lane.spec.strict() ? fact.ready : 0;
            ready += fact.ready;
            paused += fact.paused;
            deferred += lane.deferred;
            held += lane.held;
            inFlight += lane.inFlight;
        }
        return new DrainStatus.RouteStatus(route.name, route.configuredRate(), route.effectiveRate(),
            route.meter.ratePerSec(nowNanos), ready, paused, deferred, held, inFlight, millis(routeEta), route.throttleSignals(),
            route.decreases(), route.increases(), route.learnedCeiling(), route.capacitySignals(), route.paused, lanes);
    }

    /**
     * The time until the lane's {@code picks}-th pick: the strict mail ahead at the full rate, then, for a weighted
     * lane of weight {@code w} in rounds of {@code W} picks, {@code picks + ceil(picks ÷ w) × (W - w)} route picks
     * (each of its rounds may first serve every other lane's turn), never faster than the lane's own limit.
     */
    static double projectedDelaySeconds(final LaneSpec spec, final long strictAhead, final long picks, final int roundWeight,
        final double rate)
    {
        final long routePicks = spec.strict()
            ? picks : picks + (picks + spec.weight() - 1) / spec.weight() * (roundWeight - spec.weight());
        final double seconds = (strictAhead + routePicks) / rate;
        return spec.isRateLimited() ? Math.max(seconds, strictAhead / rate + picks / spec.ratePerSec()) : seconds;
    }

    private static double shareRate(final LaneSpec spec, final double rate, final int activeWeight)
    {
        final double share = spec.strict() ? rate : rate * spec.weight() / activeWeight;
        return spec.isRateLimited() ? Math.min(share, spec.ratePerSec()) : share;
    }

    private static LaneFacts facts(final DrainScheduler scheduler, final LaneQueue lane, final boolean routePaused,
        final Map<String, Long> tenantReady)
    {
        final LaneFacts facts = new LaneFacts();
        final Set<String> pausedSources = scheduler.pausedSourceKeys();
        for (final FairNode tenant : lane.root.children.values())
        {
            if (routePaused || tenant.paused)
            {
                facts.paused += tenant.ready;
                continue;
            }
            long pausedHere = 0;
            for (final String source : pausedSources)
            {
                final FairNode network = tenant.children.get(scheduler.networks().networkOf(source));
                final FairNode node = network == null ? null : network.children.get(source);
                pausedHere += node == null ? 0 : node.ready;
            }
            final long readyHere = tenant.ready - pausedHere;
            facts.paused += pausedHere;
            facts.ready += readyHere;
            if (readyHere > 0)
            {
                facts.activeTenants++;
                facts.activeNetworks += tenant.ring.size();
                facts.tenantShapes.add(new int[] {tenant.ring.size(), tenant.quantum});
                tenantReady.merge(tenant.key, readyHere, Long::sum);
            }
        }
        return facts;
    }

    /**
     * The time to empty the route while mail keeps arriving at the measured rate: the backlog shrinks at (rate -
     * arrivals), not at the rate. The flood scenario showed why: with 20 msgs/s of legitimate mail still coming in, an
     * ETA of backlog ÷ 200/s said 91 s for a backlog that took 103 s. While as much arrives as leaves (a flood being
     * accepted) nothing can be promised from the rates, and the plain backlog ÷ rate stands.
     */
    private static double withInflow(final LaneFacts[] facts, final double rate, final double arrivalsPerSec)
    {
        long ready = 0;
        for (final LaneFacts fact : facts)
        {
            ready += fact.ready;
        }
        if (ready == 0 || !(arrivalsPerSec > 0) || arrivalsPerSec >= rate * MAX_INFLOW_SHARE)
        {
            return 0;
        }
        return ready / (rate - arrivalsPerSec);
    }

    /** Strict lanes one after the other at the full rate, then the weighted lanes by fluid fair queuing. */
    private static double[] laneEtaSeconds(final RouteState route, final LaneFacts[] facts, final double rate)
    {
        final int count = facts.length;
        final double[] eta = new double[count];
        double strictTime = 0;
        final long[] backlog = new long[count];
        final int[] weight = new int[count];
        for (int i = 0; i < count; i++)
        {
            final LaneSpec spec = route.lanes.get(i).spec;
            if (spec.strict())
            {
                strictTime += facts[i].ready / rate;
                eta[i] = facts[i].ready == 0 ? 0 : strictTime;
            }
            else
            {
                backlog[i] = facts[i].ready;
                weight[i] = spec.weight();
            }
        }
        final double[] fluid = fluidFinishSeconds(backlog, weight, rate, strictTime);
        for (int i = 0; i < count; i++)
        {
            final LaneSpec spec = route.lanes.get(i).spec;
            if (!spec.strict())
            {
                eta[i] = fluid[i];
            }
            if (spec.isRateLimited() && facts[i].ready > 0)
            {
                eta[i] = Math.max(eta[i], facts[i].ready / spec.ratePerSec());
            }
        }
        return eta;
    }

    /**
     * Fluid fair queuing: queues with backlogs {@code b} and weights {@code w} share {@code rate}, each getting
     * {@code rate × w ÷ (sum of w of the queues not yet empty)}. In order of {@code b ÷ w}, queue k empties when the
     * service per unit of weight reaches {@code b_k ÷ w_k}; the rest then share its part.
     *
     * @param backlog      per queue; 0 for a queue that takes no part (finish time 0).
     * @param weight       per queue, positive where the backlog is.
     * @param rate         the shared rate, per second.
     * @param startSeconds when the sharing begins (after strict-priority traffic).
     * @return each queue's finish time in seconds.
     */
    static double[] fluidFinishSeconds(final long[] backlog, final int[] weight, final double rate, final double startSeconds)
    {
        final int count = backlog.length;
        final double[] finish = new double[count];
        final List<Integer> order = new ArrayList<>();
        long totalWeight = 0;
        for (int i = 0; i < count; i++)
        {
            if (backlog[i] > 0)
            {
                order.add(i);
                totalWeight += weight[i];
            }
        }
        order.sort((a, b) -> Double.compare((double)backlog[a] / weight[a], (double)backlog[b] / weight[b]));
        double now = startSeconds;
        double servedPerWeight = 0;
        for (final int i : order)
        {
            final double level = (double)backlog[i] / weight[i];
            now += (level - servedPerWeight) * totalWeight / rate;
            servedPerWeight = level;
            finish[i] = now;
            totalWeight -= weight[i];
        }
        return finish;
    }

    /**
     * Picks a lane makes before it reaches a message from a network with nothing queued: each active tenant
     * {@code t} is served {@code q_t} picks per round of {@code Q = sum of q}; a new tenant is reached after one
     * round ({@code Q + 1}); a new network in tenant {@code t} joins the tail of its {@code N_t} active networks and
     * is reached on {@code t}'s {@code (N_t + 1)}-th pick, within {@code ceil((N_t + 1) ÷ q_t)} rounds.
     *
     * @param tenantShapes per active tenant, {@code {N_t, q_t}}.
     * @return the upper bound over every tenant the message could belong to; 1 for an idle lane.
     */
    static long picksBeforeNewNetwork(final List<int[]> tenantShapes)
    {
        if (tenantShapes.isEmpty())
        {
            return 1;
        }
        long round = 0;
        for (final int[] shape : tenantShapes)
        {
            round += shape[1];
        }
        long picks = round + 1;
        for (final int[] shape : tenantShapes)
        {
            final long rounds = (shape[0] + 1 + shape[1] - 1) / shape[1];
            picks = Math.max(picks, rounds * round);
        }
        return picks;
    }

    /**
     * Every pending message (ready, paused, deferred, held or in flight) counted by route, lane and tenant against
     * its age since it was received, in {@link DrainStatus#AGE_BUCKET_UPPER_MINUTES} buckets. One walk over the
     * scheduler's entries, O(messages with an entry), and over each lane's counts of bare messages by second of arrival
     * ({@link BareAges}): the scheduler calls it every {@link DrainStatus#AGES_INTERVAL_MS} at most, never per message.
     */
    static DrainStatus.PendingAges ages(final DrainScheduler scheduler, final Iterable<MessageEntry> entries,
        final long nowMillis)
    {
        final Map<LaneQueue, Map<String, Tally>> byLane = new HashMap<>();
        long oldest = Long.MAX_VALUE;
        for (final MessageEntry entry : entries)
        {
            if (entry.lane == null || entry.has(MessageEntry.BARE_COUNTED))
            {
                // A bare message's entry whose snapshot was not read yet: still in its lane's bare counts.
                continue;
            }
            final long received = entry.receivedAtMillis;
            oldest = Math.min(oldest, received);
            final Tally tally = byLane.computeIfAbsent(entry.lane, lane -> new HashMap<>())
                .computeIfAbsent(entry.tenant, tenant -> new Tally());
            tally.byAge[DrainStatus.ageBucket(nowMillis - received)]++;
            tally.bytes += entry.contentLength;
        }
        final long[] bareOldest = {oldest};
        for (final RouteState route : scheduler.routeStates())
        {
            for (final LaneQueue lane : route.lanes)
            {
                lane.bareAges.forEach((tenant, count, bytes, earliest) ->
                {
                    bareOldest[0] = Math.min(bareOldest[0], earliest);
                    final Tally tally = byLane.computeIfAbsent(lane, key -> new HashMap<>())
                        .computeIfAbsent(tenant, key -> new Tally());
                    tally.byAge[DrainStatus.ageBucket(nowMillis - earliest)] += count;
                    tally.bytes += bytes;
                });
            }
        }
        oldest = bareOldest[0];
        final List<DrainStatus.AgeRow> lanes = new ArrayList<>();
        final List<DrainStatus.AgeRow> tenants = new ArrayList<>();
        for (final RouteState route : scheduler.routeStates())
        {
            for (final LaneQueue lane : route.lanes)
            {
                final Map<String, Tally> laneTenants = byLane.get(lane);
                if (laneTenants == null)
                {
                    continue;
                }
                final Tally total = new Tally();
                for (final Map.Entry<String, Tally> tenant : laneTenants.entrySet())
                {
                    total.add(tenant.getValue());
                    tenants.add(new DrainStatus.AgeRow(route.name, lane.spec.name(), tenant.getKey(), tenant.getValue().byAge,
                        tenant.getValue().bytes));
                }
                lanes.add(new DrainStatus.AgeRow(route.name, lane.spec.name(), null, total.byAge, total.bytes));
            }
        }
        tenants.sort(Comparator.comparingLong(DrainStatus.AgeRow::total).reversed()
            .thenComparing(DrainStatus.AgeRow::tenant));
        final int kept = Math.min(tenants.size(), DrainStatus.MAX_TENANT_AGE_ROWS);
        return new DrainStatus.PendingAges(nowMillis, oldest == Long.MAX_VALUE ? 0 : oldest, lanes,
            tenants.subList(0, kept), tenants.size() - kept);
    }

    /** Pending messages per age bucket and their content bytes, while counting. */
    private static final class Tally
    {
        final long[] byAge = new long[DrainStatus.AGE_BUCKETS];
        long bytes;

        void add(final Tally other)
        {
            for (int i = 0; i < byAge.length; i++)
            {
                byAge[i] += other.byAge[i];
            }
            bytes += other.bytes;
        }
    }

    private static long millis(final double seconds)
    {
        return (long)Math.ceil(seconds * 1000);
    }
}
