package io.sluice.drain;

import java.util.ArrayDeque;
import java.util.HashMap;

/**
 * One queue in the scheduler's tree: route → lane → tenant → network → source → messages. Inner nodes keep a
 * round-robin ring of their active children and serve them by deficit round robin: a child at the head of the
 * ring is given {@code quantum} picks per turn, then moves to the tail. Messages cost one pick each (the route's
 * rate is in messages), so this is weighted round robin with an O(1) pick per level.
 *
 * <p>A node is <em>active</em> (in its parent's ring) exactly when it has mail it could send now: it is not paused,
 * not parked waiting for its tenant's or lane's bucket, and its ring (or, for a source, its message queue) is not
 * empty. Keeping that invariant at every change, instead of skipping idle queues while picking, is what makes a
 * pick cost the depth of the tree and not the number of queues. Confined to the drain thread.
 */
final class FairNode
{
    static final int LANE = 0;
    static final int TENANT = 1;
    static final int NETWORK = 2;
    static final int SOURCE = 3;

    final int level;
    final String key;
    final FairNode parent;
    final LaneQueue lane;
    final int quantum;
    /** Where this node sits while active: its parent's ring; null for lanes, which take turns in configured order. */
    final ArrayDeque<FairNode> ownerRing;
    final HashMap<String, FairNode> children;
    final ArrayDeque<FairNode> ring;
    /** Oldest first: message ids grow with arrival time. Sources only. */
    final SourceQueue messages;

    int deficit;
    /** Ready messages in this subtree, paused or parked ones included. */
    long ready;
    boolean active;
    boolean paused;
    boolean parked;
    long parkSeq;
    boolean detached;

    FairNode(final int level, final String key, final FairNode parent, final LaneQueue lane, final int quantum,
        final ArrayDeque<FairNode> ownerRing)
    {
        this.level = level;
        this.key = key;
        this.parent = parent;
        this.lane = lane;
        this.quantum = quantum;
        this.ownerRing = ownerRing;
        final boolean leaf = level == SOURCE;
        children = leaf ? null : new HashMap<>();
        ring = leaf ? null : new ArrayDeque<>();
        messages = leaf ? new SourceQueue(this) : null;
    }

    boolean isLeaf()
    {
        return level == SOURCE;
    }

    boolean hasWork()
    {
        return isLeaf() ? !messages.isEmpty() : !ring.isEmpty();
    }

    boolean shouldBeActive()
    {
        return !paused && !parked && !detached && hasWork();
    }

    @Override
    public String toString()
    {
        return key;
    }
}
