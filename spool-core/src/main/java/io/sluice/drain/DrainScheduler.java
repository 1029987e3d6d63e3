package io.sluice.drain;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;

import io.github.bucket4j.Bucket;
import io.sluice.spool.Disposition;
import io.sluice.spool.Envelope;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;

/**
 * The fair drain scheduler: it holds the spool's pending messages as the spool reports them and answers, for a
 * route, which message to send now and to which of its recipients.
 *
 * <h2>What it honours, in order</h2>
 * <ol>
 *   <li>The route's egress rate: a Bucket4j bucket of {@code burst} tokens refilled at the route's effective rate,
 *       which AIMD lowers when the upstream throttles and raises again as it accepts.</li>
 *   <li>Lanes: strict lanes ({@code notifications}) first; then weighted round robin among the weighted lanes
 *       ({@code mail:16, bounces:4, suspect:1} by default: the suspect lane gets 1 pick in 21 while the others have
 *       mail, and its turn comes last in each round). A lane with its own rate ({@code bounces}) never exceeds it.</li>
 *   <li>Within a lane, deficit round robin over tenants (by weight, within each tenant's egress limit), then over
 *       networks (/24, /64) within a tenant, then over sources within a network, then oldest message first. The
 *       network level is what keeps 2,000 flooding addresses in eight /24s from outnumbering 20 legitimate
 *       senders in 20 networks: each network, not each address, gets a turn.</li>
 *   <li>Retry times: a deferred recipient is not sent before its {@code notBeforeMillis}.</li>
 *   <li>Pauses: mail of a paused tenant or source stays, counted, and is skipped until resumed.</li>
 *   <li>Demotion: a source whose mail the upstream rejects for policy ({@code 5.7.x}) {@code policyRejections}
 *       times within the demotion window (its network: {@code networkPolicyRejections}) is demoted until the window
 *       passes without rejections: the provider's patience is shared by every tenant. With
 *       {@code drain.demotion.action=quarantine} (the default) and a {@link QuarantineSink}, its pending mail and
 *       what arrives from it meanwhile is quarantined (held until an operator releases it; a deferred message when
 *       its retry comes due); otherwise it is scheduled in the demotion lane ({@code suspect}).</li>
 * </ol>
 *
 * <h2>Why a quiet sender is not stuck behind a flood</h2>
 * A new message from a source with nothing queued joins the tail of its level's round robin; each active queue
 * ahead of it is served one turn before it is. So it waits about (active queues ÷ rate), not (backlog ÷ rate). The
 * exact bound, used for {@link DrainStatus#projectedDelayMillis(String)} and asserted by the fairness tests, is in
 * {@link DrainStatus}.
 *
 * <h2>Threads</h2>
 * NOT thread-safe: confined to one drain thread, as an Agrona agent's state is. {@link DrainAgent} is that thread:
 * it carries spool events, replies and operator commands to it through a queue. Only {@link #classifier()} may be
 * used from other threads.
 *
 * <h2>Contract with the delivery layer</h2>
 * Each {@link Dispatch} stays in flight, never dispatched again, until every recipient in it has a newer status
 * in a spool snapshot (the delivery layer journals one per recipient, from {@link #onReply}), or it is handed back
 * with {@link #returnUndelivered}, or {@code drain.inFlightTimeoutMs} passes. Delivery is at-least-once: a message
 * is sent twice only when the upstream took it but its reply was lost (connection lost after the data), or when a
 * dispatch outlives the in-flight timeout, or after a crash between the upstream's reply and the journal write.
 * Restart resumes from the journal: {@link #load} the spool's pending messages before anything else is appended.
 */
public final class DrainScheduler
{
    private static final long SWEEP_INTERVAL_NANOS = 1_000_000_000L;

    private final SchedulerTime time;
    private final DrainContext context;
    private final RouteTable routeTable;
    private final OutcomeClassifier classifier;
    private final NetworkKeys networks;
    private final DrainCounters counters;
    private final Map<String, RouteState> routes = new LinkedHashMap<>();
    private final RouteState[] routeArray;
    private final Map<String, Integer> laneIndexes = new HashMap<>();
    private final List<LaneSpec> lanes;
    private final int defaultLaneIndex;
    private final int demotionLaneIndex;
    private final Map<String, Bucket> tenantBuckets = new HashMap<>();
    private final Map<Long, MessageEntry> entries = new HashMap<>();
    private final LinkedHashMap<Long, MessageEntry> inFlight = new LinkedHashMap<>();
    private final PriorityQueue<DeferTimer> deferTimers = new PriorityQueue<>(Comparator.comparingLong(DeferTimer::dueMillis));
    private final PriorityQueue<ParkTimer> parkTimers = new PriorityQueue<>(Comparator.comparingLong(ParkTimer::dueNanos));
    private final PriorityQueue<PolicyTimer> policyTimers = new PriorityQueue<>(Comparator.comparingLong(PolicyTimer::dueMillis));
    private final Set<String> pausedTenants = new HashSet<>();
    /** Tenants containment holds: apart from an operator's pauses, so lifting one never lifts the other. */
    private final Set<String> heldTenants = new HashSet<>();
    private final Set<String> pausedSources = new HashSet<>();
    private final Map<String, SourcePolicy> sourcePolicies = new HashMap<>();
    /** Null: demoted mail goes to the demotion lane (no journal to hold it in, or {@code action=suspect-lane}). */
    private QuarantineSink quarantineSink;
    private final long inFlightTimeoutNanos;
    private long lastSweepNanos;
    private int pollCursor;
    private DrainStatus.PendingAges ages;

    private record DeferTimer(long dueMillis, long seq, MessageEntry entry)
    {
    }

    private record ParkTimer(long dueNanos, long seq, FairNode node)
    {
    }

    private record PolicyTimer(long dueMillis, String sourceKey)
    {
    }

