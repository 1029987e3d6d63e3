package io.sluice.control;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Per-second rates of counters that only grow (messages accepted, recipients delivered ...), over a sliding window:
 * {@link #sample} is called at a steady pace (the daemon's maintenance thread, every second) and keeps the samples of
 * the last window; a rate is the growth between the oldest and the newest sample. Reading a rate costs nothing on
 * the hot path: the counters are read only when sampling.
 */
public final class CounterRates
{
    private final Map<String, LongSupplier> counters;
    private final List<String> names;
    private final long windowMillis;
    /** Oldest first: the sample's time, then each counter's value, in {@link #names} order. */
    private final ArrayDeque<long[]> samples = new ArrayDeque<>();

    /**
     * @param counters     each counter by name, read at every sample.
     * @param windowMillis the window rates are averaged over.
     */
    public CounterRates(final Map<String, LongSupplier> counters, final long windowMillis)
    {
        if (windowMillis <= 0)
        {
            throw new IllegalArgumentException("expected a window above 0 ms, got " + windowMillis);
        }
        this.counters = new LinkedHashMap<>(counters);
        this.names = List.copyOf(counters.keySet());
        this.windowMillis = windowMillis;
    }

    /** Reads every counter now; forgets samples the window no longer needs (it keeps one at or before its start). */
    public synchronized void sample(final long nowMillis)
    {
        final long[] sample = new long[names.size() + 1];
        sample[0] = nowMillis;
        for (int i = 0; i < names.size(); i++)
        {
            sample[i + 1] = counters.get(names.get(i)).getAsLong();
        }
        if (!samples.isEmpty() && nowMillis < samples.peekLast()[0])
        {
            // The clock went back: start over rather than report a negative or huge rate.
            samples.clear();
        }
        samples.addLast(sample);
        while (samples.size() > 2 && nowMillis - secondOldest()[0] >= windowMillis)
        {
            samples.pollFirst();
        }
    }

    private long[] secondOldest()
    {
        final Iterator<long[]> iterator = samples.iterator();
        iterator.next();
        return iterator.next();
    }

    /**
     * @param name a counter's name, as given to the constructor.
     * @return its growth per second between the oldest and the newest sample of the window; 0 before two samples.
     * @throws IllegalArgumentException for a name not given to the constructor.
     */
    public synchronized double ratePerSecond(final String name)
    {
        final int index = names.indexOf(name);
        if (index < 0)
        {
            throw new IllegalArgumentException("no counter " + name + " (counters: " + names + ")");
        }
        if (samples.size() < 2)
        {
            return 0;
        }
        final long[] oldest = samples.peekFirst();
        final long[] newest = samples.peekLast();
        final long elapsed = newest[0] - oldest[0];
        return elapsed <= 0 ? 0 : (newest[index + 1] - oldest[index + 1]) * 1000.0 / elapsed;
    }
}
