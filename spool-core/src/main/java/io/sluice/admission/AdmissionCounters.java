package io.sluice.admission;

import io.sluice.counters.EnumCounters;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersReader;

/**
 * Admission's counters in an Agrona counters buffer: event-loop threads update them without locks or allocation
 * and any thread (JMX, a benchmark) reads them cheaply through {@link #reader()}.
 */
public final class AdmissionCounters
{
    private final EnumCounters<AdmissionCounter> counters;

    AdmissionCounters()
    {
        counters = new EnumCounters<>(AdmissionCounter.class, "admission");
    }

    AtomicCounter counter(final AdmissionCounter counter)
    {
        return counters.counter(counter);
    }

    /** @return the counter's current value. */
    public long get(final AdmissionCounter counter)
    {
        return counters.counter(counter).get();
    }

    /** @return a reader over every counter, for consoles that list them by id and label. */
    public CountersReader reader()
    {
        return counters.reader();
    }
}