    /** Policy rejections of one source within the current window, and its demotion. */
    private static final class SourcePolicy
    {
        long windowStartMillis;
        int rejections;
        long demotedUntilMillis;
        /** Why its mail is quarantined, for the journal and the mail log; built once, at its first demotion. */
        String reason;

        SourcePolicy(final long windowStartMillis)
        {
            this.windowStartMillis = windowStartMillis;
        }
    }

    /** @param context the drain's settings; concluded here if they are not yet. */
    public DrainScheduler(final DrainContext context)
    {
        this(context, new DrainCounters());
    }

    DrainScheduler(final DrainContext context, final DrainCounters counters)
    {
        this.context = context.conclude();
        this.counters = counters;
        time = new SchedulerTime(context.clock());
        routeTable = context.routeTable();
        classifier = new OutcomeClassifier(new RetrySchedule(context));
        networks = new NetworkKeys(context.networkPrefixV4(), context.networkPrefixV6());
        inFlightTimeoutNanos = context.inFlightTimeoutMs() * 1_000_000L;
        lanes = context.laneSpecs();
        final long now = time.nanos();
        lastSweepNanos = now;
        final Bucket[] laneBuckets = new Bucket[lanes.size()];
        for (int i = 0; i < lanes.size(); i++)
        {
            final LaneSpec lane = lanes.get(i);
            laneIndexes.put(lane.name(), i);
            if (lane.isRateLimited())
            {
                laneBuckets[i] = RouteState.newBucket(lane.ratePerSec(), Math.max(1, (long)Math.ceil(lane.ratePerSec())), time);
            }
        }
        defaultLaneIndex = laneIndexes.get(context.defaultLane());
        demotionLaneIndex = laneIndexes.get(context.demotionLane());
        for (final RouteSpec spec : context.routeSpecs())
        {
            final RouteState route = new RouteState(spec, context, time, now);
            for (int i = 0; i < lanes.size(); i++)
            {
                final LaneQueue lane = new LaneQueue(route, lanes.get(i), i, laneBuckets[i],
                    new RateMeter(context.rateWindowMs() * 1_000_000L, now));
                route.lanes.add(lane);
                (lane.spec.strict() ? route.strictLanes : route.weightedLanes).add(lane);
            }
            routes.put(spec.name(), route);
        }
        routeArray = routes.values().toArray(new RouteState[0]);
        // An operator's pauses, kept across restarts in the settings, are in force before the first message loads.
        context.pausedRouteNames().forEach(name -> routes.get(name).paused = true);
        pausedTenants.addAll(context.pausedTenantNames());
        pausedSources.addAll(context.pausedSourceKeys());
    }

