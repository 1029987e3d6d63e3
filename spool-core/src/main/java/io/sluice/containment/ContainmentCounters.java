package io.sluice.containment;

import io.sluice.counters.EnumCounters;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersReader;

/**
 * Containment's counters in an Agrona counters buffer: the threads that count traffic update them without locks or
 * allocation and any thread (JMX, a benchmark) reads them cheaply through {@link #reader()}.
 */
public final class ContainmentCounters
{
    private final EnumCounters<ContainmentCounter> counters;

    ContainmentCounters()
    {
        counters = new EnumCounters<>(ContainmentCounter.class, "containment");
    }

    AtomicCounter counter(final ContainmentCounter counter)
    {
        return counters.counter(counter);
    }

    /** @return the counter's current value. */
    public long get(final ContainmentCounter counter)
    {
        return counters.counter(counter).get();
    }

    /** @return a reader over every counter, for consoles that list them by id and label. */
    public CountersReader reader()
    {
        return counters.reader();
    }
}
