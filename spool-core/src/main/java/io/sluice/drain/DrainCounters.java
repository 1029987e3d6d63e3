package io.sluice.drain;

import java.nio.ByteBuffer;
import java.util.EnumMap;
import java.util.Map;

import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

/**
 * The drain's counters in an Agrona counters buffer: the drain thread updates them without locks or allocation
 * and any thread (JMX, a benchmark) reads them cheaply.
 */
public final class DrainCounters
{
    private final CountersManager manager;
    private final Map<DrainCounter, AtomicCounter> counters = new EnumMap<>(DrainCounter.class);

    public DrainCounters()
    {
        final int count = DrainCounter.values().length;
        final AtomicBuffer metadata = new UnsafeBuffer(ByteBuffer.allocateDirect(count * CountersReader.METADATA_LENGTH));
        final AtomicBuffer values = new UnsafeBuffer(ByteBuffer.allocateDirect(count * CountersReader.COUNTER_LENGTH));
        manager = new CountersManager(metadata, values);
        final boolean[] seen = new boolean[count];
        for (final DrainCounter counter : DrainCounter.values())
        {
            if (counter.id() < 0 || counter.id() >= count || seen[counter.id()])
            {
                throw new IllegalStateException("drain counter id out of range or duplicated: " + counter);
            }
            seen[counter.id()] = true;
            final AtomicCounter atomic = manager.newCounter(counter.label());
            if (atomic.id() != counter.id())
            {
                throw new IllegalStateException("drain counter " + counter + " registered as id " + atomic.id());
            }
            counters.put(counter, atomic);
        }
    }

    AtomicCounter counter(final DrainCounter counter)
    {
        return counters.get(counter);
    }

    void increment(final DrainCounter counter)
    {
        counters.get(counter).increment();
    }

    void add(final DrainCounter counter, final long delta)
    {
        counters.get(counter).getAndAdd(delta);
    }

    void set(final DrainCounter counter, final long value)
    {
        counters.get(counter).setRelease(value);
    }

    /** @return the counter's current value. */
    public long get(final DrainCounter counter)
    {
        return counters.get(counter).get();
    }

    /** @return a reader over every counter, for consoles that list them by id and label. */
    public CountersReader reader()
    {
        return manager;
    }
}
