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
 * its retry time if that has not come (see {@link Placement#retryDue}). Ids must be positive (spool ids are).
 *
 * <p>An operator's retry of every deferred message ({@link #retryAll}) walks nothing: the deferred set becomes the
 * retry-all set and the timers' ids the list it is placed from, in slices ({@link #pollRetryAll}); both only change hands.
 * In that set an id waits to be placed ({@code +id}, still counted deferred), then, placed bare in its source queue, is
 * kept negated ({@code -id}: its deferred recipients are ready whatever their retry time, until its next snapshot or
 * until it is picked and its entry remembers it), in the same slot count: the request costs no byte per message beyond
 * the set slot the message already had. Drain thread only.
 */
final class WaitingIds implements LongMinHeap.Slots
{
    private static final int INITIAL_CAPACITY = 64;
    /** Above Agrona's default (0.65): a deferred outage's ids are looked up once each, and memory is what this is for. */
    private static final float LOAD_FACTOR = 0.8f;
    private static final long[] NO_IDS = new long[0];

    private LongHashSet deferred = new LongHashSet(INITIAL_CAPACITY, LOAD_FACTOR, false);
    /** An operator's retry-all: {@code +id} to be placed, {@code -id} placed and ready whatever its retry time. */
    private LongHashSet retryAll = new LongHashSet(INITIAL_CAPACITY, LOAD_FACTOR, false);
    /** The {@code +id}s in {@link #retryAll}. */
    private int retryAllWaiting;
    /** The ids to place for a retry-all, taken from the end (some no longer waiting, some twice): the timers' ids were. */
    private long[] retryAllIds = NO_IDS;
    private int retryAllIdCount;
    private final LongHashSet held = new LongHashSet(INITIAL_CAPACITY, LOAD_FACTOR, false);
    private long[] due = new long[INITIAL_CAPACITY];
    private long[] ids = new long[INITIAL_CAPACITY];
    private int timers;
    /** The greatest id ever kept here: a snapshot of a greater id (a new message) needs no look-up. */
    private long maxId;

    /** @return how many messages wait here, deferred or held. */
    int size()
    {
        return deferred.size() + retryAllWaiting + held.size();
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
        return id <= maxId && (deferred.contains(id) || retryAllWaiting > 0 && retryAll.contains(id));
    }

    /**
     * Takes a message out, whatever it waits for.
     *
     * @return {@link MessageEntry#DEFERRED} or {@link MessageEntry#HELD} for what it waited for here; {@link MessageEntry#NONE}
     *         if it was not here.
     */
    byte take(final long id)
    {
        if (id > maxId || deferred.isEmpty() && held.isEmpty() && retryAllWaiting == 0)
        {
            return MessageEntry.NONE;
        }
        if (deferred.remove(id))
        {
            shrinkIfSparse(deferred);
            return MessageEntry.DEFERRED;
        }
        if (retryAllWaiting > 0 && retryAll.remove(id))
        {
            retryAllWaiting--;
            shrinkIfSparse(retryAll);
            return MessageEntry.DEFERRED;
        }
        if (held.remove(id))
        {
            shrinkIfSparse(held);
            return MessageEntry.HELD;
        }
        return MessageEntry.NONE;
    }

    /**
     * An operator's retry of every message deferred here: each is to be placed at once ({@link #pollRetryAll}), ready
     * whatever its retry time; their timers go. O(1) (the sets and arrays change hands) unless an earlier retry-all's
     * ids are still here: then the smaller set is added to the larger, and the ids still to place are appended to.
     *
     * @return how many deferred messages it covers.
     */
    int retryAll()
    {
        final int count = deferred.size();
        if (count == 0)
        {
            return 0;
        }
        final LongHashSet emptied;
        if (retryAll.isEmpty())
        {
            emptied = retryAll;
            retryAll = deferred;
        }
        else if (retryAll.size() >= count)
        {
            retryAll.addAll(deferred);
            emptied = deferred;
        }
        else
        {
            deferred.addAll(retryAll);
            emptied = retryAll;
            retryAll = deferred;
        }
        emptied.clear();
        emptied.compact();
        deferred = emptied;
        retryAllWaiting += count;
        if (retryAllIdCount == 0)
        {
            retryAllIds = ids;
            retryAllIdCount = timers;
        }
        else
        {
            retryAllIds = Arrays.copyOf(retryAllIds, retryAllIdCount + timers);
            System.arraycopy(ids, 0, retryAllIds, retryAllIdCount, timers);
            retryAllIdCount += timers;
        }
        due = new long[INITIAL_CAPACITY];
        ids = new long[INITIAL_CAPACITY];
        timers = 0;
        return count;
    }

    /** @return true while messages of a retry-all wait to be placed. */
    boolean hasRetryAll()
    {
        return retryAllIdCount > 0;
    }

    /**
     * The next message of a retry-all to place: it stays here, counted deferred, until the caller {@link #take}s it.
     *
     * @return its id; 0 if none is left.
     */
    long pollRetryAll()
    {
        while (retryAllIdCount > 0)
        {
            final long id = retryAllIds[--retryAllIdCount];
            if (retryAllIdCount < retryAllIds.length / 4)
            {
                // The list empties as it is placed: its array goes with it.
                retryAllIds = retryAllIdCount == 0 ? NO_IDS : Arrays.copyOf(retryAllIds, retryAllIds.length / 2);
            }
            if (retryAll.contains(id))
            {
                return id;
            }
        }
        return 0;
    }

    /** A message of a retry-all, {@link #take}n, was placed bare: it is ready whatever its retry time until it is claimed. */
    void retriedBare(final long id)
    {
        retryAll.add(-id);
    }

    /**
     * A message a retry-all placed bare left its queue (picked, or a snapshot or an operator took it): the request goes
     * with it, to its entry if it gets one.
     *
     * @return true if a retry-all placed it.
     */
    boolean claimRetried(final long id)
    {
        if (retryAll.size() == retryAllWaiting || !retryAll.remove(-id))
        {
            return false;
        }
        shrinkIfSparse(retryAll);
        return true;
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
            final int at = LongMinHeap.siftDown(due, last, lastDue, this);
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
        final int at = LongMinHeap.siftUp(due, timers++, dueMillis, this);
        due[at] = dueMillis;
        ids[at] = id;
    }

    @Override
    public void move(final int from, final int to)
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
