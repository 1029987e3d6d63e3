package io.sluice.daemon;

import java.util.Objects;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

import io.sluice.admission.SpoolCapacity;
import io.sluice.admission.SpoolPressure;
import io.sluice.drain.DrainAgent;
import io.sluice.drain.DrainContext;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolCounter;

/**
 * Admission's view of the spool, read from the spool's counters (cheap, lock-free), and of the drain: the delay a
 * new message on a lane would see, from the drain's last published status ("active queues ÷ rate", not "backlog ÷
 * rate"). Without a drain (an embedder's, or a test's spool alone) the projected delay is 0. With a
 * {@link SpoolCapacityGauge}, it tells admission what the appliance can hold, for the automatic backlog watermarks.
 */
public final class SpoolPressureGauge implements SpoolPressure
{
    private final Spool spool;
    private final ToLongFunction<String> projectedDelay;
    private final Supplier<SpoolCapacity> capacity;

    /** A gauge with no drain: the projected delay is always 0, the capacity unknown. */
    public SpoolPressureGauge(final Spool spool)
    {
        this(spool, lane -> 0, () -> null);
    }

    /** A gauge whose projected delay is the drain's ({@link DrainAgent#projectedDelayMillis(String)}), the capacity unknown. */
    public SpoolPressureGauge(final Spool spool, final DrainAgent drain)
    {
        this(spool, Objects.requireNonNull(drain, "drain")::projectedDelayMillis, () -> null);
    }

    /** The daemon's gauge: the drain's projected delay and the capacity {@code capacity} reads. */
    SpoolPressureGauge(final Spool spool, final DrainAgent drain, final SpoolCapacityGauge capacity)
    {
        this(spool, Objects.requireNonNull(drain, "drain")::projectedDelayMillis, capacity);
    }

    /**
     * A gauge with no drain (the projected delay is always 0) but with the capacity the daemon's gauge reads: the
     * spool's filesystem, this JVM's direct memory and the rates {@code drainContext} configures. For a harness that
     * measures admission against a real spool with the automatic backlog watermarks the daemon derives.
     */
    public static SpoolPressureGauge withCapacity(final Spool spool, final DrainContext drainContext)
    {
        return new SpoolPressureGauge(spool, lane -> 0, SpoolCapacityGauge.of(spool, drainContext));
    }

    /** @return the daemon's gauge, with the capacity of its spool's filesystem and of this JVM's direct memory. */
    static SpoolPressureGauge of(final Spool spool, final DrainAgent drain, final DrainContext drainContext)
    {
        return new SpoolPressureGauge(spool, drain, SpoolCapacityGauge.of(spool, drainContext));
    }

    private SpoolPressureGauge(final Spool spool, final ToLongFunction<String> projectedDelay,
        final Supplier<SpoolCapacity> capacity)
    {
        this.spool = spool;
        this.projectedDelay = projectedDelay;
        this.capacity = capacity;
    }

    @Override
    public long pendingMessages()
    {
        return spool.counters().get(SpoolCounter.PENDING_MESSAGES);
    }

    @Override
    public long oldestPendingAgeMillis()
    {
        return spool.counters().get(SpoolCounter.OLDEST_PENDING_AGE_MS);
    }

    @Override
    public boolean acceptingMessages()
    {
        return spool.isAcceptingMessages();
    }

    @Override
    public long projectedDelayMillis(final String lane)
    {
        return projectedDelay.applyAsLong(lane);
    }

    @Override
    public SpoolCapacity capacity()
    {
        return capacity.get();
    }
}
