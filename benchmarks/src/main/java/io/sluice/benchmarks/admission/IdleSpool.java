package io.sluice.benchmarks.admission;

import io.sluice.admission.SpoolPressure;

/** A spool with no backlog and room on disk, so only the buckets decide. */
public final class IdleSpool implements SpoolPressure
{
    @Override
    public long pendingMessages()
    {
        return 0;
    }

    @Override
    public long oldestPendingAgeMillis()
    {
        return 0;
    }

    @Override
    public boolean acceptingMessages()
    {
        return true;
    }

    @Override
    public long projectedDelayMillis(final String lane)
    {
        return 0;
    }
}
