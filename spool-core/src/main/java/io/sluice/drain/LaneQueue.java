package io.sluice.drain;

import io.github.bucket4j.Bucket;

/** One lane on one route: the root of that lane's fair-queue tree and its counts. Drain thread only. */
final class LaneQueue
{
    final RouteState route;
    final LaneSpec spec;
    final int index;
    /** The lane's own limit, shared by the lane on every route; null when it has none. */
    final Bucket laneBucket;
    final FairNode root;
    final RateMeter meter;
    long deferred;
    long held;
    long inFlight;
    /** The ages of this lane's bare ready messages, which have no entry: see {@link SourceQueue}. */
    final BareAges bareAges = new BareAges();

    LaneQueue(final RouteState route, final LaneSpec spec, final int index, final Bucket laneBucket, final RateMeter meter)
    {
        this.route = route;
        this.spec = spec;
        this.index = index;
        this.laneBucket = laneBucket;
        this.meter = meter;
        // Lanes take turns in configured order (RouteState.weightedLanes), not in a ring, so the last lane listed
        // (suspect) is always served last in each round whatever order its mail arrived in.
        root = new FairNode(FairNode.LANE, spec.name(), null, this, Math.max(1, spec.weight()), null);
    }
}
