package io.sluice.bounce;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.ObjLongConsumer;

/**
 * The bounces sent within the dedup window, by key, each with its expiry on the monotonic clock. Every entry lives
 * as long as the window, so insertion order is expiry order and expired entries are dropped from the head.
 *
 * <p>NOT thread-safe: guarded by the {@link BouncePolicy}'s lock.
 */
final class DedupTable
{
    private final long windowNs;
    private final int maxEntries;
    private final LinkedHashMap<String, Long> expiries = new LinkedHashMap<>();

    DedupTable(final long windowMs, final int maxEntries)
    {
        this.windowNs = TimeUnit.MILLISECONDS.toNanos(windowMs);
        this.maxEntries = maxEntries;
    }

    boolean isOff()
    {
        return windowNs == 0;
    }

    boolean contains(final String key, final long nowNs)
    {
        if (windowNs == 0)
        {
            return false;
        }
        expire(nowNs);
        return expiries.containsKey(key);
    }

    void remember(final String key, final long nowNs)
    {
        if (windowNs == 0)
        {
            return;
        }
        expiries.remove(key);
        expiries.put(key, nowNs + windowNs);
        if (expiries.size() > maxEntries)
        {
            final Iterator<String> eldest = expiries.keySet().iterator();
            eldest.next();
            eldest.remove();
        }
    }

    /** Calls {@code sink} with each live key and the ns it has left, in expiry order. */
    void forEach(final long nowNs, final ObjLongConsumer<String> sink)
    {
        expire(nowNs);
        for (final Map.Entry<String, Long> entry : expiries.entrySet())
        {
            sink.accept(entry.getKey(), entry.getValue() - nowNs);
        }
    }

    /**
     * Restores a key saved with {@link #forEach}; call in the saved (expiry) order, so the head stays the oldest.
     *
     * @param remainingNs what it had left; ignored unless positive, and never longer than the window.
     */
    void restore(final String key, final long nowNs, final long remainingNs)
    {
        if (windowNs == 0 || remainingNs <= 0)
        {
            return;
        }
        expiries.remove(key);
        expiries.put(key, nowNs + Math.min(remainingNs, windowNs));
        if (expiries.size() > maxEntries)
        {
            final Iterator<String> eldest = expiries.keySet().iterator();
            eldest.next();
            eldest.remove();
        }
    }

    private void expire(final long nowNs)
    {
        final Iterator<Map.Entry<String, Long>> entries = expiries.entrySet().iterator();
        while (entries.hasNext())
        {
            if (entries.next().getValue() - nowNs > 0)
            {
                return;
            }
            entries.remove();
        }
    }

    int size()
    {
        return expiries.size();
    }
}
