package io.sluice.bounce;

import java.nio.ByteBuffer;
import java.util.EnumMap;
import java.util.Map;

import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

/**
 * The bounce policy's counters in an Agrona counters buffer: delivery threads update them without locks or
 * allocation and any thread (JMX, a benchmark) reads them cheaply through {@link #reader()}.
 */
public final class BounceCounters
{
    private final CountersManager manager;
    private final Map<BounceCounter, AtomicCounter> counters = new EnumMap<>(BounceCounter.class);

    BounceCounters()
    {
        final int count = BounceCounter.values().length;
        final AtomicBuffer metadata = new UnsafeBuffer(
            ByteBuffer.allocateDirect(count * CountersReader.METADATA_LENGTH));
        final AtomicBuffer values = new UnsafeBuffer(
            ByteBuffer.allocateDirect(count * CountersReader.COUNTER_LENGTH));
        manager = new CountersManager(metadata, values);
        final boolean[] seen = new boolean[count];
        for (final BounceCounter counter : BounceCounter.values())
        {
            if (counter.id() < 0 || counter.id() >= count || seen[counter.id()])
            {
                throw new IllegalStateException("bounce counter id out of range or duplicated: " + counter);
            }
            seen[counter.id()] = true;
            final AtomicCounter atomic = manager.newCounter(counter.label());
            if (atomic.id() != counter.id())
            {
                throw new IllegalStateException("bounce counter " + counter + " registered as id " + atomic.id());
            }
            counters.put(counter, atomic);
        }
    }

    AtomicCounter counter(final BounceCounter counter)
    {
        return counters.get(counter);
    }

    /** @return the counter's current value. */
    public long get(final BounceCounter counter)
    {
        return counters.get(counter).get();
    }

    /** @return a reader over every counter, for consoles that list them by id and label. */
    public CountersReader reader()
    {
        return manager;
    }
}
