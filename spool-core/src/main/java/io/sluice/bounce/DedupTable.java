package io.sluice.bounce;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

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
