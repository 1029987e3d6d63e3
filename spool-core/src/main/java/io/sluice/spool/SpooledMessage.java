package io.sluice.spool;

/**
 * The index's entry for one unfinished message: its latest snapshot and where its records lie. The
 * journal writer is the only thread that changes it; others read the volatile snapshot.
 */
final class SpooledMessage
{
    private volatile PendingMessage snapshot;
    private long[] recordIndexes;
    private int cycle;
    private long recordBytes;

    SpooledMessage(final PendingMessage snapshot, final long[] recordIndexes, final int cycle, final long recordBytes)
    {
        this.snapshot = snapshot;
        this.recordIndexes = recordIndexes;
        this.cycle = cycle;
        this.recordBytes = recordBytes;
    }

    PendingMessage snapshot()
    {
        return snapshot;
    }

    void snapshot(final PendingMessage snapshot)
    {
        this.snapshot = snapshot;
    }

    long messageId()
    {
        return snapshot.messageId();
    }

    long[] recordIndexes()
    {
        return recordIndexes;
    }

    /** @return the roll cycle holding the message's content records. */
    int cycle()
    {
        return cycle;
    }

    /** @return bytes of journal the message's content records occupy in {@link #cycle()}. */
    long recordBytes()
    {
        return recordBytes;
    }

    void relocate(final long[] recordIndexes, final int cycle, final long recordBytes)
    {
        this.recordIndexes = recordIndexes;
        this.cycle = cycle;
        this.recordBytes = recordBytes;
    }
}
