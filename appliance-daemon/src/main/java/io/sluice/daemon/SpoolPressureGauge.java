package io.sluice.daemon;

import io.sluice.admission.SpoolPressure;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolCounter;

/**
 * Admission's view of the spool, read from the spool's counters (cheap, lock-free). The projected delay is 0
 * until the drain publishes its rates.
 */
public final class SpoolPressureGauge implements SpoolPressure
{
    private final Spool spool;

    public SpoolPressureGauge(final Spool spool)
    {
        this.spool = spool;
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
        return 0;
    }
}
