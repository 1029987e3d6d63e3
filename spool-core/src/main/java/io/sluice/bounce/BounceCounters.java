package io.sluice.bounce;

import io.sluice.counters.EnumCounters;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersReader;

/**
 * The bounce policy's counters in an Agrona counters buffer: delivery threads update them without locks or
 * allocation and any thread (JMX, a benchmark) reads them cheaply through {@link #reader()}.
 */
public final class BounceCounters
{
    private final EnumCounters<BounceCounter> counters;

    BounceCounters()
    {
        counters = new EnumCounters<>(BounceCounter.class, "bounce");
    }

    AtomicCounter counter(final BounceCounter counter)
    {
        return counters.counter(counter);
    }

    /** @return the counter's current value. */
    public long get(final BounceCounter counter)
    {
        return counters.counter(counter).get();
    }

    /** @return a reader over every counter, for consoles that list them by id and label. */
    public CountersReader reader()
    {
        return counters.reader();
    }
}
