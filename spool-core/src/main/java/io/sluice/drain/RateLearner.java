package io.sluice.drain;

/**
 * Learns a route's real limit from the upstream's replies and sets the rate the route's bucket refills at. Drain
 * thread only; all times are the scheduler's nanoseconds.
 *
 * <p>Why not plain AIMD: halving on a throttle and adding 5 % of the configured rate per second saws between half the
 * provider's limit and a little above it (measured: 59 to 115 msgs/s against a provider allowing 100, 80 % on
 * average). The limit is not a secret: while the route sends at {@code r} and the provider refuses the excess, the
 * share of attempts it accepts, {@code f}, says what it allows, {@code r × f}. So:
 *
 * <ol>
 *   <li><b>Throttle</b>: the <i>ceiling</i> becomes {@code r × max(f, decreaseFactor)}, with {@code f} counted over
 *       the last interval, and the rate {@code holdFraction × ceiling}: just under what the provider took. The decrease
 *       factor only bounds the cut where the replies were too few to measure. Once per interval (the replies of
 *       everything in flight arrive together and mean one thing), unless a quarter of an interval and at least
 *       {@value #MIN_REPLIES} replies since the last cut show that it was too small: then {@code f} is counted over those
 *       replies.</li>
 *   <li><b>Capacity</b>: two intervals in a row in which the delivery had no room for mail the route's bucket allowed
 *       (every connection busy: a provider that enforces its rate by delaying its replies, or a connection limit), the
 *       second with fewer than {@code holdFraction × r} accepted per second: the rate is what was accepted, and that is
 *       the ceiling. One such interval is not enough: the first after a route starts sending is spent opening its
 *       connections, and at d71a398 it cut a 1,000 msgs/s route to 501 at the start of a drain, which then took 40 s
 *       to climb back.
 *       Nothing was refused, so nothing is held back under it, and the first interval with room climbs back by
 *       {@code recoveryFraction} of the configured rate (no hold, no probe): the published rate and ETA stay true
 *       without costing a loaded host its rate for long. Not when, within the interval, the delivery was full because
 *       its slots waited for their outcomes to be journaled ({@link #onLocalStall}): that is this host's own journal
 *       (retention copying a file forward, an msync on a busy disk), not the upstream, and what was accepted then says
 *       nothing of what the upstream allows. Measured at 68d5969 on a loaded host (benchmarks/results/
 *       2026-12-06-vm-session7-eta/): such intervals cut a 1,000 msgs/s route 54 times in a 200,000 drain, as low as
 *       86 msgs/s, for a host that delivered 964 msgs/s once they were told apart; the ETA swung by up to 190 %.</li>
 *   <li><b>Hold, then probe</b>: below {@code holdFraction × ceiling} (after the fallback cut, or an operator's
 *       change) the rate climbs back by {@code recoveryFraction} of the configured rate per interval. At the hold
 *       point it stays {@code probeAfter} without a throttle, then probes: the k-th interval adds {@code k × probeStep}
 *       of the ceiling, so the first steps past the ceiling are small (few throttles if the limit stands) and the
 *       steps grow if the provider raised its limit. A probe that reaches the configured rate forgets the ceiling.</li>
 * </ol>
 *
 * Never above the configured rate, never below the floor (or the configured rate, if lower); an interval without
 * successes neither probes nor climbs (an idle route learns nothing).
 */
final class RateLearner
{
    /** What {@link #maintain} did. */
    enum Step
    {
        NONE, RAISED, LOWERED,
        /** A full interval the learner did not read as a capacity limit: its slots waited on the local journal. */
        LOCAL_STALL
    }

    /** Replies since the last decrease that may lower the rate again within the interval. */
    private static final int MIN_REPLIES = 20;

    private final double decreaseFactor;
    private final double recoveryFraction;
    private final long intervalNanos;
    private final double floorRate;
    private final double holdFraction;
    private final long probeAfterNanos;
    private final double probeStep;
    /** Replies over the last interval: the acceptance share at a throttle, the accepted rate at a capacity limit. */
    private final RateMeter accepted;
    private final RateMeter throttled;
    private double configuredRate;
    private double rate;
    /** The rate the upstream was last measured to accept; 0 while unknown (nothing below the configured rate limits). */
    private double ceiling;
    /** The ceiling is what a full delivery got through, not what the upstream refused beyond: see {@link #raise}. */
    private boolean ceilingFromCapacity;
    /** Replies since the last decrease: whether the decreased rate is still too high, before an interval has passed. */
    private long acceptedSinceDecrease;
    private long throttledSinceDecrease;
    private long lastDecreaseNanos;
    private long lastThrottleNanos;
    private long lastAdjustNanos;
    private long holdSinceNanos;
    private int probeSteps;
    private long successes;
    private boolean saturated;
    /** The last interval was saturated too (not by a local stall): see the class comment, 2. */
    private boolean saturatedBefore;
    private boolean localStall;
    private long throttleSignals;
    private long capacitySignals;
    private long decreases;
    private long increases;

