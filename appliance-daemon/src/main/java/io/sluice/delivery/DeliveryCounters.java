package io.sluice.delivery;

import java.nio.ByteBuffer;
import java.util.EnumMap;
import java.util.Map;

import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

/** Delivery's counters in an Agrona counters buffer: updated from any delivery thread without locks, read cheaply. */
public final class DeliveryCounters
{
    private final CountersManager manager;
    private final Map<DeliveryCounter, AtomicCounter> counters = new EnumMap<>(DeliveryCounter.class);

    public DeliveryCounters()
    {
        final int count = DeliveryCounter.values().length;
        final AtomicBuffer metadata = new UnsafeBuffer(ByteBuffer.allocateDirect(count * CountersReader.METADATA_LENGTH));
        final AtomicBuffer values = new UnsafeBuffer(ByteBuffer.allocateDirect(count * CountersReader.COUNTER_LENGTH));
        manager = new CountersManager(metadata, values);
        final boolean[] seen = new boolean[count];
        for (final DeliveryCounter counter : DeliveryCounter.values())
        {
            if (counter.id() < 0 || counter.id() >= count || seen[counter.id()])
            {
                throw new IllegalStateException("delivery counter id out of range or duplicated: " + counter);
            }
            seen[counter.id()] = true;
            final AtomicCounter atomic = manager.newCounter(counter.label());
            if (atomic.id() != counter.id())
            {
                throw new IllegalStateException("delivery counter " + counter + " registered as id " + atomic.id());
            }
            counters.put(counter, atomic);
        }
    }

    void increment(final DeliveryCounter counter)
    {
        counters.get(counter).increment();
    }

    /** @return the counter's current value. */
    public long get(final DeliveryCounter counter)
    {
        return counters.get(counter).get();
    }

    /** @return a reader over every counter, for consoles that list them by id and label. */
    public CountersReader reader()
    {
        return manager;
    }
}
