package io.sluice.counters;

import java.nio.ByteBuffer;

import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

/**
 * One stage's counters, an enum of stable ids and labels in an Agrona counters buffer (Aeron's
 * SystemCounterDescriptor pattern); every stage uses this one class with its own enum, no wrapper of its own.
 * Writers update them without locks or allocation, any thread reads them cheaply through {@link #reader()}. Ids
 * that are out of range or duplicated are refused at start-up.
 *
 * @param <E> the stage's counter enum
 */
public final class EnumCounters<E extends Enum<E> & CounterDescriptor>
{
    private final CountersManager manager;
    /** By the enum's ordinal: one array load on the hot path, where a map would hash. */
    private final AtomicCounter[] counters;

    /**
     * @param type  the counter enum
     * @param owner the stage's name, for the start-up error
     */
    public EnumCounters(final Class<E> type, final String owner)
    {
        final E[] all = type.getEnumConstants();
        final AtomicBuffer metadata = new UnsafeBuffer(ByteBuffer.allocateDirect(all.length * CountersReader.METADATA_LENGTH));
        final AtomicBuffer values = new UnsafeBuffer(ByteBuffer.allocateDirect(all.length * CountersReader.COUNTER_LENGTH));
        manager = new CountersManager(metadata, values);
        counters = new AtomicCounter[all.length];
        final boolean[] seen = new boolean[all.length];
        for (final E counter : all)
        {
            if (counter.id() < 0 || counter.id() >= all.length || seen[counter.id()])
            {
                throw new IllegalStateException(owner + " counter id out of range or duplicated: " + counter);
            }
            seen[counter.id()] = true;
            final AtomicCounter atomic = manager.newCounter(counter.label());
            if (atomic.id() != counter.id())
            {
                throw new IllegalStateException(owner + " counter " + counter + " registered as id " + atomic.id());
            }
            counters[counter.ordinal()] = atomic;
        }
    }

    public AtomicCounter counter(final E counter)
    {
        return counters[counter.ordinal()];
    }

    public void increment(final E counter)
    {
        counters[counter.ordinal()].increment();
    }

    public void add(final E counter, final long delta)
    {
        counters[counter.ordinal()].getAndAdd(delta);
    }

    /** For gauges: a current value, published with release semantics so a reader on another thread sees it whole. */
    public void set(final E counter, final long value)
    {
        counters[counter.ordinal()].setRelease(value);
    }

    /** @return the counter's current value. */
    public long get(final E counter)
    {
        return counters[counter.ordinal()].get();
    }

    /** @return a reader over every counter, for consoles that list them by id and label. */
    public CountersReader reader()
    {
        return manager;
    }
}
