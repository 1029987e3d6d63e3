package io.sluice.drain;

import java.util.Arrays;

import org.agrona.collections.LongHashSet;

/**
 * The ids of one source queue's bare messages (see {@link SourceQueue}), ascending, in one primitive array: 8 bytes a
 * message, no object. Ids come in ascending order (arrival, or a load in id order), so they are only appended; one taken
 * from inside (its message changed while it waited) becomes a tombstone, its id negated, which keeps the array sorted by
 * absolute value for the binary search that finds it. Tombstones go when they reach the head or, all at once, when they
 * outnumber the live ids (amortised O(1)). The array grows by half, so it is on average about 80 % full (10 bytes a
 * message), and shrinks when a drained flood leaves it mostly empty. Ids must be positive (spool ids are).
 *
 * <p>An id that comes back out of order ({@link #insert}: a retry come due, which an outage's end makes of its whole
 * deferred backlog, due in no order of ids) goes to a binary min-heap beside the array, 8 bytes too: with an entry each
 * (SourceQueue's returns) the retries of ten million deferred messages would not fit the launcher's heap. One taken
 * out from inside the heap is remembered in a small set and skipped when it reaches the top. Drain thread only.
 */
final class BareIds implements LongMinHeap.Slots
{
    private static final int INITIAL_CAPACITY = 4;
    private static final int MIN_TOMBSTONES_BEFORE_COMPACTION = 8;
    /** Until the first append: a queue of one message that came back (most queues of a light load) allocates none. */
    private static final long[] NONE = new long[0];

    private long[] ids = NONE;
    /** Index of the first slot in use. */
    private int head;
    /** Index after the last slot in use. */
    private int tail;
    private int live;
    /** Ids that came back out of order: a binary min-heap, each id at most once. */
    private long[] returned = NONE;
    private int returnedCount;
    /** Ids taken out from inside {@link #returned}, still in it until they reach its top; null until one is. */
    private LongHashSet returnedGone;

    int size()
    {
        return live + returnedCount - (returnedGone == null ? 0 : returnedGone.size());
    }

    /**
     * Adds an id not here now, in any order: appended if it is the greatest, else kept in the heap of returned ids.
     *
     * @return false, changing nothing, if it is not positive.
     */
    boolean insert(final long id)
    {
        if (id <= 0)
        {
            return false;
        }
        if (append(id))
        {
            return true;
        }
        if (returnedGone != null && returnedGone.remove(id))
        {
            // Its earlier copy, taken out, is still in the heap at its place: it is live again.
            return true;
        }
        if (returnedCount == returned.length)
        {
            returned = Arrays.copyOf(returned, Math.max(INITIAL_CAPACITY, returnedCount + (returnedCount >> 1)));
        }
        returned[LongMinHeap.siftUp(returned, returnedCount++, id, this)] = id;
        return true;
    }

    /** @return the greatest id appended and still in the array (live or not); 0 when empty. */
    long lastId()
    {
        return tail > head ? Math.abs(ids[tail - 1]) : 0;
    }

    /**
     * Appends an id greater than every id here.
     *
     * @return false, changing nothing, if it is not greater (or not positive): the caller keeps that message otherwise.
     */
    boolean append(final long id)
    {
        if (id <= 0 || id <= lastId())
        {
            return false;
        }
        if (tail == ids.length)
        {
            makeRoom();
        }
        ids[tail++] = id;
        live++;
        return true;
    }

    /** @return the smallest live id; 0 if there is none. */
    long first()
    {
        skipTombstones();
        skipReturnedGone();
        final long appended = head < tail ? ids[head] : 0;
        final long back = returnedCount > 0 ? returned[0] : 0;
        return appended == 0 || back != 0 && back < appended ? back : appended;
    }

    /** Takes the smallest live id out; only when {@link #first} is not 0. */
    long pollFirst()
    {
        final long id = first();
        if (returnedCount > 0 && returned[0] == id)
        {
            popReturned();
            return id;
        }
        head++;
        live--;
        afterRemoval();
        return id;
    }

    boolean contains(final long id)
    {
        return indexOf(id) >= 0 || returnedIndexOf(id) >= 0;
    }

    /**
     * Takes an id out. One among the returned ids is searched for one by one (a snapshot of a retried message that
     * waits ready, which another stage changed: rare); a caller that knows the id is here uses {@link #removeKnown}.
     *
     * @return true if the id was here (it is now a tombstone, or gone).
     */
    boolean remove(final long id)
    {
        final int at = indexOf(id);
        if (at >= 0)
        {
            removeAt(at);
            return true;
        }
        if (returnedIndexOf(id) >= 0)
        {
            forgetReturned(id);
            return true;
        }
        return false;
    }

    /** Takes out an id the caller knows is here, without searching the returned ids. */
    void removeKnown(final long id)
    {
        final int at = indexOf(id);
        if (at >= 0)
        {
            removeAt(at);
        }
        else
        {
            forgetReturned(id);
        }
    }

