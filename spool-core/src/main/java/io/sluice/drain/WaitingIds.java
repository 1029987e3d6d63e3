package io.sluice.drain;

import java.util.Arrays;

import org.agrona.collections.LongHashSet;

/**
 * The deferred and held messages that have no entry (see {@link Placement#place}): an outage defers the whole backlog,
 * and an entry each (about 110 bytes with its timer) would not fit ten million of them in the launcher's heap. A deferred
 * message is its retry timer, due time and id in a binary heap over two parallel {@code long[]} (16 bytes a message at
 * full, grown by half), and its id in a hash set that says it is deferred (8 bytes a slot, 10 to 20 a message); a held
 * message only its id in the held set. Their lane and ages are not kept here: a message waiting bare is in its own lane
 * ({@code FairTree.laneFor(envelope, false)}), which its snapshot names, and its ages are in that lane's {@link BareAges}.
 *
 * <p>A timer is not searched for when its message leaves early (a snapshot, an operator's retry or hold): the id leaves
 * the set, and the timer, when it comes due, is ignored if the id is no longer deferred. If the message was deferred bare
 * again meanwhile, both timers are in the heap; the earlier one places it by its snapshot, which defers it again until
 * its retry time if that has not come (see {@link Placement#retryDue}). Ids must be positive (spool ids are). Drain
 * thread only.
 */
final class WaitingIds
{
    private static final int INITIAL_CAPACITY = 64;
    /** Above Agrona's default (0.65): a deferred outage's ids are looked up once each, and memory is what this is for. */
    private static final float LOAD_FACTOR = 0.8f;

    private final LongHashSet deferred = new LongHashSet(INITIAL_CAPACITY, LOAD_FACTOR, false);
    private final LongHashSet held = new LongHashSet(INITIAL_CAPACITY, LOAD_FACTOR, false);
    private long[] due = new long[INITIAL_CAPACITY];
    private long[] ids = new long[INITIAL_CAPACITY];
    private int timers;
    /** The greatest id ever kept here: a snapshot of a greater id (a new message) needs no look-up. */
    private long maxId;

    /** @return how many messages wait here, deferred or held. */
    int size()
    {
        return deferred.size() + held.size();
    }

    int deferredCount()
    {
        return deferred.size();
    }

    /** Keeps a deferred message until {@code dueMillis}; it must be neither deferred nor held here now. */
    void defer(final long id, final long dueMillis)
    {
        deferred.add(id);
        maxId = Math.max(maxId, id);
        addTimer(dueMillis, id);
    }

    /** Keeps a held message; it must be neither deferred nor held here now. */
    void hold(final long id)
    {
        held.add(id);
        maxId = Math.max(maxId, id);
    }

    boolean isDeferred(final long id)
    {
        return id <= maxId && deferred.contains(id);
    }

    /**
     * Takes a message out, whatever it waits for.
     *
     * @return {@link MessageEntry#DEFERRED} or {@link MessageEntry#HELD} for what it waited for here; {@link MessageEntry#NONE}
     *         if it was not here.
     */
    byte take(final long id)
    {
        if (id > maxId || deferred.isEmpty() && held.isEmpty())
        {
            return MessageEntry.NONE;
        }
        if (deferred.remove(id))
        {
            shrinkIfSparse(deferred);
            return MessageEntry.DEFERRED;
        }
        if (held.remove(id))
        {
            shrinkIfSparse(held);
            return MessageEntry.HELD;
        }
        return MessageEntry.NONE;
    }

    /** @return the ids deferred here, in a new array, in no order. */
    long[] deferredIds()
    {
        final long[] copy = new long[deferred.size()];
        final int[] count = {0};
        deferred.forEachLong(id -> copy[count[0]++] = id);
        return copy;
    }

    /** @return true if a timer (live or not) is due at {@code nowMillis}. */
    boolean hasDue(final long nowMillis)
    {
        return timers > 0 && due[0] <= nowMillis;
    }

    /** @return the earliest timer's due time, {@code Long.MAX_VALUE} for none. */
    long firstDueMillis()
    {
        return timers == 0 ? Long.MAX_VALUE : due[0];
    }

    /**
     * Removes the earliest timer; only when one is {@link #hasDue due}.
     *
     * @return its message's id if that is still deferred here (it stays here: the caller {@link #take}s it), else 0.
     */
    long pollDue()
    {
        final long id = ids[0];
        final int last = --timers;
        final long lastDue = due[last];
        final long lastId = ids[last];
        if (last > 0)
        {
            int at = 0;
            while (true)
            {
                int child = 2 * at + 1;
                if (child >= last)
                {
                    break;
                }
                if (child + 1 < last && due[child + 1] < due[child])
                {
                    child++;
                }
                if (lastDue <= due[child])
                {
                    break;
                }
                move(child, at);
                at = child;
            }
            due[at] = lastDue;
            ids[at] = lastId;
        }
        if (due.length > INITIAL_CAPACITY && timers < due.length / 4)
        {
            // An outage's retries came due: the arrays they needed go.
            resize(Math.max(INITIAL_CAPACITY, due.length / 2));
        }
        return deferred.contains(id) ? id : 0;
    }

    private void addTimer(final long dueMillis, final long id)
    {
        if (timers == due.length)
        {
            resize(timers + (timers >> 1));
        }
        int at = timers++;
        while (at > 0)
        {
            final int parent = (at - 1) >>> 1;
            if (due[parent] <= dueMillis)
            {
                break;
            }
            move(parent, at);
            at = parent;
        }
        due[at] = dueMillis;
        ids[at] = id;
    }

    private void move(final int from, final int to)
    {
        due[to] = due[from];
        ids[to] = ids[from];
    }

    private void resize(final int capacity)
    {
        due = Arrays.copyOf(due, capacity);
        ids = Arrays.copyOf(ids, capacity);
    }

    /** A set an outage filled and its end emptied gives its slots back (Agrona's sets never shrink by themselves). */
    private static void shrinkIfSparse(final LongHashSet set)
    {
        if (set.capacity() > INITIAL_CAPACITY * 64 && set.size() < set.capacity() / 16)
        {
            set.compact();
        }
    }
}
