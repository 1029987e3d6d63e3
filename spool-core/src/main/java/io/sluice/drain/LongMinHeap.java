package io.sluice.drain;

/**
 * The binary min-heap moves shared by the drain's heaps kept as parallel arrays of primitives, ordered by a long key:
 * the retry timers by due time ({@link RetryTimers} for messages with an entry, {@link WaitingIds} for messages waiting
 * without one), and the ids that came back out of order in a source queue ({@link BareIds}, keyed by the id itself).
 * Each heap moves its own columns with the slot. Static, so a poll or an add allocates nothing.
 */
final class LongMinHeap
{
    /** A heap's columns: {@link #move} copies every column of one slot to another. */
    interface Slots
    {
        void move(int from, int to);
    }

    private LongMinHeap()
    {
    }

    /**
     * Moves parents down from the new slot {@code at} while their key is greater than {@code key}.
     *
     * @return the slot where the key goes.
     */
    static int siftUp(final long[] keys, final int at, final long key, final Slots slots)
    {
        int hole = at;
        while (hole > 0)
        {
            final int parent = (hole - 1) >>> 1;
            if (keys[parent] <= key)
            {
                break;
            }
            slots.move(parent, hole);
            hole = parent;
        }
        return hole;
    }

    /**
     * Moves the smaller child up into the hole at the root while its key is less than {@code key}, over the first
     * {@code size} slots.
     *
     * @return the slot where the key (the one taken from the end) goes.
     */
    static int siftDown(final long[] keys, final int size, final long key, final Slots slots)
    {
        int hole = 0;
        while (true)
        {
            int child = 2 * hole + 1;
            if (child >= size)
            {
                return hole;
            }
            if (child + 1 < size && keys[child + 1] < keys[child])
            {
                child++;
            }
            if (key <= keys[child])
            {
                return hole;
            }
            slots.move(child, hole);
            hole = child;
        }
    }
}