    /**
     * Sets where demoted mail is quarantined; without one (or with {@code drain.demotion.action=suspect-lane}) it goes
     * to the demotion lane. Call before {@link #load}.
     */
    public void quarantineTo(final QuarantineSink sink)
    {
        quarantineSink = context.demotionQuarantines() ? Objects.requireNonNull(sink, "sink") : null;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Spool events

    /** Adds every message of a spool's {@code pendingMessages()}: call once at start-up, before anything is appended. */
    public void load(final Collection<PendingMessage> pending)
    {
        for (final PendingMessage message : pending)
        {
            onSnapshot(message);
        }
        // The backlog an operator looks at first after a restart: counted at the next status, not seconds later.
        ages = null;
    }

    /**
     * Applies the latest snapshot of a message, from {@code SpoolListener.onAccepted} or {@code onOutcome}: a new
     * message is queued, a finished one forgotten, a changed one moved to where it now belongs. Snapshots of one
     * message must arrive in journal order (the spool's listener guarantees that).
     */
    public void onSnapshot(final PendingMessage message)
    {
        counters.increment(DrainCounter.SNAPSHOTS_APPLIED);
        final MessageEntry entry = entries.get(message.messageId());
        if (message.isFinished())
        {
            if (entry != null)
            {
                leave(entry);
                entries.remove(message.messageId());
            }
            return;
        }
        if (entry == null)
        {
            final MessageEntry created = new MessageEntry(message);
            entries.put(message.messageId(), created);
            place(created);
            created.lane.route.arrivals.record(time.nanos(), 1);
            return;
        }
        if (entry.state == MessageEntry.IN_FLIGHT)
        {
            entry.snapshot = message;
            if (!flightResolved(entry.dispatch, message))
            {
                return;
            }
        }
        leave(entry);
        entry.snapshot = message;
        // An operator's "retry now" covered the statuses it saw; a new deferral follows the retry schedule again.
        entry.retryNow = false;
        if (entry.quarantining && !hasSendable(message))
        {
            // The quarantine hold is journaled (or something else decided): the snapshot says what it is now.
            entry.quarantining = false;
        }
        place(entry);
    }

    /** @return true once every recipient of the dispatch has a status other than the one it was dispatched with. */
    private static boolean flightResolved(final Dispatch dispatch, final PendingMessage latest)
    {
        for (final int index : dispatch.recipientIndexes())
        {
            if (latest.recipients().get(index).equals(dispatch.statusAtDispatch(index)))
            {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Picking

    /**
     * @param route a configured route name.
     * @return the message to send on the route now, its tokens spent; null if the route's bucket is empty or
     *         nothing on it may be sent now.
     * @throws IllegalArgumentException for an unknown route.
     */
    public Dispatch next(final String route)
    {
        final RouteState state = routes.get(route);
        if (state == null)
        {
            throw new IllegalArgumentException("no such route: " + route + " (routes: " + routes.keySet() + ")");
        }
        tick();
        return pick(state);
    }

    /** {@link #next} without its {@link #tick}: for a caller that ticked already in this same cycle (the agent). */
    Dispatch pickNext(final String route)
    {
        final RouteState state = routes.get(route);
        if (state == null)
        {
            throw new IllegalArgumentException("no such route: " + route + " (routes: " + routes.keySet() + ")");
        }
        return pick(state);
    }

    /** @return the next dispatch on any route, trying routes in turn; null if none has anything to send now. */
    public Dispatch poll()
    {
        tick();
        for (int i = 0; i < routeArray.length; i++)
        {
            final RouteState route = routeArray[pollCursor];
            pollCursor = (pollCursor + 1) % routeArray.length;
            final Dispatch dispatch = pick(route);
            if (dispatch != null)
            {
                return dispatch;
            }
        }
        return null;
    }

    private Dispatch pick(final RouteState route)
    {
        if (route.paused || route.bucket.getAvailableTokens() < 1)
        {
            return null;
        }
        final long now = time.nanos();
        for (final LaneQueue lane : route.strictLanes)
        {
            if (lane.root.active && gateOpen(lane.root, now))
            {
                final FairNode leaf = selectLeaf(lane.root, now);
                if (leaf != null)
                {
                    return commit(route, lane, leaf, now);
                }
            }
        }
        // Weighted lanes: each in turn, in configured order, gets up to its weight in picks. A lane with nothing to
        // send when its turn comes loses the turn (deficit round robin forgets the credit of idle queues).
        final int lanes = route.weightedLanes.size();
        for (int step = 0; step < lanes; step++)
        {
            final LaneQueue lane = route.weightedLanes.get(route.cursor);
            final FairNode laneRoot = lane.root;
            if (laneRoot.active && gateOpen(laneRoot, now))
            {
                if (laneRoot.deficit <= 0)
                {
                    laneRoot.deficit = laneRoot.quantum;
                }
                final FairNode leaf = selectLeaf(laneRoot, now);
                if (leaf != null)
                {
                    final Dispatch dispatch = commit(route, lane, leaf, now);
                    if (laneRoot.deficit <= 0 || !laneRoot.active)
                    {
                        laneRoot.deficit = 0;
                        route.cursor = (route.cursor + 1) % lanes;
                    }
                    return dispatch;
                }
            }
            laneRoot.deficit = 0;
            route.cursor = (route.cursor + 1) % lanes;
        }
        return null;
    }

    /** Walks from a lane down the heads of the rings to a source; parks tenants whose bucket is empty on the way. */
    private FairNode selectLeaf(final FairNode laneRoot, final long now)
    {
        FairNode node = laneRoot;
        while (!node.isLeaf())
        {
            FairNode child = null;
            while (!node.ring.isEmpty())
            {
                final FairNode head = node.ring.peekFirst();
                if (head.level != FairNode.TENANT || gateOpen(head, now))
                {
                    child = head;
                    break;
                }
            }
            if (child == null)
            {
                return null;
            }
            if (child.deficit <= 0)
            {
                child.deficit = child.quantum;
            }
            node = child;
        }
        return node;
    }

    /**
     * @return true if the node's own bucket (a lane's or a tenant's) has a token; otherwise parks the node until it
     *         will have one, taking it out of the round robin so no pick pays for it meanwhile.
     */
    private boolean gateOpen(final FairNode node, final long now)
    {
        final Bucket bucket;
        if (node.level == FairNode.LANE)
        {
            bucket = node.lane.laneBucket;
        }
        else if (node.level == FairNode.TENANT)
        {
            bucket = tenantBucket(node.key);
        }
        else
        {
            bucket = null;
        }
        if (bucket == null || bucket.getAvailableTokens() >= 1)
        {
            return true;
        }
        final long wait = Math.max(1, bucket.estimateAbilityToConsume(1).getNanosToWaitForRefill());
        node.parked = true;
        node.parkSeq++;
        parkTimers.add(new ParkTimer(now + wait, node.parkSeq, node));
        refresh(node);
        return false;
    }

    private Bucket tenantBucket(final String tenant)
    {
        final Bucket bucket = tenantBuckets.get(tenant);
        if (bucket != null)
        {
            return bucket;
        }
        final double rate = context.tenantRatePerSec(tenant);
        if (rate <= 0)
        {
            return null;
        }
        final Bucket created = RouteState.newBucket(rate, context.tenantBurst(), time);
        tenantBuckets.put(tenant, created);
        return created;
    }

    private Dispatch commit(final RouteState route, final LaneQueue lane, final FairNode leaf, final long now)
    {
        final MessageEntry entry = leaf.messages.firstEntry().getValue();
        removeReady(entry);
        // Deficit round robin, leaf first: every level picked the head of its ring, so a node that used up its
        // quantum is still at the head and moves to the tail; one that emptied has already left the ring.
        for (FairNode node = leaf; node != null; node = node.parent)
        {
            node.deficit--;
            if (node.active && node.deficit <= 0 && node.ownerRing != null && node.ownerRing.peekFirst() == node)
            {
                node.ownerRing.pollFirst();
                node.ownerRing.addLast(node);
            }
        }
        final PendingMessage message = entry.snapshot;
        consume(route.bucket);
        if (lane.laneBucket != null)
        {
            consume(lane.laneBucket);
        }
        final Bucket tenant = tenantBucket(message.envelope().tenant());
        if (tenant != null)
        {
            consume(tenant);
        }
        final long nowMillis = time.wallMillis();
        final List<Integer> recipients = new ArrayList<>();
        final List<RecipientStatus> statuses = message.recipients();
        for (int i = 0; i < statuses.size() && recipients.size() < context.maxRecipientsPerDispatch(); i++)
        {
            if (isReady(entry, statuses.get(i), nowMillis))
            {
                recipients.add(i);
            }
        }
        final Dispatch dispatch = new Dispatch(route.name, lane.spec.name(), message, recipients, nowMillis);
        entry.state = MessageEntry.IN_FLIGHT;
        entry.lane = lane;
        entry.dispatch = dispatch;
        entry.dispatchedAtNanos = now;
        lane.inFlight++;
        inFlight.put(entry.messageId, entry);
        route.meter.record(now, 1);
        lane.meter.record(now, 1);
        counters.increment(DrainCounter.DISPATCHES);
        counters.add(DrainCounter.RECIPIENTS_DISPATCHED, recipients.size());
        return dispatch;
    }

    private static void consume(final Bucket bucket)
    {
        if (!bucket.tryConsume(1))
        {
            // Checked before the pick on this same thread, and the scheduler's time never goes back.
            throw new IllegalStateException("egress bucket emptied between check and consume");
        }
    }

    private static boolean isReady(final MessageEntry entry, final RecipientStatus status, final long nowMillis)
    {
        return switch (status.disposition())
        {
            case PENDING, RELEASED -> true;
            case DEFERRED -> entry.retryNow || status.notBeforeMillis() <= nowMillis;
            default -> false;
        };
    }

    /**
     * Hands a dispatch back that was never attempted (no connection slot after all, shutting down): its tokens are
     * refunded and it is scheduled again at once. Ignored if the message is no longer in flight with this dispatch.
     */
    public void returnUndelivered(final Dispatch dispatch)
    {
        final MessageEntry entry = entries.get(dispatch.messageId());
        if (entry == null || entry.state != MessageEntry.IN_FLIGHT || entry.dispatch != dispatch)
        {
            return;
        }
        final RouteState route = routes.get(dispatch.route());
        route.bucket.addTokens(1);
        if (entry.lane.laneBucket != null)
        {
            entry.lane.laneBucket.addTokens(1);
        }
        final Bucket tenant = tenantBucket(dispatch.envelope().tenant());
        if (tenant != null)
        {
            tenant.addTokens(1);
        }
        counters.increment(DrainCounter.DISPATCHES_RETURNED);
        leave(entry);
        place(entry);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Placement

    private void place(final MessageEntry entry)
    {
        final long nowMillis = time.wallMillis();
        if (quarantineSink != null && quarantine(entry, nowMillis))
        {
            return;
        }
        boolean ready = false;
        long nextDue = Long.MAX_VALUE;
        for (final RecipientStatus status : entry.snapshot.recipients())
        {
            if (isReady(entry, status, nowMillis))
            {
                ready = true;
            }
            else if (status.disposition() == Disposition.DEFERRED)
            {
                nextDue = Math.min(nextDue, status.notBeforeMillis());
            }
        }
        final LaneQueue lane = laneFor(entry.snapshot.envelope(), nowMillis);
        entry.lane = lane;
        if (ready)
        {
            enqueueReady(entry, lane);
        }
        else if (nextDue != Long.MAX_VALUE)
        {
            entry.state = MessageEntry.DEFERRED;
            lane.deferred++;
            deferTimers.add(new DeferTimer(nextDue, ++entry.timerSeq, entry));
        }
        else
        {
            entry.state = MessageEntry.HELD;
            lane.held++;
        }
    }

    private LaneQueue laneFor(final Envelope envelope, final long nowMillis)
    {
        return laneFor(envelope, quarantineSink == null && isDemoted(envelope.sourceKey(), nowMillis));
    }

    private LaneQueue laneFor(final Envelope envelope, final boolean demoted)
    {
        final RouteState route = routes.get(routeTable.route(envelope.tenant(), envelope.lane()));
        int index = laneIndexes.getOrDefault(envelope.lane(), defaultLaneIndex);
        if (demoted && !lanes.get(index).strict())
        {
            index = demotionLaneIndex;
        }
        return route.lanes.get(index);
    }

    /**
     * Quarantines the message if its source or network is demoted and it has something to send that no operator
     * released: it is handed to the sink once and held here until the journal's snapshot of the hold comes back.
     * Strict lanes (notifications) are never quarantined, as they are never demoted. No allocation unless it
     * quarantines: the common case is an empty policy map.
     *
     * @return true if the entry is now held for quarantine.
     */
    private boolean quarantine(final MessageEntry entry, final long nowMillis)
    {
        if (!entry.quarantining)
        {
            if (entry.released || hasReleased(entry.snapshot))
            {
                // An operator (or containment's release) let it go: it is sent in its own lane, whatever the demotion,
                // also after a deferral has replaced its RELEASED status.
                entry.released = true;
                return false;
            }
            if (sourcePolicies.isEmpty())
            {
                return false;
            }
            final Envelope envelope = entry.snapshot.envelope();
            final SourcePolicy demotion = demotionOf(envelope.sourceKey(), nowMillis);
            if (demotion == null || !hasSendable(entry.snapshot)
                || lanes.get(laneIndexes.getOrDefault(envelope.lane(), defaultLaneIndex)).strict())
            {
                return false;
            }
            entry.quarantining = true;
            counters.increment(DrainCounter.QUARANTINED);
            quarantineSink.quarantine(entry.snapshot, demotion.reason);
        }
        final LaneQueue lane = laneFor(entry.snapshot.envelope(), false);
        entry.lane = lane;
        entry.state = MessageEntry.HELD;
        lane.held++;
        return true;
    }

    private static boolean hasReleased(final PendingMessage message)
    {
        final List<RecipientStatus> statuses = message.recipients();
        for (int i = 0; i < statuses.size(); i++)
        {
            if (statuses.get(i).disposition() == Disposition.RELEASED)
            {
                return true;
            }
        }
        return false;
    }

    /** @return true if a recipient is waiting to be sent (pending or deferred), which a quarantine would hold. */
    private static boolean hasSendable(final PendingMessage message)
    {
        final List<RecipientStatus> statuses = message.recipients();
        for (int i = 0; i < statuses.size(); i++)
        {
            final Disposition disposition = statuses.get(i).disposition();
            if (disposition == Disposition.PENDING || disposition == Disposition.DEFERRED)
            {
                return true;
            }
        }
        return false;
    }

    private void enqueueReady(final MessageEntry entry, final LaneQueue lane)
    {
        final Envelope envelope = entry.snapshot.envelope();
        final FairNode tenant = child(lane.root, FairNode.TENANT, envelope.tenant());
        final FairNode network = child(tenant, FairNode.NETWORK, networks.networkOf(envelope.sourceKey()));
        final FairNode source = child(network, FairNode.SOURCE, envelope.sourceKey());
        source.messages.put(entry.messageId, entry);
        entry.leaf = source;
        entry.state = MessageEntry.READY;
        for (FairNode node = source; node != null; node = node.parent)
        {
            node.ready++;
        }
        refresh(source);
    }

    private FairNode child(final FairNode parent, final int level, final String key)
    {
        final FairNode existing = parent.children.get(key);
        if (existing != null)
        {
            return existing;
        }
        final int quantum = level == FairNode.TENANT ? context.tenantWeight(key) : 1;
        final FairNode created = new FairNode(level, key, parent, parent.lane, quantum, parent.ring);
        created.paused = (level == FairNode.TENANT && isTenantStopped(key))
            || (level == FairNode.SOURCE && pausedSources.contains(key));
        parent.children.put(key, created);
        return created;
    }

    private void removeReady(final MessageEntry entry)
    {
        final FairNode leaf = entry.leaf;
        leaf.messages.remove(entry.messageId);
        for (FairNode node = leaf; node != null; node = node.parent)
        {
            node.ready--;
        }
        refresh(leaf);
        // Queues that emptied go, so a flood of 2,000 addresses leaves no 2,000 idle queues behind.
        FairNode node = leaf;
        while (node.level != FairNode.LANE && node.ready == 0)
        {
            node.parent.children.remove(node.key);
            node.detached = true;
            node = node.parent;
        }
        entry.leaf = null;
        entry.state = MessageEntry.NONE;
    }

    /** Restores "active exactly when it has sendable mail" from {@code start} upwards, stopping where nothing changes. */
    private static void refresh(final FairNode start)
    {
        FairNode node = start;
        while (node != null)
        {
            final boolean shouldBeActive = node.shouldBeActive();
            if (shouldBeActive == node.active)
            {
                return;
            }
            node.active = shouldBeActive;
            if (node.ownerRing != null)
            {
                if (shouldBeActive)
                {
                    node.ownerRing.addLast(node);
                }
                else
                {
                    node.ownerRing.remove(node);
                }
            }
            if (!shouldBeActive)
            {
                node.deficit = 0;
            }
            node = node.parent;
        }
    }

    /** Takes the entry out of whatever state it is in, keeping every count right. */
    private void leave(final MessageEntry entry)
    {
        switch (entry.state)
        {
            case MessageEntry.READY -> removeReady(entry);
            case MessageEntry.DEFERRED -> entry.lane.deferred--;
            case MessageEntry.HELD -> entry.lane.held--;
            case MessageEntry.IN_FLIGHT ->
            {
                entry.lane.inFlight--;
                inFlight.remove(entry.messageId);
                entry.dispatch = null;
            }
            default ->
            {
            }
        }
        entry.state = MessageEntry.NONE;
        entry.timerSeq++;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Time

    /**
     * Does what time has made due: deferred messages whose retry time came, parked tenants and lanes whose bucket
     * refilled, demotions that ended, AIMD recovery steps, dispatches past the in-flight timeout. {@link #next} and
     * {@link #poll} call it; an agent calls it every duty cycle.
     *
     * @return how many things it did.
     */
    public int tick()
    {
        final long nowNanos = time.nanos();
        final long nowMillis = time.wallMillis();
        int work = 0;
        while (!deferTimers.isEmpty() && deferTimers.peek().dueMillis() <= nowMillis)
        {
            final DeferTimer timer = deferTimers.poll();
            final MessageEntry entry = timer.entry();
            if (entry.state == MessageEntry.DEFERRED && entry.timerSeq == timer.seq())
            {
                leave(entry);
                place(entry);
                work++;
            }
        }
        while (!parkTimers.isEmpty() && parkTimers.peek().dueNanos() <= nowNanos)
        {
            final ParkTimer timer = parkTimers.poll();
            final FairNode node = timer.node();
            if (node.parked && node.parkSeq == timer.seq())
            {
                node.parked = false;
                refresh(node);
                work++;
            }
        }
        while (!policyTimers.isEmpty() && policyTimers.peek().dueMillis() <= nowMillis)
        {
            work += expirePolicy(policyTimers.poll().sourceKey(), nowMillis);
        }
        for (final RouteState route : routeArray)
        {
            if (route.maintain(nowNanos))
            {
                counters.increment(DrainCounter.RATE_INCREASES);
                work++;
            }
        }
        if (nowNanos - lastSweepNanos >= SWEEP_INTERVAL_NANOS)
        {
            lastSweepNanos = nowNanos;
            work += sweepInFlight(nowNanos);
        }
        return work;
    }

    /**
     * How long the drain thread may sleep: until the first timer (a retry, a parked tenant or lane, the end of a
     * demotion, a recovery step, the in-flight sweep), or until the next token of a route whose bucket is empty while
     * it has mail ready and {@code canSend} says its delivery has room. A route with tokens and nothing dispatched is
     * waiting for an event (a connection slot, new mail), not for time, so it adds nothing.
     *
     * @param canSend whether a route's delivery can take a dispatch now.
     * @return nanoseconds, 0 if something is due now; {@code Long.MAX_VALUE} if nothing is ever due by itself.
     */
    public long nanosUntilDue(final Predicate<String> canSend)
    {
        final long nowNanos = time.nanos();
        final long nowMillis = time.wallMillis();
        long due = Long.MAX_VALUE;
        if (!deferTimers.isEmpty())
        {
            due = Math.min(due, millisToNanos(deferTimers.peek().dueMillis() - nowMillis));
        }
        if (!parkTimers.isEmpty())
        {
            due = Math.min(due, parkTimers.peek().dueNanos() - nowNanos);
        }
        if (!policyTimers.isEmpty())
        {
            due = Math.min(due, millisToNanos(policyTimers.peek().dueMillis() - nowMillis));
        }
        if (!inFlight.isEmpty())
        {
            due = Math.min(due, SWEEP_INTERVAL_NANOS - (nowNanos - lastSweepNanos));
        }
        for (final RouteState route : routeArray)
        {
            due = Math.min(due, route.nanosUntilMaintain(nowNanos));
            if (route.bucket.getAvailableTokens() < 1 && hasReady(route) && canSend.test(route.name))
            {
                due = Math.min(due, route.bucket.estimateAbilityToConsume(1).getNanosToWaitForRefill());
            }
        }
        return Math.max(0, due);
    }

    private static boolean hasReady(final RouteState route)
    {
        for (final LaneQueue lane : route.lanes)
        {
            if (lane.root.active)
            {
                return true;
            }
        }
        return false;
    }

    private static long millisToNanos(final long millis)
    {
        return millis >= Long.MAX_VALUE / 1_000_000L ? Long.MAX_VALUE : millis * 1_000_000L;
    }

    private int sweepInFlight(final long nowNanos)
    {
        List<MessageEntry> expired = null;
        for (final MessageEntry entry : inFlight.values())
        {
            if (nowNanos - entry.dispatchedAtNanos < inFlightTimeoutNanos)
            {
                break;
            }
            if (expired == null)
            {
                expired = new ArrayList<>();
            }
            expired.add(entry);
        }
        if (expired == null)
        {
            return 0;
        }
        for (final MessageEntry entry : expired)
        {
            counters.increment(DrainCounter.FLIGHTS_EXPIRED);
            leave(entry);
            place(entry);
        }
        return expired.size();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Replies

    /**
     * Classifies the upstream's reply for one recipient of a dispatch and feeds it back: AIMD on the route,
     * policy rejections against the source, counters.
     *
     * @param dispatch       the dispatch the recipient was in.
     * @param recipientIndex one of {@link Dispatch#recipientIndexes()}.
     * @param reply          what the upstream (or the connection) said.
     * @return the status to journal with {@code Spool.recordOutcome(dispatch.messageId(), recipientIndex, ...)}.
     */
    public ReplyOutcome onReply(final Dispatch dispatch, final int recipientIndex, final SmtpReply reply)
    {
        if (!dispatch.recipientIndexes().contains(recipientIndex))
        {
            throw new IllegalArgumentException(
                "recipient " + recipientIndex + " is not in dispatch " + dispatch.recipientIndexes());
        }
        final ReplyOutcome outcome = classifier.classify(
            dispatch.envelope(), dispatch.statusAtDispatch(recipientIndex), reply, time.wallMillis());
        recordFeedback(dispatch.route(), dispatch.envelope().sourceKey(), outcome);
        return outcome;
    }

    /**
     * Feeds back an outcome classified elsewhere (by {@link #classifier()} on a delivery thread).
     *
     * @param route     the route it was sent by.
     * @param sourceKey the message's source.
     * @param outcome   the classified reply.
     */
    public void recordFeedback(final String route, final String sourceKey, final ReplyOutcome outcome)
    {
        final RouteState state = Objects.requireNonNull(routes.get(route), () -> "no such route: " + route);
        switch (outcome.signal())
        {
            case ACCEPTED -> state.onSuccess();
            case THROTTLED -> onThrottle(state);
            case POLICY_REJECTED ->
            {
                counters.increment(DrainCounter.POLICY_REJECTIONS);
                onPolicyRejection(sourceKey, time.wallMillis());
            }
            default ->
            {
            }
        }
        switch (outcome.status().disposition())
        {
            case DELIVERED -> counters.increment(DrainCounter.DELIVERED);
            case DEFERRED -> counters.increment(DrainCounter.DEFERRED);
            case FAILED ->
            {
                counters.increment(DrainCounter.FAILED);
                if (outcome.expired())
                {
                    counters.increment(DrainCounter.EXPIRED);
                }
            }
            default ->
            {
            }
        }
    }

    /**
     * The delivery layer saw the route throttle outside any recipient's reply (a refused connection while
     * opening a pool, a {@code 421} greeting): decreases the route's rate as a throttling reply would.
     */
    public void onRouteThrottled(final String route)
    {
        onThrottle(Objects.requireNonNull(routes.get(route), () -> "no such route: " + route));
    }

    private void onThrottle(final RouteState route)
    {
        counters.increment(DrainCounter.THROTTLE_SIGNALS);
        if (route.onThrottle(time.nanos()))
        {
            counters.increment(DrainCounter.RATE_DECREASES);
        }
    }

    /**
     * Counts a policy rejection against the source and against its network: either may demote. The network's count
     * is what catches a snowshoe flood, whose thousands of addresses see a rejection or two each.
     */
    private void onPolicyRejection(final String sourceKey, final long nowMillis)
    {
        if (context.demotionExemptNetworks().contains(sourceKey))
        {
            return;
        }
        countPolicyRejection(sourceKey, context.demotionPolicyRejections(), nowMillis);
        final String network = networks.networkOf(sourceKey);
        if (!network.equals(sourceKey))
        {
            countPolicyRejection(network, context.demotionNetworkPolicyRejections(), nowMillis);
        }
    }

    /** @param key a source key, or a network key ({@code 198.51.100.0/24}), which never looks like a source key. */
    private void countPolicyRejection(final String key, final int threshold, final long nowMillis)
    {
        final long duration = context.demotionDurationMs();
        SourcePolicy policy = sourcePolicies.get(key);
        if (policy == null)
        {
            policy = new SourcePolicy(nowMillis);
            sourcePolicies.put(key, policy);
            policyTimers.add(new PolicyTimer(nowMillis + duration, key));
        }
        else if (nowMillis - policy.windowStartMillis >= duration && policy.demotedUntilMillis <= nowMillis)
        {
            policy.windowStartMillis = nowMillis;
            policy.rejections = 0;
        }
        policy.rejections++;
        if (policy.rejections >= threshold)
        {
            final boolean wasDemoted = policy.demotedUntilMillis > nowMillis;
            policy.demotedUntilMillis = nowMillis + duration;
            if (!wasDemoted)
            {
                if (policy.reason == null)
                {
                    policy.reason = (key.indexOf('/') >= 0 ? "network " : "source ") + key + " demoted after " + threshold
                        + " policy rejections (5.7.x) upstream";
                }
                counters.increment(DrainCounter.SOURCES_DEMOTED);
                rescheduleSource(key);
            }
        }
    }

    /** One timer per source policy: it re-arms while the window or the demotion lasts, then forgets the source. */
    private int expirePolicy(final String sourceKey, final long nowMillis)
    {
        final SourcePolicy policy = sourcePolicies.get(sourceKey);
        if (policy == null)
        {
            return 0;
        }
        final long windowEnd = policy.windowStartMillis + context.demotionDurationMs();
        final long until = Math.max(windowEnd, policy.demotedUntilMillis);
        if (until > nowMillis)
        {
            policyTimers.add(new PolicyTimer(until, sourceKey));
            return 0;
        }
        sourcePolicies.remove(sourceKey);
        if (policy.demotedUntilMillis > 0)
        {
            rescheduleSource(sourceKey);
        }
        return 1;
    }

    /** @return true while the source is demoted for policy rejections. */
    public boolean isDemoted(final String sourceKey)
    {
        return isDemoted(sourceKey, time.wallMillis());
    }

    private boolean isDemoted(final String sourceKey, final long nowMillis)
    {
        return demotionOf(sourceKey, nowMillis) != null;
    }

    /** @return the demotion in force for the source (its own, else its network's), or null. */
    private SourcePolicy demotionOf(final String sourceKey, final long nowMillis)
    {
        if (sourcePolicies.isEmpty())
        {
            return null;
        }
        final SourcePolicy policy = sourcePolicies.get(sourceKey);
        if (policy != null && policy.demotedUntilMillis > nowMillis)
        {
            return policy;
        }
        final SourcePolicy network = sourcePolicies.get(networks.networkOf(sourceKey));
        return network != null && network.demotedUntilMillis > nowMillis ? network : null;
    }

    /**
     * Moves a source's (or a whole network's) ready mail to where it now belongs: the demotion lane or quarantine, or
     * back to its own lane when a demotion ends (quarantined mail stays quarantined: only an operator releases it).
     */
    private void rescheduleSource(final String key)
    {
        final List<MessageEntry> moving = new ArrayList<>();
        if (key.indexOf('/') >= 0)
        {
            forEachNetworkNode(key, node -> node.children.values()
                .forEach(source -> moving.addAll(source.messages.values())));
        }
        else
        {
            forEachSourceNode(key, node -> moving.addAll(node.messages.values()));
        }
        for (final MessageEntry entry : moving)
        {
            leave(entry);
            place(entry);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Operator controls

    /** Holds back a tenant's mail on every route and lane until resumed; it stays in the spool and is counted. */
    public void pauseTenant(final String tenant)
    {
        if (pausedTenants.add(tenant))
        {
            forEachTenantNode(tenant, node -> setPaused(node, true));
        }
    }

    /** Lifts an operator's pause; a tenant containment holds stays held. */
    public void resumeTenant(final String tenant)
    {
        if (pausedTenants.remove(tenant))
        {
            forEachTenantNode(tenant, node -> setPaused(node, isTenantStopped(tenant)));
        }
    }

    /**
     * Containment's hold: holds back a tenant's mail as {@link #pauseTenant} does, but on its own account, so an
     * operator's resume does not send a held tenant's mail, and a release does not undo an operator's pause.
     */
    public void holdTenant(final String tenant)
    {
        if (heldTenants.add(tenant))
        {
            forEachTenantNode(tenant, node -> setPaused(node, true));
        }
    }

    /** Ends containment's hold; an operator's pause of the tenant stays. */
    public void unholdTenant(final String tenant)
    {
        if (heldTenants.remove(tenant))
        {
            forEachTenantNode(tenant, node -> setPaused(node, isTenantStopped(tenant)));
        }
    }

    private boolean isTenantStopped(final String tenant)
    {
        return pausedTenants.contains(tenant) || heldTenants.contains(tenant);
    }

    /** Stops sending on a route: its mail stays in the spool, counted as paused, until resumed. */
    public void pauseRoute(final String route)
    {
        knownRoute(route).paused = true;
    }

    public void resumeRoute(final String route)
    {
        knownRoute(route).paused = false;
    }

    public boolean isRoutePaused(final String route)
    {
        return knownRoute(route).paused;
    }

    private RouteState knownRoute(final String route)
    {
        final RouteState state = routes.get(route);
        if (state == null)
        {
            throw new IllegalArgumentException("no such route: " + route + " (routes: " + routes.keySet() + ")");
        }
        return state;
    }

    /**
     * An operator's "retry deferred now" (Postfix's {@code postqueue -f}): every deferred message is ready at once,
     * its deferred recipients included, within the routes' rates. The retry schedule applies again from the next
     * outcome on. O(pending): an operator's command, not a hot path.
     *
     * @return how many deferred messages were made ready.
     */
    public int retryDeferredNow()
    {
        final List<MessageEntry> deferred = new ArrayList<>();
        for (final MessageEntry entry : entries.values())
        {
            if (entry.state == MessageEntry.DEFERRED)
            {
                deferred.add(entry);
            }
        }
        for (final MessageEntry entry : deferred)
        {
            leave(entry);
            entry.retryNow = true;
            place(entry);
        }
        counters.add(DrainCounter.RETRIED_NOW, deferred.size());
        return deferred.size();
    }

    /** Holds back a source's mail in every tenant, route and lane until resumed. */
    public void pauseSource(final String sourceKey)
    {
        if (pausedSources.add(sourceKey))
        {
            forEachSourceNode(sourceKey, node -> setPaused(node, true));
        }
    }

    public void resumeSource(final String sourceKey)
    {
        if (pausedSources.remove(sourceKey))
        {
            forEachSourceNode(sourceKey, node -> setPaused(node, false));
        }
    }

    /** @return true if an operator paused the tenant (containment's holds are {@link #isTenantHeld}). */
    public boolean isTenantPaused(final String tenant)
    {
        return pausedTenants.contains(tenant);
    }

    public boolean isTenantHeld(final String tenant)
    {
        return heldTenants.contains(tenant);
    }

    public boolean isSourcePaused(final String sourceKey)
    {
        return pausedSources.contains(sourceKey);
    }

    /** @return the paused tenants, a copy. */
    public Set<String> pausedTenants()
    {
        return Set.copyOf(pausedTenants);
    }

    /** @return the paused sources, a copy. */
    public Set<String> pausedSources()
    {
        return Set.copyOf(pausedSources);
    }

    /** @return the paused routes, a copy. */
    public Set<String> pausedRoutes()
    {
        final Set<String> paused = new HashSet<>();
        for (final RouteState route : routeArray)
        {
            if (route.paused)
            {
                paused.add(route.name);
            }
        }
        return paused;
    }

    private static void setPaused(final FairNode node, final boolean paused)
    {
        node.paused = paused;
        refresh(node);
    }

    /**
     * Changes a route's configured rate and burst at once (an operator's live change); resets any back-off.
     *
     * @throws IllegalArgumentException for an unknown route or a rate or burst out of range.
     */
    public void setRouteRate(final String route, final double ratePerSec, final int burst)
    {
        final RouteState state = routes.get(route);
        if (state == null)
        {
            throw new IllegalArgumentException("no such route: " + route);
        }
        if (!(ratePerSec > 0 && ratePerSec <= DrainContext.MAX_RATE_PER_SEC) || burst < 1)
        {
            throw new IllegalArgumentException("expected a rate above 0 up to " + (long)DrainContext.MAX_RATE_PER_SEC
                + " and a burst of at least 1: " + ratePerSec + ", " + burst);
        }
        state.configure(ratePerSec, burst);
    }

    private void forEachTenantNode(final String tenant, final Consumer<FairNode> action)
    {
        for (final RouteState route : routeArray)
        {
            for (final LaneQueue lane : route.lanes)
            {
                final FairNode node = lane.root.children.get(tenant);
                if (node != null)
                {
                    action.accept(node);
                }
            }
        }
    }

    private void forEachNetworkNode(final String network, final Consumer<FairNode> action)
    {
        final List<FairNode> found = new ArrayList<>();
        for (final RouteState route : routeArray)
        {
            for (final LaneQueue lane : route.lanes)
            {
                for (final FairNode tenant : lane.root.children.values())
                {
                    final FairNode net = tenant.children.get(network);
                    if (net != null)
                    {
                        found.add(net);
                    }
                }
            }
        }
        found.forEach(action);
    }

    private void forEachSourceNode(final String sourceKey, final Consumer<FairNode> action)
    {
        final String network = networks.networkOf(sourceKey);
        final List<FairNode> found = new ArrayList<>();
        for (final RouteState route : routeArray)
        {
            for (final LaneQueue lane : route.lanes)
            {
                for (final FairNode tenant : lane.root.children.values())
                {
                    final FairNode net = tenant.children.get(network);
                    final FairNode source = net == null ? null : net.children.get(sourceKey);
                    if (source != null)
                    {
                        found.add(source);
                    }
                }
            }
        }
        found.forEach(action);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Status

    /**
     * @return a fresh status, computed now; also refreshes the gauge counters. O(active tenants + paused keys), and
     *         O(pending) once every {@link DrainStatus#AGES_INTERVAL_MS} to count the backlog's ages.
     */
    public DrainStatus status()
    {
        final long nowMillis = time.wallMillis();
        if (ages == null || nowMillis - ages.atMillis() >= DrainStatus.AGES_INTERVAL_MS || nowMillis < ages.atMillis())
        {
            ages = StatusBuilder.ages(this, entries.values(), nowMillis);
        }
        final DrainStatus status = StatusBuilder.build(this, time.nanos(), nowMillis, ages);
        counters.set(DrainCounter.READY_MESSAGES, status.ready() + status.paused());
        counters.set(DrainCounter.PAUSED_MESSAGES, status.paused());
        counters.set(DrainCounter.DEFERRED_MESSAGES, status.deferred());
        counters.set(DrainCounter.HELD_MESSAGES, status.held());
        counters.set(DrainCounter.IN_FLIGHT_MESSAGES, status.inFlight());
        return status;
    }

    RouteState[] routeStates()
    {
        return routeArray;
    }

    Set<String> pausedSourceKeys()
    {
        return pausedSources;
    }

    NetworkKeys networks()
    {
        return networks;
    }

    DrainContext context()
    {
        return context;
    }

    /** @return the reply classifier; thread-safe, for delivery threads. */
    public OutcomeClassifier classifier()
    {
        return classifier;
    }

    public DrainCounters counters()
    {
        return counters;
    }

    public RouteTable routeTable()
    {
        return routeTable;
    }

    /** @return the configured route names, in configuration order. */
    public List<String> routeNames()
    {
        return List.copyOf(routes.keySet());
    }

    /** @return the route's rate in force now (after any AIMD back-off), messages per second. */
    public double effectiveRatePerSec(final String route)
    {
        return Objects.requireNonNull(routes.get(route), () -> "no such route: " + route).effectiveRate();
    }

    /** @return messages the scheduler knows of (ready, deferred, held, paused or in flight). */
    public int pendingCount()
    {
        return entries.size();
    }

    /** @return dispatches awaiting their outcome. */
    public int inFlightCount()
    {
        return inFlight.size();
    }

    /** @return true if the message is in flight. */
    public boolean isInFlight(final long messageId)
    {
        final MessageEntry entry = entries.get(messageId);
        return entry != null && entry.state == MessageEntry.IN_FLIGHT;
    }
}
