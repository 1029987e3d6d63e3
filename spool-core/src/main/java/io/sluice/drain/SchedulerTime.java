package io.sluice.drain;

import java.time.Clock;
import java.time.Instant;

import io.github.bucket4j.TimeMeter;

/**
 * The scheduler's time in nanoseconds, read from the injected clock but never moving backwards: when the wall
 * clock steps back (an NTP correction, an operator), the step counts as no time at all. Without this, a bucket
 * whose last refill lies in the "future" would hand out nothing until the wall clock caught up, stopping the
 * drain for as long as the step. Retry times, which are journaled as wall-clock millis, use the clock itself.
 *
 * <p>Used as Bucket4j's {@link TimeMeter} for every egress bucket. Confined to the drain thread.
 */
final class SchedulerTime implements TimeMeter
{
    private final Clock clock;
    private long lastRawNanos;
    private long nowNanos;

    SchedulerTime(final Clock clock)
    {
        this.clock = clock;
        lastRawNanos = raw();
        nowNanos = lastRawNanos;
    }

    private long raw()
    {
        final Instant instant = clock.instant();
        return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
    }

    /** @return the scheduler's time, nanoseconds; never less than the last value returned. */
    long nanos()
    {
        final long raw = raw();
        if (raw > lastRawNanos)
        {
            nowNanos += raw - lastRawNanos;
        }
        lastRawNanos = raw;
        return nowNanos;
    }

    /** @return wall-clock millis, for retry times and ages, which the journal keeps in epoch millis. */
    long wallMillis()
    {
        return clock.millis();
    }

    @Override
    public long currentTimeNanos()
    {
        return nanos();
    }

    @Override
    public boolean isWallClockBased()
    {
        return false;
    }
}
