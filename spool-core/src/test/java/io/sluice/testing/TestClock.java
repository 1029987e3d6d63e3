package io.sluice.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

import org.agrona.concurrent.NanoClock;

/** A wall clock and a monotonic clock that tests move together, by hand, so every rate is deterministic. */
public final class TestClock extends Clock implements NanoClock
{
    private final AtomicLong nanos;
    private final long startMillis;

    public TestClock(final long startMillis)
    {
        this.startMillis = startMillis;
        this.nanos = new AtomicLong(1_000_000_000L);
    }

    public TestClock()
    {
        this(1_700_000_000_000L);
    }

    public void advance(final Duration duration)
    {
        nanos.addAndGet(duration.toNanos());
    }

    public void advanceMillis(final long millis)
    {
        advance(Duration.ofMillis(millis));
    }

    @Override
    public long nanoTime()
    {
        return nanos.get();
    }

    @Override
    public long millis()
    {
        return startMillis + (nanos.get() - 1_000_000_000L) / 1_000_000;
    }

    @Override
    public Instant instant()
    {
        return Instant.ofEpochMilli(millis());
    }

    @Override
    public ZoneId getZone()
    {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(final ZoneId zone)
    {
        throw new UnsupportedOperationException("a TestClock is UTC only");
    }
}
