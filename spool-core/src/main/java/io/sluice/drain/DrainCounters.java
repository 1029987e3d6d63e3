package io.sluice.drain;

import io.sluice.counters.EnumCounters;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersReader;

/**
 * The drain's counters in an Agrona counters buffer: the drain thread updates them without locks or allocation
 * and any thread (JMX, a benchmark) reads them cheaply.
 */
public final class DrainCounters
{
    private final EnumCounters<DrainCounter> counters;

    public DrainCounters()
    {
        counters = new EnumCounters<>(DrainCounter.class, "drain");
    }

    AtomicCounter counter(final DrainCounter counter)
    {
        return counters.counter(counter);
    }

    void increment(final DrainCounter counter)
    {
        counters.counter(counter).increment();
    }

    void add(final DrainCounter counter, final long delta)
    {
        counters.counter(counter).getAndAdd(delta);
    }

    void set(final DrainCounter counter, final long value)
    {
        counters.counter(counter).setRelease(value);
    }

    /** @return the counter's current value. */
    public long get(final DrainCounter counter)
    {
        return counters.counter(counter).get();
    }

    /** @return a reader over every counter, for consoles that list them by id and label. */
    public CountersReader reader()
    {
        return counters.reader();
    }
}
