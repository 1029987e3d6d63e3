package io.sluice.admission;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import org.agrona.concurrent.status.AtomicCounter;

/**
 * The bounded table of tracked keys. Lookups are lock-free and an insert locks one bin of the map for a moment
 * ({@link ConcurrentHashMap}, sized up front so an event-loop thread never pays for a resize of a million-entry
 * table).
 *
 * <p>Bounded: an insert that takes the table over its limit evicts before returning. Keys whose buckets have
 * all refilled to full go first, since they carry no information (dropping one changes no decision); if a
 * bounded scan finds none, the fullest key it saw goes, which loses the least. Only one thread evicts at a
 * time and the others do not wait for it, so the table may briefly hold one extra key per thread deciding
 * at that moment. Eviction walks a cursor through the table, so it costs a bounded amount of work per insert.
 *
 * <p>A key evicted while another thread is taking a token from it loses that one token's worth of state: the
 * race is tolerated because its worst case is one extra message admitted, never one refused.
 */
final class SourceTable
{
    /**
     * Keys examined, at most, for each key that must go. An idle key ends the search at once; if none turns up,
     * the fullest seen goes. Bounds the work an insert does in a table full of active sources (a flood from more
     * sources than the table holds) to a few microseconds.
     */
    private static final int EVICTION_SCAN = 64;
    private static final int MAX_EVICTIONS_PER_INSERT = 4;

    private final ConcurrentHashMap<TrackedKey, TrackedKey> keys;
    private final int maxKeys;
    private final AtomicCounter trackedKeys;
    private final AtomicCounter idleEvicted;
    private final AtomicCounter activeEvicted;
    private final AtomicBoolean evicting = new AtomicBoolean();
    /** Guarded by {@link #evicting}. */
    private Iterator<TrackedKey> cursor;

    SourceTable(final int maxKeys, final AtomicCounter trackedKeys, final AtomicCounter idleEvicted,
        final AtomicCounter activeEvicted)
    {
        this.keys = new ConcurrentHashMap<>(maxKeys + maxKeys / 4);
        this.maxKeys = maxKeys;
        this.trackedKeys = trackedKeys;
        this.idleEvicted = idleEvicted;
        this.activeEvicted = activeEvicted;
    }

    /**
     * @param probe a key with no state; inserted as is if the table does not hold it yet.
     * @return the table's entry for the key.
     */
    TrackedKey get(final TrackedKey probe, final long nowNs)
    {
        final TrackedKey existing = keys.get(probe);
        return existing != null ? existing : insert(probe, nowNs);
    }

    /**
     * The decision path's lookup: allocates nothing for a key the table holds.
     *
     * @return the table's entry for the key the probe stands for, inserted (a new key) if it was not there.
     */
    TrackedKey get(final KeyProbe probe, final long nowNs)
    {
        final TrackedKey existing = keys.get(probe);
        return existing != null ? existing : insert(probe.toKey(), nowNs);
    }

    private TrackedKey insert(final TrackedKey fresh, final long nowNs)
    {
        final TrackedKey raced = keys.putIfAbsent(fresh, fresh);
        if (raced != null)
        {
            return raced;
        }
        trackedKeys.increment();
        if (keys.size() > maxKeys)
        {
            evict(fresh, nowNs);
        }
        return fresh;
    }

    /** @return the table's entry for the key, or null; never inserts. */
    TrackedKey find(final TrackedKey probe)
    {
        return keys.get(probe);
    }

    int size()
    {
        return keys.size();
    }

    int maxKeys()
    {
        return maxKeys;
    }

    private void evict(final TrackedKey keep, final long nowNs)
    {
        if (!evicting.compareAndSet(false, true))
        {
            return;
        }
        try
        {
            for (int round = 0; round < MAX_EVICTIONS_PER_INSERT && keys.size() > maxKeys; round++)
            {
                evictOne(keep, nowNs);
            }
        }
        finally
        {
            evicting.set(false);
        }
    }

    private void evictOne(final TrackedKey keep, final long nowNs)
    {
        TrackedKey fullest = null;
        double fullestFill = -1;
        for (int i = 0; i < EVICTION_SCAN; i++)
        {
            if (cursor == null || !cursor.hasNext())
            {
                cursor = keys.values().iterator();
                if (!cursor.hasNext())
                {
                    return;
                }
            }
            final TrackedKey candidate = cursor.next();
            if (candidate == keep)
            {
                continue;
            }
            final double fill = candidate.fill(nowNs);
            if (fill >= 1.0)
            {
                if (remove(candidate))
                {
                    idleEvicted.increment();
                    return;
                }
            }
            else if (fill > fullestFill)
            {
                fullest = candidate;
                fullestFill = fill;
            }
        }
        if (fullest != null && remove(fullest))
        {
            activeEvicted.increment();
        }
    }

    private boolean remove(final TrackedKey key)
    {
        if (keys.remove(key, key))
        {
            trackedKeys.decrement();
            return true;
        }
        return false;
    }

    /**
     * Drops every key whose buckets are all full now.
     *
     * @return how many were dropped.
     */
    int sweepIdle(final long nowNs)
    {
        int dropped = 0;
        for (final TrackedKey key : keys.values())
        {
            if (key.fill(nowNs) >= 1.0 && remove(key))
            {
                dropped++;
            }
        }
        idleEvicted.getAndAdd(dropped);
        return dropped;
    }

    /**
     * Drops {@code key} if its buckets are all full now.
     *
     * @return whether it was dropped.
     */
    boolean removeIfIdle(final TrackedKey key, final long nowNs)
    {
        if (key.fill(nowNs) >= 1.0 && remove(key))
        {
            idleEvicted.increment();
            return true;
        }
        return false;
    }

    /** @return every key; iteration is weakly consistent, like the map's own, and never throws for a concurrent change. */
    Iterable<TrackedKey> keys()
    {
        return keys.values();
    }

    /** @return the {@code n} keys that asked to send the most messages lately, most first. Walks the whole table. */
    List<SourceVolume> busiest(final int n)
    {
        record Candidate(TrackedKey key, int volume)
        {
        }
        final PriorityQueue<Candidate> top = new PriorityQueue<>(Comparator.comparingInt(Candidate::volume));
        for (final TrackedKey key : keys())
        {
            final int volume = key.volume;
            if (volume > 0 && (top.size() < n || volume > top.peek().volume()))
            {
                top.add(new Candidate(key, volume));
                if (top.size() > n)
                {
                    top.poll();
                }
            }
        }
        final List<SourceVolume> sources = new ArrayList<>(top.size());
        for (final Candidate candidate : top)
        {
            sources.add(new SourceVolume(candidate.key().kind, candidate.key().text(), candidate.volume()));
        }
        sources.sort(Comparator.comparingLong(SourceVolume::recentMessages).reversed());
        return sources;
    }
}
