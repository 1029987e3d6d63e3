package io.sluice.drain;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.TokensInheritanceStrategy;
import io.github.bucket4j.local.SynchronizationStrategy;

/**
 * One route: its egress bucket, its learned rate and its lanes. Drain thread only.
 *
 * <p>Its rate is its {@link RateLearner}'s: learned from the upstream's replies, never above the configured rate.
 */
final class RouteState
{
    final String name;
    final List<LaneQueue> strictLanes = new ArrayList<>();
    /** Weighted lanes in configured order; {@link #cursor} is the one whose turn it is. */
    final List<LaneQueue> weightedLanes = new ArrayList<>();
    int cursor;
    final List<LaneQueue> lanes = new ArrayList<>();
    final Bucket bucket;
    /** The second gate beside {@link #bucket}: a shared rate's tokens ({@link EgressTokens#UNLIMITED} on one appliance). */
    final EgressTokens egress;
    final RateMeter meter;
    /** New messages routed here per second, for an ETA that counts the mail still arriving. */
    final RateMeter arrivals;
    /** Paused by an operator: nothing is picked on it; its mail counts as paused. */
    boolean paused;

    private final RateLearner learner;
    private int configuredBurst;
    private final TimeMeter time;
    /** How recently the egress gate must have refused for the delivery's lack of room to say nothing: an interval. */
    private final long gateWindowNanos;
    private long egressRefusedAtNanos;

    RouteState(final RouteSpec spec, final DrainContext context, final TimeMeter time, final long nowNanos,
        final EgressTokens egress)
    {
        this.egress = egress;
        this.time = time;
        gateWindowNanos = context.aimdIntervalMs() * 1_000_000L;
        egressRefusedAtNanos = nowNanos - gateWindowNanos;
        name = spec.name();
        configuredBurst = spec.burst();
        learner = new RateLearner(context, spec.ratePerSec(), nowNanos);
        bucket = newBucket(spec.ratePerSec(), configuredBurst, time);
        meter = new RateMeter(context.rateWindowMs() * 1_000_000L, nowNanos);
        arrivals = new RateMeter(context.rateWindowMs() * 1_000_000L, nowNanos);
    }

    /**
     * A bucket holding {@code burst} tokens and refilling {@code ratePerSec} continuously ("greedy"). Bucket4j counts
     * refills in whole tokens per period, so a fractional rate is written as thousandths of a token per 1000 s.
     */
    static Bucket newBucket(final double ratePerSec, final long burst, final TimeMeter time)
    {
        return Bucket.builder()
            .addLimit(limit -> limit.capacity(burst).refillGreedy(refillTokens(ratePerSec), Duration.ofSeconds(1000)))
            .withCustomTimePrecision(time)
            .withSynchronizationStrategy(SynchronizationStrategy.NONE)
            .build();
    }

    private static long refillTokens(final double ratePerSec)
    {
        return Math.max(1, Math.round(ratePerSec * 1000));
    }

    private void applyRate()
    {
        final double effectiveRate = learner.rate();
        final long capacity = Math.max(1, Math.round(configuredBurst * effectiveRate / learner.configuredRate()));
        final BucketConfiguration configuration = BucketConfiguration.builder()
            .addLimit(limit -> limit.capacity(capacity).refillGreedy(refillTokens(effectiveRate), Duration.ofSeconds(1000)))
            .build();
        bucket.replaceConfiguration(configuration, TokensInheritanceStrategy.AS_IS);
    }

    /**
     * A throttling reply: the learner may lower the rate (at most once per interval); then the bucket is emptied, so
     * nothing bursts into a relay that just said "slow down".
     *
     * @return true if the rate went down.
     */
    boolean onThrottle(final long nowNanos)
    {
        final double before = learner.rate();
        final boolean lowered = learner.onThrottle(nowNanos);
        if (lowered || learner.rate() != before)
        {
            bucket.tryConsumeAsMuchAsPossible();
            applyRate();
        }
        return lowered;
    }

    void onSuccess(final long nowNanos)
    {
        learner.onAccepted(nowNanos);
    }

    /** @return true if any lane of the route has mail ready to send. */
    boolean hasReady()
    {
        for (final LaneQueue lane : lanes)
        {
            if (lane.root.ready > 0)
            {
                return true;
            }
        }
        return false;
    }

    /**
     * The delivery had no room for this route's ready mail: a capacity limit, for the learner; unless the egress gate
     * refused within the last interval. In a fleet the shared rate holds each node to its share (50 msgs/s of 100 with
     * two busy nodes), so its connections filling up then says nothing of the provider: read as a capacity limit, it
     * pinned a node's own rate to its share and the fleet sent 87 msgs/s of 100 once the nodes' shares changed.
     */
    void onSaturated()
    {
        if (time.currentTimeNanos() - egressRefusedAtNanos >= gateWindowNanos)
        {
            learner.onSaturated();
        }
    }

    /** The delivery had no room because its slots wait on the local journal: see {@link RateLearner#onLocalStall}. */
    void onLocalStall()
    {
        learner.onLocalStall();
    }

    /** The egress gate (a fleet's shared rate) refused a token: see {@link #onSaturated}. */
    void onEgressRefused(final long nowNanos)
    {
        egressRefusedAtNanos = nowNanos;
    }

    /** @return nanoseconds until {@link #maintain} has a step to take; 0 if now. */
    long nanosUntilMaintain(final long nowNanos)
    {
        return learner.nanosUntilMaintain(nowNanos);
    }

    /** @return what the learner did this interval, the bucket following its rate. */
    RateLearner.Step maintain(final long nowNanos)
    {
        final RateLearner.Step step = learner.maintain(nowNanos);
        if (step != RateLearner.Step.NONE)
        {
            applyRate();
        }
        return step;
    }

    /** An operator's change: takes effect at once and forgets what was learned. */
    void configure(final double ratePerSec, final int burst)
    {
        configuredBurst = burst;
        learner.configure(ratePerSec);
        applyRate();
        egress.configure(ratePerSec, burst);
    }

    /** A restart's learned rate and ceiling ({@link RouteRateStateFile}). */
    void restoreLearned(final double learnedRate, final double learnedCeiling, final long nowNanos)
    {
        learner.restore(learnedRate, learnedCeiling, nowNanos);
        applyRate();
    }

    double configuredRate()
    {
        return learner.configuredRate();
    }

    double effectiveRate()
    {
        return learner.rate();
    }

    /** @return what the route is expected to drain at: its rate, but not a probe above its learned ceiling. */
    double expectedRate()
    {
        return learner.expectedRate();
    }

    /** @return the rate the upstream was last measured to accept; 0 if none is known. */
    double learnedCeiling()
    {
        return learner.ceiling();
    }

    long throttleSignals()
    {
        return learner.throttleSignals();
    }

    long capacitySignals()
    {
        return learner.capacitySignals();
    }

    long decreases()
    {
        return learner.decreases();
    }

    long increases()
    {
        return learner.increases();
    }
}
