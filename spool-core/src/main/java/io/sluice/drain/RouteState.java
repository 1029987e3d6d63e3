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
 * One route: its egress bucket, its AIMD-controlled rate and its lanes. Drain thread only.
 *
 * <p>AIMD, as TCP does it: a throttling reply multiplies the rate by {@code decreaseFactor} and empties the
 * bucket (no burst into a relay that just said "slow down"), at most once per interval, because the replies of
 * every transaction in flight when the relay started to throttle arrive together and mean one thing. Each interval
 * with successes and no throttling adds {@code recoveryFraction} of the configured rate, up to the configured rate.
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

    private final double decreaseFactor;
    private final double recoveryFraction;
    private final long intervalNanos;
    private final double floorRate;
    private double configuredRate;
    private int configuredBurst;
    private double effectiveRate;
    private long lastDecreaseNanos;
    private long lastThrottleNanos;
    private long lastAdjustNanos;
    private long successes;
    private long throttleSignals;
    private long decreases;
    private long increases;

    RouteState(final RouteSpec spec, final DrainContext context, final TimeMeter time, final long nowNanos,
        final EgressTokens egress)
    {
        this.egress = egress;
        name = spec.name();
        configuredRate = spec.ratePerSec();
        configuredBurst = spec.burst();
        effectiveRate = configuredRate;
        decreaseFactor = context.aimdDecreaseFactor();
        recoveryFraction = context.aimdRecoveryFraction();
        intervalNanos = context.aimdIntervalMs() * 1_000_000L;
        floorRate = context.aimdFloorRatePerSec();
        lastDecreaseNanos = nowNanos - intervalNanos;
        lastThrottleNanos = nowNanos - intervalNanos;
        lastAdjustNanos = nowNanos;
        bucket = newBucket(configuredRate, configuredBurst, time);
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
        final long capacity = Math.max(1, Math.round(configuredBurst * effectiveRate / configuredRate));
        final BucketConfiguration configuration = BucketConfiguration.builder()
            .addLimit(limit -> limit.capacity(capacity).refillGreedy(refillTokens(effectiveRate), Duration.ofSeconds(1000)))
            .build();
        bucket.replaceConfiguration(configuration, TokensInheritanceStrategy.AS_IS);
    }

    /** @return true if the rate went down (at most once per interval). */
    boolean onThrottle(final long nowNanos)
    {
        throttleSignals++;
        lastThrottleNanos = nowNanos;
        if (nowNanos - lastDecreaseNanos < intervalNanos)
        {
            return false;
        }
        lastDecreaseNanos = nowNanos;
        final double floor = Math.min(floorRate, configuredRate);
        final double lowered = Math.max(floor, effectiveRate * decreaseFactor);
        bucket.tryConsumeAsMuchAsPossible();
        if (lowered >= effectiveRate)
        {
            return false;
        }
        effectiveRate = lowered;
        decreases++;
        applyRate();
        return true;
    }

    void onSuccess()
    {
        successes++;
    }

    /** @return nanoseconds until {@link #maintain} has a step to take; 0 if now. */
    long nanosUntilMaintain(final long nowNanos)
    {
        return Math.max(0, intervalNanos - (nowNanos - lastAdjustNanos));
    }

    /** @return true if the rate recovered a step. */
    boolean maintain(final long nowNanos)
    {
        if (nowNanos - lastAdjustNanos < intervalNanos)
        {
            return false;
        }
        boolean raised = false;
        if (successes > 0 && effectiveRate < configuredRate && nowNanos - lastThrottleNanos >= intervalNanos)
        {
            effectiveRate = Math.min(configuredRate, effectiveRate + recoveryFraction * configuredRate);
            increases++;
            applyRate();
            raised = true;
        }
        successes = 0;
        lastAdjustNanos = nowNanos;
        return raised;
    }

    /** An operator's change: takes effect at once and resets any back-off. */
    void configure(final double ratePerSec, final int burst)
    {
        configuredRate = ratePerSec;
        configuredBurst = burst;
        effectiveRate = ratePerSec;
        applyRate();
        egress.configure(ratePerSec, burst);
    }

    double configuredRate()
    {
        return configuredRate;
    }

    double effectiveRate()
    {
        return effectiveRate;
    }

    long throttleSignals()
    {
        return throttleSignals;
    }

    long decreases()
    {
        return decreases;
    }

    long increases()
    {
        return increases;
    }
}