    RateLearner(final DrainContext context, final double configuredRate, final long nowNanos)
    {
        final RateLearningSettings learning = context.rateLearning();
        decreaseFactor = context.aimdDecreaseFactor();
        recoveryFraction = context.aimdRecoveryFraction();
        intervalNanos = context.aimdIntervalMs() * 1_000_000L;
        floorRate = context.aimdFloorRatePerSec();
        holdFraction = learning.holdFraction();
        probeAfterNanos = learning.probeAfterMs() * 1_000_000L;
        probeStep = learning.probeStep();
        this.configuredRate = configuredRate;
        rate = configuredRate;
        accepted = new RateMeter(intervalNanos, nowNanos);
        throttled = new RateMeter(intervalNanos, nowNanos);
        lastDecreaseNanos = nowNanos - intervalNanos;
        lastThrottleNanos = nowNanos - intervalNanos;
        lastAdjustNanos = nowNanos;
        holdSinceNanos = nowNanos;
    }

    void onAccepted(final long nowNanos)
    {
        successes++;
        if (settled(nowNanos))
        {
            acceptedSinceDecrease++;
        }
        accepted.record(nowNanos, 1);
    }

    /**
     * A throttling reply (or a refused connection, a {@code 421} greeting).
     *
     * @return true if the rate went down (at most once per interval): the caller empties the bucket.
     */
    boolean onThrottle(final long nowNanos)
    {
        throttleSignals++;
        if (settled(nowNanos))
        {
            throttledSinceDecrease++;
        }
        throttled.record(nowNanos, 1);
        lastThrottleNanos = nowNanos;
        final long sinceDecrease = nowNanos - lastDecreaseNanos;
        final double share;
        if (sinceDecrease >= intervalNanos)
        {
            final double acceptedRate = accepted.ratePerSec(nowNanos);
            final double throttledRate = throttled.ratePerSec(nowNanos);
            share = acceptedRate + throttledRate > 0 ? acceptedRate / (acceptedRate + throttledRate) : 0;
        }
        else if (sinceDecrease >= intervalNanos / 4 && acceptedSinceDecrease + throttledSinceDecrease >= MIN_REPLIES)
        {
            // The first throttle of a drain often comes as the provider's own burst runs out, when nearly everything
            // in the last interval was still accepted: the cut is too small, and the replies since say so at once.
            // Only replies from after the settling eighth count (see settled): at 33c2cc6 the refusals of attempts
            // already under way at the cut were charged to the lowered rate, and a 100/s provider was cut to 88/s.
            share = acceptedSinceDecrease / (double)(acceptedSinceDecrease + throttledSinceDecrease);
        }
        else
        {
            return false;
        }
        lastDecreaseNanos = nowNanos;
        acceptedSinceDecrease = 0;
        throttledSinceDecrease = 0;
        holdSinceNanos = nowNanos;
        probeSteps = 0;
        ceilingFromCapacity = false;
        ceiling = Math.max(floor(), rate * Math.max(decreaseFactor, share));
        final double lowered = Math.max(floor(), holdFraction * ceiling);
        if (lowered >= rate)
        {
            return false;
        }
        rate = lowered;
        decreases++;
        return true;
    }

    /** The delivery had no room for the route's ready mail just now: see the class comment, 2. */
    void onSaturated()
    {
        saturated = true;
    }

    /**
     * The delivery had no room for the route's ready mail just now because its slots wait for their outcomes to be
     * journaled, not for the upstream: the interval is not read as a capacity limit (see the class comment, 2).
     */
    void onLocalStall()
    {
        saturated = true;
        localStall = true;
    }

    /** @return nanoseconds until {@link #maintain} has a step to take; 0 if now. */
    long nanosUntilMaintain(final long nowNanos)
    {
        return Math.max(0, intervalNanos - (nowNanos - lastAdjustNanos));
    }

