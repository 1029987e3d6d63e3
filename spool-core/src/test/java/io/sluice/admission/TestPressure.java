package io.sluice.admission;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Spool pressure a test sets by hand. */
final class TestPressure implements SpoolPressure
{
    volatile long pendingMessages;
    volatile long oldestPendingAgeMillis;
    volatile boolean acceptingMessages = true;
    volatile SpoolCapacity capacity;
    final Map<String, Long> projectedDelayMillis = new ConcurrentHashMap<>();

    @Override
    public long pendingMessages()
    {
        return pendingMessages;
    }

    @Override
    public long oldestPendingAgeMillis()
    {
        return oldestPendingAgeMillis;
    }

    @Override
    public boolean acceptingMessages()
    {
        return acceptingMessages;
    }

    @Override
    public long projectedDelayMillis(final String lane)
    {
        return projectedDelayMillis.getOrDefault(lane, 0L);
    }

    @Override
    public SpoolCapacity capacity()
    {
        return capacity;
    }
}
