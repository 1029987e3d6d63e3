package io.sluice.drain;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.Predicate;

import io.github.bucket4j.Bucket;
import io.sluice.spool.Envelope;
import io.sluice.spool.PendingMessage;

/**
 * The drain's fair tree: per route, its lanes, and in each lane deficit round robin over tenants, then networks, then
 * sources, then oldest message first; with the token buckets it honours on the way down (the route's, a rate-limited
 * lane's, a tenant's) and the timers of the nodes it parks while their bucket refills. It answers one question, for a
 * route: which ready message goes next, its tokens spent ({@link #pick}). Where a message belongs (ready, deferred,
 * held, in flight) is the {@link DrainScheduler}'s business; this class keeps only the ready ones.
 *
 * <p>Invariant, kept at every change (see {@link FairNode}): a node is in its parent's ring exactly when it has mail
 * it could send now. So a pick costs the depth of the tree, not the number of queues. Drain thread only.
 */
final class FairTree
{
    private final DrainContext context;
    private final SchedulerTime time;
    private final NetworkKeys networks;
    private final PauseSwitches switches;
    private final RouteTable routeTable;
    private final Map<String, RouteState> routes = new LinkedHashMap<>();
    private final RouteState[] routeArray;
    private final Map<String, Integer> laneIndexes = new HashMap<>();
    private final List<LaneSpec> lanes;
    private final int defaultLaneIndex;
    private final int demotionLaneIndex;
    private final Map<String, Bucket> tenantBuckets = new HashMap<>();
    private final PriorityQueue<ParkTimer> parkTimers = new PriorityQueue<>(Comparator.comparingLong(ParkTimer::dueNanos));
    /** Bare messages in every source queue (see {@link SourceQueue}). */
    private long bareCount;
    /** The greatest id ever queued bare: a snapshot of a greater id is of no bare message, and needs no search. */
    private long maxBareId;

    private record ParkTimer(long dueNanos, long seq, FairNode node)
    {
    }

    FairTree(final DrainContext context, final SchedulerTime time, final NetworkKeys networks,
        final EgressTokens.Source egress)
    {
        this.context = context;
        this.time = time;
        this.networks = networks;
        routeTable = context.routeTable();
        lanes = context.laneSpecs();
        final long now = time.nanos();
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
            final RouteState route = new RouteState(spec, context, time, now, egress.forRoute(spec));
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
        switches = new PauseSwitches(context, this);
    }

