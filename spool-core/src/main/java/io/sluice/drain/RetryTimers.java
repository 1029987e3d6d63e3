package io.sluice.drain;

import java.util.Arrays;

/**
 * The deferred messages' retry timers, earliest first: a binary heap over parallel arrays (due time, the entry's
 * {@link MessageEntry#timerSeq} when set, the entry), so a deferred message costs 16 bytes of slots here where a timer
 * record and its queue slot took about 36. A timer whose entry moved on since (another snapshot, an operator's retry)
 * stays until it comes due and is then ignored, as before. Drain thread only.
 */
final class RetryTimers implements LongMinHeap.Slots
{
    private static final int INITIAL_CAPACITY = 64;

    private long[] due = new long[INITIAL_CAPACITY];
    private int[] seqs = new int[INITIAL_CAPACITY];
    private MessageEntry[] entries = new MessageEntry[INITIAL_CAPACITY];
    private int size;

    boolean isEmpty()
    {
        return size == 0;
    }

    /** @return the earliest due time; only when not {@link #isEmpty}. */
    long firstDueMillis()
    {
        return due[0];
    }

    void add(final long dueMillis, final int seq, final MessageEntry entry)
    {
        if (size == due.length)
        {
            final int capacity = size * 2;
            due = Arrays.copyOf(due, capacity);
            seqs = Arrays.copyOf(seqs, capacity);
            entries = Arrays.copyOf(entries, capacity);
        }
        final int at = LongMinHeap.siftUp(due, size++, dueMillis, this);
        set(at, dueMillis, seq, entry);
    }

    /**
     * Removes the earliest timer; only when not {@link #isEmpty}.
     *
     * @return its entry if the timer is still the entry's (set in its present state), else null.
     */
    MessageEntry pollLive()
    {
        final MessageEntry entry = entries[0];
        final boolean live = entry.state == MessageEntry.DEFERRED && entry.timerSeq == seqs[0];
        final int last = --size;
        final long lastDue = due[last];
        final int lastSeq = seqs[last];
        final MessageEntry lastEntry = entries[last];
        entries[last] = null;
        if (last > 0)
        {
            final int at = LongMinHeap.siftDown(due, last, lastDue, this);
            set(at, lastDue, lastSeq, lastEntry);
        }
        shrinkIfSparse();
        return live ? entry : null;
    }

    @Override
    public void move(final int from, final int to)
    {
        set(to, due[from], seqs[from], entries[from]);
    }

    private void set(final int at, final long dueMillis, final int seq, final MessageEntry entry)
    {
        due[at] = dueMillis;
        seqs[at] = seq;
        entries[at] = entry;
    }

    /** An outage's deferrals came due: the arrays they needed go. */
    private void shrinkIfSparse()
    {
        if (due.length > INITIAL_CAPACITY && size < due.length / 4)
        {
            final int capacity = Math.max(INITIAL_CAPACITY, due.length / 2);
            due = Arrays.copyOf(due, capacity);
            seqs = Arrays.copyOf(seqs, capacity);
            entries = Arrays.copyOf(entries, capacity);
        }
    }
}
