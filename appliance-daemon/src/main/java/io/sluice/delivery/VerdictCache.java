package io.sluice.delivery;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The answers of one route's recipient probes, each kept for its TTL: {@link ProbeVerdict#EXISTS} for the positive TTL,
 * {@link ProbeVerdict#UNKNOWN} for the negative one (a mailbox created meanwhile is refused no longer than that). Other
 * verdicts are never kept: they say nothing lasting about the mailbox.
 *
 * <p>Bounded: past {@code maxEntries} the oldest answer is dropped, so a flood of random recipients costs at most that
 * many entries (and, through the probe budget, fills it no faster than the budget allows). Keys are the address in lower
 * case, as mail stores compare local parts. Thread-safe: sessions read it from the ingress event loops, the route's probe
 * pool writes it from its own.
 */
final class VerdictCache
{
    private record Entry(ProbeVerdict verdict, long expiresAtMillis)
    {
    }

    private final int maxEntries;
    private final long positiveTtlMs;
    private final long negativeTtlMs;
    private final Clock clock;
    /** Insertion order: an answer stored again moves to the end, so the eldest is the one to drop. Guarded by this. */
    private final LinkedHashMap<String, Entry> entries;

    VerdictCache(final int maxEntries, final long positiveTtlMs, final long negativeTtlMs, final Clock clock)
    {
        this.maxEntries = maxEntries;
        this.positiveTtlMs = positiveTtlMs;
        this.negativeTtlMs = negativeTtlMs;
        this.clock = clock;
        this.entries = new LinkedHashMap<>(Math.min(maxEntries, 1024) * 2)
        {
            @Override
            protected boolean removeEldestEntry(final Map.Entry<String, Entry> eldest)
            {
                return size() > VerdictCache.this.maxEntries;
            }
        };
    }

    /** @return the answer kept for {@code key} and still fresh, or null. */
    ProbeVerdict get(final String key)
    {
        final long now = clock.millis();
        synchronized (this)
        {
            final Entry entry = entries.get(key);
            if (entry == null)
            {
                return null;
            }
            if (now >= entry.expiresAtMillis())
            {
                entries.remove(key);
                return null;
            }
            return entry.verdict();
        }
    }

    /** Keeps an {@link ProbeVerdict#EXISTS} or {@link ProbeVerdict#UNKNOWN} answer; ignores every other. */
    void put(final String key, final ProbeVerdict verdict)
    {
        final long ttl = switch (verdict)
        {
            case EXISTS -> positiveTtlMs;
            case UNKNOWN -> negativeTtlMs;
            default -> 0;
        };
        if (ttl <= 0)
        {
            return;
        }
        final Entry entry = new Entry(verdict, clock.millis() + ttl);
        synchronized (this)
        {
            entries.remove(key);
            entries.put(key, entry);
        }
    }

    synchronized int size()
    {
        return entries.size();
    }
}
