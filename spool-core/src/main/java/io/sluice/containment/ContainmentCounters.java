package io.sluice.containment;

import java.nio.ByteBuffer;
import java.util.EnumMap;
import java.util.Map;

import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

/**
 * Containment's counters in an Agrona counters buffer: the threads that count traffic update them without locks or
 * allocation and any thread (JMX, a benchmark) reads them cheaply through {@link #reader()}.
 */
public final class ContainmentCounters
{
    private final CountersManager manager;
    private final Map<ContainmentCounter, AtomicCounter> counters = new EnumMap<>(ContainmentCounter.class);

    ContainmentCounters()
    {
        final int count = ContainmentCounter.values().length;
        final AtomicBuffer metadata = new UnsafeBuffer(
            ByteBuffer.allocateDirect(count * CountersReader.METADATA_LENGTH));
        final AtomicBuffer values = new UnsafeBuffer(
            ByteBuffer.allocateDirect(count * CountersReader.COUNTER_LENGTH));
        manager = new CountersManager(metadata, values);
        final boolean[] seen = new boolean[count];
        for (final ContainmentCounter counter : ContainmentCounter.values())
        {
            if (counter.id() < 0 || counter.id() >= count || seen[counter.id()])
            {
                throw new IllegalStateException("containment counter id out of range or duplicated: " + counter);
            }
            seen[counter.id()] = true;
            final AtomicCounter atomic = manager.newCounter(counter.label());
            if (atomic.id() != counter.id())
            {
                throw new IllegalStateException("containment counter " + counter + " registered as id " + atomic.id());
            }
            counters.put(counter, atomic);
        }
    }

    AtomicCounter counter(final ContainmentCounter counter)
    {
        return counters.get(counter);
    }

    /** @return the counter's current value. */
    public long get(final ContainmentCounter counter)
    {
        return counters.get(counter).get();
    }

    /** @return a reader over every counter, for consoles that list them by id and label. */
    public CountersReader reader()
    {
        return manager;
    }
}