    /** @return every live id, ascending, in a new array. */
    long[] ids()
    {
        final long[] copy = new long[size()];
        int count = 0;
        for (int i = head; i < tail; i++)
        {
            if (ids[i] > 0)
            {
                copy[count++] = ids[i];
            }
        }
        for (int i = 0; i < returnedCount; i++)
        {
            if (returnedGone == null || !returnedGone.contains(returned[i]))
            {
                copy[count++] = returned[i];
            }
        }
        Arrays.sort(copy);
        return copy;
    }

    private void removeAt(final int at)
    {
        ids[at] = -ids[at];
        live--;
        skipTombstones();
        afterRemoval();
    }

    /** @return the returned id's index in the heap if it is live there, else -1: a walk of the heap. */
    private int returnedIndexOf(final long id)
    {
        if (id <= 0 || returnedGone != null && returnedGone.contains(id))
        {
            return -1;
        }
        for (int i = 0; i < returnedCount; i++)
        {
            if (returned[i] == id)
            {
                return i;
            }
        }
        return -1;
    }

    private void forgetReturned(final long id)
    {
        if (returnedGone == null)
        {
            returnedGone = new LongHashSet();
        }
        returnedGone.add(id);
        skipReturnedGone();
    }

    private void skipReturnedGone()
    {
        while (returnedCount > 0 && returnedGone != null && returnedGone.remove(returned[0]))
        {
            popReturned();
        }
    }

    private void popReturned()
    {
        final int last = --returnedCount;
        final long moved = returned[last];
        if (last > 0)
        {
            returned[LongMinHeap.siftDown(returned, last, moved, this)] = moved;
        }
        returned[last] = 0;
        if (returnedCount == 0)
        {
            returned = returned.length > INITIAL_CAPACITY * 16 ? NONE : returned;
            returnedGone = null;
        }
        else if (returned.length > INITIAL_CAPACITY * 16 && returnedCount < returned.length / 4)
        {
            // The retries of an outage were sent: the heap shrinks with them.
            returned = Arrays.copyOf(returned, returned.length / 2);
        }
    }

    /** The heap of returned ids has one column: the id. */
    @Override
    public void move(final int from, final int to)
    {
        returned[to] = returned[from];
    }

    private int indexOf(final long id)
    {
        if (id <= 0 || live == 0 || id > lastId())
        {
            return -1;
        }
        int low = head;
        int high = tail - 1;
        while (low <= high)
        {
            final int mid = (low + high) >>> 1;
            final long at = Math.abs(ids[mid]);
            if (at < id)
            {
                low = mid + 1;
            }
            else if (at > id)
            {
                high = mid - 1;
            }
            else
            {
                return ids[mid] > 0 ? mid : -1;
            }
        }
        return -1;
    }

    private void skipTombstones()
    {
        while (head < tail && ids[head] < 0)
        {
            head++;
        }
    }

    private void afterRemoval()
    {
        if (live == 0)
        {
            if (ids.length > INITIAL_CAPACITY * 16)
            {
                ids = NONE;
            }
            head = 0;
            tail = 0;
        }
        else if (tail - head - live > live + MIN_TOMBSTONES_BEFORE_COMPACTION)
        {
            compact(ids.length > 4 * live + INITIAL_CAPACITY ? Math.max(INITIAL_CAPACITY, 2 * live) : ids.length);
        }
        else if (head > ids.length / 2 && ids.length > INITIAL_CAPACITY * 16 && tail - head < ids.length / 4)
        {
            // The head moved far on (a flood drained from the front): the array shrinks with the queue.
            compact(Math.max(INITIAL_CAPACITY, 2 * (tail - head)));
        }
    }

    /** The array is full at its tail: reuse what the head left behind if that is a quarter or more, else grow by half. */
    private void makeRoom()
    {
        if (ids.length == 0)
        {
            ids = new long[INITIAL_CAPACITY];
            return;
        }
        final int used = tail - head;
        if (live + MIN_TOMBSTONES_BEFORE_COMPACTION < used / 2 || head >= ids.length / 4)
        {
            compact(ids.length);
        }
        else
        {
            compact(ids.length + Math.max(INITIAL_CAPACITY, ids.length >> 1));
        }
    }

    /** Copies the live ids, in order, to the front of an array of {@code capacity}, dropping the tombstones. */
    private void compact(final int capacity)
    {
        final long[] moved = capacity == ids.length ? ids : new long[capacity];
        int kept = 0;
        for (int i = head; i < tail; i++)
        {
            if (ids[i] > 0)
            {
                moved[kept++] = ids[i];
            }
        }
        if (moved == ids)
        {
            Arrays.fill(ids, kept, tail, 0);
        }
        ids = moved;
        head = 0;
        tail = kept;
    }
}