    /** Once per interval: the capacity check, then the climb back or the probe. */
    Step maintain(final long nowNanos)
    {
        if (nowNanos - lastAdjustNanos < intervalNanos)
        {
            return Step.NONE;
        }
        Step step = Step.NONE;
        final boolean quiet = nowNanos - lastThrottleNanos >= intervalNanos;
        if (localStall)
        {
            // The replies were in and the journal was late: nothing was learned of the upstream, neither a cut nor a climb.
            step = Step.LOCAL_STALL;
        }
        else if (saturated && saturatedBefore && quiet && nowNanos - lastDecreaseNanos >= intervalNanos)
        {
            step = capacityLimited(nowNanos);
        }
        else if (successes > 0 && quiet && rate < configuredRate)
        {
            step = raise(nowNanos);
        }
        saturatedBefore = saturated && !localStall;
        saturated = false;
        localStall = false;
        successes = 0;
        lastAdjustNanos = nowNanos;
        return step;
    }

    private Step capacityLimited(final long nowNanos)
    {
        capacitySignals++;
        holdSinceNanos = nowNanos;
        probeSteps = 0;
        final double acceptedRate = accepted.ratePerSec(nowNanos);
        if (!(acceptedRate > 0) || acceptedRate >= holdFraction * rate)
        {
            // Nothing accepted: the upstream is down, not slow (the delivery layer backs off from it); or nearly the
            // whole rate went through: the rate is right.
            return Step.NONE;
        }
        ceiling = Math.max(floor(), acceptedRate);
        ceilingFromCapacity = true;
        rate = ceiling;
        lastDecreaseNanos = nowNanos;
        decreases++;
        return Step.LOWERED;
    }

    private Step raise(final long nowNanos)
    {
        if (ceilingFromCapacity && ceiling > 0)
        {
            // Nothing was refused: a rate above what the delivery gets through costs nothing but a wrong ETA. An
            // interval with room climbs back at once (a loaded host, a provider that stopped delaying), and the ceiling
            // follows what was accepted, so the ETA counts what goes through.
            ceiling = Math.max(ceiling, accepted.ratePerSec(nowNanos));
            rate = Math.min(configuredRate, rate + recoveryFraction * configuredRate);
            if (rate >= configuredRate)
            {
                ceiling = 0;
                ceilingFromCapacity = false;
            }
            increases++;
            return Step.RAISED;
        }
        final double hold = ceiling > 0 ? Math.min(configuredRate, holdFraction * ceiling) : configuredRate;
        if (rate < hold)
        {
            rate = Math.min(hold, rate + recoveryFraction * configuredRate);
        }
        else if (nowNanos - holdSinceNanos >= probeAfterNanos)
        {
            probeSteps++;
            rate = Math.min(configuredRate, rate + probeSteps * probeStep * Math.max(ceiling, floor()));
        }
        else
        {
            return Step.NONE;
        }
        if (rate >= configuredRate)
        {
            ceiling = 0;
            probeSteps = 0;
        }
        increases++;
        return Step.RAISED;
    }

    /**
     * @return whether a reply at {@code nowNanos} answers an attempt sent at the current rate: replies within an eighth
     *         of an interval of a cut mostly answer attempts under way before it, sent at the old rate.
     */
    private boolean settled(final long nowNanos)
    {
        return nowNanos - lastDecreaseNanos >= intervalNanos / 8;
    }

    private double floor()
    {
        return Math.min(floorRate, configuredRate);
    }

    /** An operator's change of the configured rate: takes effect at once and forgets what was learned. */
    void configure(final double ratePerSec)
    {
        configuredRate = ratePerSec;
        rate = ratePerSec;
        ceiling = 0;
        ceilingFromCapacity = false;
        probeSteps = 0;
    }

    /**
     * What a restart restores (see {@link RouteRateStateFile}): the learned rate and ceiling, never above the
     * configured rate, never below the floor; held from now before the next probe.
     */
    void restore(final double learnedRate, final double learnedCeiling, final long nowNanos)
    {
        rate = Math.max(floor(), Math.min(configuredRate, learnedRate));
        ceiling = learnedCeiling > 0 && learnedCeiling < configuredRate ? Math.max(floor(), learnedCeiling) : 0;
        holdSinceNanos = nowNanos;
        probeSteps = 0;
    }

    double configuredRate()
    {
        return configuredRate;
    }

    double rate()
    {
        return rate;
    }

    /**
     * @return the rate the route can be expected to drain at while it has a backlog: its rate, but no more than the
     *         ceiling while a probe is above it (a probe tests the provider; the ETA must not count on it).
     */
    double expectedRate()
    {
        return ceiling > 0 ? Math.min(rate, ceiling) : rate;
    }

    /** @return the rate the upstream was last measured to accept, 0 while none was measured (or a probe passed it). */
    double ceiling()
    {
        return ceiling;
    }

    long throttleSignals()
    {
        return throttleSignals;
    }

    long capacitySignals()
    {
        return capacitySignals;
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
