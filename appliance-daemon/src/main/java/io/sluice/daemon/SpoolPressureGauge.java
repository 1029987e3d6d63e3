package io.sluice.daemon;

import java.util.Objects;
import java.util.function.ToLongFunction;

import io.sluice.admission.SpoolPressure;
import io.sluice.drain.DrainAgent;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolCounter;

/**
 * Admission's view of the spool, read from the spool's counters (cheap, lock-free), and of the drain: the delay a
 * new message on a lane would see, from the drain's last published status ("active queues ÷ rate", not "backlog ÷
 * rate"). Without a drain (an embedder's, or a test's spool alone) the projected delay is 0.
 */
public final class SpoolPressureGauge implements SpoolPressure
{
    private final Spool spool;
    private final ToLongFunction<String> projectedDelay;

    /** A gauge with no drain: the projected delay is always 0. */
    public SpoolPressureGauge(final Spool spool)
    {
        this(spool, lane -> 0);
    }

    /** A gauge whose projected delay is the drain's ({@link DrainAgent#projectedDelayMillis(String)}). */
    public SpoolPressureGauge(final Spool spool, final DrainAgent drain)
    {
        this(spool, Objects.requireNonNull(drain, "drain")::projectedDelayMillis);
    }

    private SpoolPressureGauge(final Spool spool, final ToLongFunction<String> projectedDelay)
    {
        this.spool = spool;
        this.projectedDelay = projectedDelay;
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
}
