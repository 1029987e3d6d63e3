package io.sluice.delivery;

import io.sluice.counters.EnumCounters;
import org.agrona.concurrent.status.CountersReader;

/** Delivery's counters in an Agrona counters buffer: updated from any delivery thread without locks, read cheaply. */
public final class DeliveryCounters
{
    private final EnumCounters<DeliveryCounter> counters;

    public DeliveryCounters()
    {
        counters = new EnumCounters<>(DeliveryCounter.class, "delivery");
    }

    void increment(final DeliveryCounter counter)
    {
        counters.counter(counter).increment();
    }

    /** @return the counter's current value. */
    public long get(final DeliveryCounter counter)
    {
        return counters.counter(counter).get();
    }

    /** @return a reader over every counter, for consoles that list them by id and label. */
    public CountersReader reader()
    {
        return counters.reader();
    }
}
