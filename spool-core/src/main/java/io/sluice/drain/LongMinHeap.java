package io.sluice.drain;

/**
 * The binary min-heap moves shared by the drain's two heaps of retry timers kept as parallel arrays ({@link RetryTimers}
 * for messages with an entry, {@link WaitingIds} for messages waiting without one): ordered by due time, each heap
 * moving its own other columns with the slot. Static, so a poll or an add allocates nothing.
 */
final class DueHeap
{
    /** A heap's columns: {@link #move} copies every column of one slot to another. */
    interface Slots
    {
        void move(int from, int to);
    }

    private DueHeap()
    {
    }

    /**
     * Moves parents down from the new slot {@code at} while they are due after {@code dueMillis}.
     *
     * @return the slot where the timer due at {@code dueMillis} goes.
     */
    static int siftUp(final long[] due, final int at, final long dueMillis, final Slots slots)
    {
        int hole = at;
        while (hole > 0)
        {
            final int parent = (hole - 1) >>> 1;
            if (due[parent] <= dueMillis)
            {
                break;
            }
            slots.move(parent, hole);
            hole = parent;
        }
        return hole;
    }

    /**
     * Moves the earlier child up into the hole at the root while it is due before {@code dueMillis}, over the first
     * {@code size} slots.
     *
     * @return the slot where the timer due at {@code dueMillis} (the one taken from the end) goes.
     */
    static int siftDown(final long[] due, final int size, final long dueMillis, final Slots slots)
    {
        int hole = 0;
        while (true)
        {
            int child = 2 * hole + 1;
            if (child >= size)
            {
                return hole;
            }
            if (child + 1 < size && due[child + 1] < due[child])
            {
                child++;
            }
            if (dueMillis <= due[child])
            {
                return hole;
            }
            slots.move(child, hole);
            hole = child;
        }
    }
}
