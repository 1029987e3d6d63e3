package io.sluice.spool;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/** A clock tests move by hand, so rolls, ages and rates are deterministic. */
public final class MutableClock extends Clock
{
    private final AtomicLong millis;

    public MutableClock(final long startMillis)
    {
        this.millis = new AtomicLong(startMillis);
    }

    public void advanceMillis(final long delta)
    {
        millis.addAndGet(delta);
    }

    @Override
    public long millis()
    {
        return millis.get();
    }

    @Override
    public Instant instant()
    {
        return Instant.ofEpochMilli(millis.get());
    }

    @Override
    public ZoneId getZone()
    {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(final ZoneId zone)
    {
        throw new UnsupportedOperationException("a MutableClock is UTC only");
    }
}
