package io.sluice.drain;

import java.nio.file.Path;
import java.util.List;

import io.sluice.config.Concludable;
import io.sluice.config.Setting;

/**
 * The settings of the per-route rate learner ({@link RateLearner}) and of throttled mail's requeue, part of
 * {@link DrainContext}: each key declared once, a fluent setter, and one {@link #conclude()} that names the first bad
 * key. The back-off factor, the recovery step, the interval and the floor stay the {@code drain.aimd.*} settings.
 */
public final class RateLearningSettings extends Concludable
{
    /** The learned rate's file name in the spool directory, when {@link #STATE_FILE} is empty. */
    public static final String STATE_FILE_NAME = "route-rates.state";

    /** How close under the learned ceiling a route holds: the measured limit times this. */
    public static final Setting<Double> HOLD_FRACTION = Setting.ofDouble("drain.rate.holdFraction", 0.97)
        .range(0.5, 1.0)
        .doc("After a throttle, a route's rate is set to this fraction of the rate the upstream accepted (its "
            + "learned ceiling), and held there: just under the provider's real limit, so it draws no throttling. "
            + "See [the rate learner](drain-and-delivery.md#learning-the-providers-limit).")
        .build();

    /** How long a route holds under its learned ceiling, with no throttling, before it probes above it. */
    public static final Setting<Long> PROBE_AFTER_MS = Setting.ofLong("drain.rate.probeAfterMs", 10_000)
        .positive()
        .doc("How long a route holds under its learned ceiling without throttling before it probes above it, in "
            + "case the provider raised its limit. Longer: fewer throttles; shorter: a raised limit is found sooner.")
        .build();

    /** The probe's growth: the k-th interval of a probe adds k times this fraction of the ceiling. */
    public static final Setting<Double> PROBE_STEP = Setting.ofDouble("drain.rate.probeStep", 0.01)
        .check(step -> step > 0 && step <= 1, "more than 0.0, up to 1.0")
        .doc("While probing, the k-th interval adds k times this fraction of the learned ceiling to the rate "
            + "(1 %, 2 %, 3 %, ...): gentle just above the ceiling, quick if the limit went up a lot.")
        .build();

    /**
     * Throttle replies in a row a message may draw and still go back to the head of its queue, spending no attempt;
     * the next one is a deferral, as any temporary failure.
     */
    public static final Setting<Integer> REQUEUE_LIMIT = Setting.ofInt("drain.throttle.requeueLimit", 5)
        .range(1, 1000)
        .doc("The throttle reply (421, 4.7.x, a refused connection) in a row that makes a message a deferral (the retry "
            + "schedule); the ones before it send the message back to the head of its queue for the route's next token, "
            + "spending no attempt. Throttles of one message within one drain.aimd.intervalMs count once. 1: every "
            + "throttle is a deferral.")
        .build();

    /** Where learned route rates are kept across restarts; empty: {@value #STATE_FILE_NAME} in the spool directory. */
    public static final Setting<String> STATE_FILE = Setting.ofString("drain.rate.stateFile", "")
        .checkedWith("a file path, or empty")
        .doc("Where each route's learned rate and ceiling are kept across restarts (empty: " + STATE_FILE_NAME
            + " in the spool directory).")
        .build();

    /** Every declaration above, in the order the configuration reference lists them. */
    public static final List<Setting<?>> SETTINGS = List.of(HOLD_FRACTION, PROBE_AFTER_MS, PROBE_STEP, REQUEUE_LIMIT, STATE_FILE);

    private double holdFraction = HOLD_FRACTION.defaultValue();
    private long probeAfterMs = PROBE_AFTER_MS.defaultValue();
    private double probeStep = PROBE_STEP.defaultValue();
    private int requeueLimit = REQUEUE_LIMIT.defaultValue();
    private Path stateFile;

    /** Validates every setting; idempotent. */
    public RateLearningSettings conclude()
    {
        if (!isConcluded())
        {
            HOLD_FRACTION.validate(holdFraction);
            PROBE_AFTER_MS.validate(probeAfterMs);
            PROBE_STEP.validate(probeStep);
            REQUEUE_LIMIT.validate(requeueLimit);
            markConcluded();
        }
        return this;
    }

    public RateLearningSettings holdFraction(final double holdFraction)
    {
        checkMutable();
        this.holdFraction = holdFraction;
        return this;
    }

    public double holdFraction()
    {
        return holdFraction;
    }

    public RateLearningSettings probeAfterMs(final long probeAfterMs)
    {
        checkMutable();
        this.probeAfterMs = probeAfterMs;
        return this;
    }

    public long probeAfterMs()
    {
        return probeAfterMs;
    }

    public RateLearningSettings probeStep(final double probeStep)
    {
        checkMutable();
        this.probeStep = probeStep;
        return this;
    }

    public double probeStep()
    {
        return probeStep;
    }

    public RateLearningSettings requeueLimit(final int requeueLimit)
    {
        checkMutable();
        this.requeueLimit = requeueLimit;
        return this;
    }

    public int requeueLimit()
    {
        return requeueLimit;
    }

    /** @param stateFile where learned rates are kept across restarts; null: not kept. */
    public RateLearningSettings stateFile(final Path stateFile)
    {
        checkMutable();
        this.stateFile = stateFile;
        return this;
    }

    /** @return where learned rates are kept, or null. */
    public Path stateFile()
    {
        return stateFile;
    }
}
