package io.sluice.spool;

import io.sluice.counters.EnumCounters;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersReader;

/**
 * The spool's counters in an Agrona counters buffer: writers update them without locks or allocation and
 * any thread (JMX, a benchmark) reads them cheaply through {@link #reader()}.
 */
public final class SpoolCounters
{
    private final EnumCounters<SpoolCounter> counters;

    SpoolCounters()
    {
        counters = new EnumCounters<>(SpoolCounter.class, "spool");
    }

    AtomicCounter counter(final SpoolCounter counter)
    {
        return counters.counter(counter);
    }

    /** @return the counter's current value. */
    public long get(final SpoolCounter counter)
    {
        return counters.counter(counter).get();
    }

    /** @return a reader over every counter, for consoles that list them by id and label. */
    public CountersReader reader()
    {
        return counters.reader();
    }
}