    /** @return the operator's and containment's switches over these queues: a queue made for a stopped key starts paused. */
    PauseSwitches switches()
    {
        return switches;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Routes and lanes

    /** @return the route, or null for an unknown name. */
    RouteState route(final String name)
    {
        return routes.get(name);
    }

    /** @throws IllegalArgumentException for an unknown route, naming the routes there are. */
    RouteState knownRoute(final String name)
    {
        final RouteState state = routes.get(name);
        if (state == null)
        {
            throw new IllegalArgumentException("no such route: " + name + " (routes: " + routes.keySet() + ")");
        }
        return state;
    }

    RouteState[] routes()
    {
        return routeArray;
    }

    List<String> routeNames()
    {
        return List.copyOf(routes.keySet());
    }

    RouteTable routeTable()
    {
        return routeTable;
    }

    /** @return the lane queue the message belongs in on its route: the demotion lane if demoted and not strict. */
    LaneQueue laneFor(final Envelope envelope, final boolean demoted)
    {
        final RouteState route = routes.get(routeTable.route(envelope.tenant(), envelope.lane()));
        int index = laneIndexes.getOrDefault(envelope.lane(), defaultLaneIndex);
        if (demoted && !lanes.get(index).strict())
        {
            index = demotionLaneIndex;
        }
        return route.lanes.get(index);
    }

    /** @return true if the envelope's lane is strict (notifications): never demoted, never quarantined. */
    boolean isStrictLane(final Envelope envelope)
    {
        return lanes.get(laneIndexes.getOrDefault(envelope.lane(), defaultLaneIndex)).strict();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Picking

    /**
     * @return the entry to send on the route now, taken out of the tree with its route's, lane's and tenant's tokens
     *         spent, its {@code lane} the lane it was picked in; null if the route is paused, its bucket empty, or
     *         nothing on it may be sent now.
     */
    MessageEntry pick(final RouteState route, final long now)
    {
        if (route.paused || route.bucket.getAvailableTokens() < 1 || !hasReady(route))
        {
            return null;
        }
        if (!route.egress.tryTake(now))
        {
            route.onEgressRefused(now);
            return null;
        }
        final MessageEntry entry = pickReady(route, now);
        if (entry == null)
        {
            route.egress.refund();
        }
        return entry;
    }

    /** {@link #pick} once the route's gates let one message through. */
    private MessageEntry pickReady(final RouteState route, final long now)
    {
        for (final LaneQueue lane : route.strictLanes)
        {
            if (lane.root.active && gateOpen(lane.root, now))
            {
                final FairNode leaf = selectLeaf(lane.root, now);
                if (leaf != null)
                {
                    return take(route, lane, leaf);
                }
            }
        }
        // Weighted lanes: each in turn, in configured order, gets up to its weight in picks. A lane with nothing to
        // send when its turn comes loses the turn (deficit round robin forgets the credit of idle queues).
        final int weighted = route.weightedLanes.size();
        for (int step = 0; step < weighted; step++)
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
                    final MessageEntry entry = take(route, lane, leaf);
                    if (laneRoot.deficit <= 0 || !laneRoot.active)
                    {
                        laneRoot.deficit = 0;
                        route.cursor = (route.cursor + 1) % weighted;
                    }
                    return entry;
                }
            }
            laneRoot.deficit = 0;
            route.cursor = (route.cursor + 1) % weighted;
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

    private MessageEntry take(final RouteState route, final LaneQueue lane, final FairNode leaf)
    {
        final MessageEntry entry;
        if (leaf.messages.bareIsFirst())
        {
            // Its entry is made now, to go in flight; its snapshot is read next (DrainScheduler.pick), to send it.
            entry = new MessageEntry(leaf.messages.bare.pollFirst(), tenantOf(leaf), lane);
            bareCount--;
            countOut(leaf);
        }
        else
        {
            entry = leaf.messages.first();
            removeReady(entry);
        }
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
        consume(route.bucket);
        if (lane.laneBucket != null)
        {
            consume(lane.laneBucket);
        }
        final Bucket tenant = tenantBucket(entry.tenant);
        if (tenant != null)
        {
            consume(tenant);
        }
        entry.lane = lane;
        return entry;
    }

    private static void consume(final Bucket bucket)
    {
        if (!bucket.tryConsume(1))
        {
            // Checked before the pick on this same thread, and the scheduler's time never goes back.
            throw new IllegalStateException("egress bucket emptied between check and consume");
        }
    }

    /** Gives back the tokens a pick spent (route, lane, tenant): it was never attempted. */
    void refund(final RouteState route, final LaneQueue lane, final String tenantName)
    {
        route.bucket.addTokens(1);
        route.egress.refund();
        if (lane.laneBucket != null)
        {
            lane.laneBucket.addTokens(1);
        }
        final Bucket tenant = tenantBucket(tenantName);
        if (tenant != null)
        {
            tenant.addTokens(1);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Ready queues

    /** Queues a ready entry under its envelope's tenant, network and source in the lane, making the queues it needs. */
    void enqueueReady(final MessageEntry entry, final LaneQueue lane, final Envelope envelope)
    {
        final FairNode tenant = child(lane.root, FairNode.TENANT, envelope.tenant());
        final FairNode network = child(tenant, FairNode.NETWORK, networks.networkOf(envelope.sourceKey()));
        final FairNode source = child(network, FairNode.SOURCE, envelope.sourceKey());
        source.messages.add(entry);
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
        created.paused = (level == FairNode.TENANT && switches.isTenantStopped(key))
            || (level == FairNode.SOURCE && switches.isSourcePaused(key));
        parent.children.put(key, created);
        return created;
    }

    /** Takes a ready entry out of its source queue; queues that emptied go. */
    void removeReady(final MessageEntry entry)
    {
        final FairNode leaf = entry.leaf;
        if (entry.has(MessageEntry.BARE_COUNTED))
        {
            // A bare message's entry made by readyFrom: its id leaves the queue now.
            leaf.messages.bare.removeKnown(entry.messageId);
            bareCount--;
        }
        else
        {
            leaf.messages.remove(entry);
        }
        countOut(leaf);
        entry.leaf = null;
        entry.state = MessageEntry.NONE;
    }

    /** One ready message left the source queue: the counts above it go down, and queues that emptied go. */
    private static void countOut(final FairNode leaf)
    {
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
    }

    private static String tenantOf(final FairNode source)
    {
        return source.parent.parent.key;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Bare messages: ready, and no entry (see SourceQueue)

    /**
     * Queues a ready message with no entry, only its id and, in its lane's {@link BareAges}, its arrival and size: the
     * message must have nothing for the drain to remember (no operator's request), and be new or out of every other
     * state (a retry come due: {@link WaitingIds}).
     *
     * @return false, changing no count, if its id is not positive: then it needs an entry.
     */
    boolean enqueueBare(final PendingMessage message, final LaneQueue lane)
    {
        final Envelope envelope = message.envelope();
        final FairNode tenant = child(lane.root, FairNode.TENANT, envelope.tenant());
        final FairNode network = child(tenant, FairNode.NETWORK, networks.networkOf(envelope.sourceKey()));
        final FairNode source = child(network, FairNode.SOURCE, envelope.sourceKey());
        if (!source.messages.bare.insert(message.messageId()))
        {
            return false;
        }
        bareCount++;
        maxBareId = Math.max(maxBareId, message.messageId());
        lane.bareAges.add(envelope.tenant(), envelope.receivedAtMillis(), message.contentLength());
        for (FairNode node = source; node != null; node = node.parent)
        {
            node.ready++;
        }
        refresh(source);
        return true;
    }

    /** @return how many ready messages have no entry. */
    long bareCount()
    {
        return bareCount;
    }

    /**
     * Takes a bare message out of its source queue, if it is one: a snapshot of it came (any snapshot but its first
     * gives it an entry), or an operator asked for it by id. Its ages leave with it: {@code message} is any of its
     * snapshots (envelope and size do not change).
     *
     * @return the lane it was queued in, or null if it is not a bare message.
     */
    LaneQueue takeBare(final PendingMessage message)
    {
        final long id = message.messageId();
        if (bareCount == 0 || id > maxBareId)
        {
            return null;
        }
        final Envelope envelope = message.envelope();
        for (int demoted = 0; demoted < 2; demoted++)
        {
            // Queued in its own lane, or in the demotion lane if its source was demoted when it arrived.
            final LaneQueue lane = laneFor(envelope, demoted == 1);
            final FairNode tenant = lane.root.children.get(envelope.tenant());
            final FairNode network = tenant == null ? null : tenant.children.get(networks.networkOf(envelope.sourceKey()));
            final FairNode source = network == null ? null : network.children.get(envelope.sourceKey());
            if (source != null && source.messages.bare.remove(id))
            {
                bareCount--;
                countOut(source);
                lane.bareAges.remove(envelope.tenant(), envelope.receivedAtMillis(), message.contentLength());
                return lane;
            }
        }
        return null;
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

    // ---------------------------------------------------------------------------------------------------------
    // Time

    /** @return how many parked tenants and lanes whose bucket refilled rejoined the round robin. */
    int unparkDue(final long nowNanos)
    {
        int work = 0;
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
        return work;
    }

    /**
     * @return nanoseconds until the first parked node's bucket refills, a route's next AIMD step, or the next token of
     *         a route whose bucket is empty while it has mail ready and {@code canSend} says its delivery has room;
     *         {@code Long.MAX_VALUE} for none.
     */
    long nanosUntilDue(final long nowNanos, final Predicate<String> canSend)
    {
        long due = parkTimers.isEmpty() ? Long.MAX_VALUE : parkTimers.peek().dueNanos() - nowNanos;
        for (final RouteState route : routeArray)
        {
            due = Math.min(due, route.nanosUntilMaintain(nowNanos));
            if (route.bucket.getAvailableTokens() < 1 && hasReady(route) && canSend.test(route.name))
            {
                due = Math.min(due, route.bucket.estimateAbilityToConsume(1).getNanosToWaitForRefill());
            }
            else if (hasReady(route) && canSend.test(route.name))
            {
                // Its own bucket has a token, so what it waits for (if anything) is the shared gate.
                due = Math.min(due, route.egress.nanosUntilRetry(nowNanos));
            }
        }
        return due;
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

    // ---------------------------------------------------------------------------------------------------------
    // Pauses and reschedules

    /** Sets the paused flag of the tenant's queues in every route and lane. */
    void setTenantPaused(final String tenant, final boolean paused)
    {
        for (final RouteState route : routeArray)
        {
            for (final LaneQueue lane : route.lanes)
            {
                final FairNode node = lane.root.children.get(tenant);
                if (node != null)
                {
                    setPaused(node, paused);
                }
            }
        }
    }

    /** Sets the paused flag of the source's queues in every tenant, route and lane. */
    void setSourcePaused(final String sourceKey, final boolean paused)
    {
        sourceNodes(sourceKey).forEach(node -> setPaused(node, paused));
    }

    private static void setPaused(final FairNode node, final boolean paused)
    {
        node.paused = paused;
        refresh(node);
    }

    /**
     * @return the ready entries of a source, or of a whole network for a network key ({@code 198.51.100.0/24}), source
     *         queue by source queue; for its bare messages among them, new entries ({@link MessageEntry#BARE_COUNTED},
     *         still queued: {@link #removeReady} takes them out) that the caller must keep.
     */
    List<MessageEntry> readyFrom(final String key)
    {
        final List<FairNode> sources = new ArrayList<>();
        if (key.indexOf('/') >= 0)
        {
            networkNodes(key).forEach(node -> sources.addAll(node.children.values()));
        }
        else
        {
            sources.addAll(sourceNodes(key));
        }
        final List<MessageEntry> found = new ArrayList<>();
        for (final FairNode source : sources)
        {
            source.messages.addTo(found);
            final String tenant = tenantOf(source);
            for (final long id : source.messages.bare.ids())
            {
                final MessageEntry entry = new MessageEntry(id, tenant, source.lane);
                entry.leaf = source;
                entry.state = MessageEntry.READY;
                found.add(entry);
            }
        }
        return found;
    }

    /** @return the network's queues in every tenant, route and lane. */
    private List<FairNode> networkNodes(final String network)
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
        return found;
    }

    /** @return the source's queues in every tenant, route and lane. */
    private List<FairNode> sourceNodes(final String sourceKey)
    {
        final List<FairNode> found = new ArrayList<>();
        for (final FairNode network : networkNodes(networks.networkOf(sourceKey)))
        {
            final FairNode source = network.children.get(sourceKey);
            if (source != null)
            {
                found.add(source);
            }
        }
        return found;
    }
}
