package io.sluice.spool;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * A block of {@link PendingIndex} entries in direct memory, 64 bytes each, sorted by message id. Only the journal
 * writer changes it; any thread reads it under a sequence lock: the writer makes {@link #version} odd before a change
 * and even after, and a reader keeps what it read only if the version was the same even number before and after.
 * A chunk the writer has replaced (merged, emptied) is left odd for ever, so a reader still holding it retries on the
 * new chunk list: it never keeps a value the writer no longer updates.
 *
 * <p>Entry layout (little-endian, as Agrona writes):
 * <pre>
 *   0 long id                      32 int  content length
 *   8 long head record index       36 int  record bytes (unsigned)
 *  16 long received at, millis     40 int  cycle of the records
 *  24 short flags                  44 int  record count (parts)
 *  26 short recipient count (unsigned, at most {@link Envelope#MAX_RECIPIENTS})
 *  28 int  head position (unsigned) 48 long outcome record of recipient 0 (0: its status is in the head)
 *                                  56 long outcome record of recipient 1
 * </pre>
 *
 * <p>The head position is where the head record's bytes start in its cycle file, or 0 when not known (a record
 * written forward or replayed by recovery, or one past 4 GiB): a hint that lets a read skip Chronicle's seek, which
 * walks record headers from the nearest index entry (benchmarks/results/2026-12-06-vm-session5-readback/). The read
 * checks what it finds there and falls back to the seek.
 */
final class IndexChunk
{
    static final int ENTRY_BYTES = 64;
    static final int ID = 0;
    static final int HEAD = 8;
    static final int RECEIVED = 16;
    static final int FLAGS = 24;
    static final int RECIPIENTS = 26;
    static final int HEAD_POSITION = 28;
    static final int CONTENT = 32;
    static final int RECORD_BYTES = 36;
    static final int CYCLE = 40;
    static final int PARTS = 44;
    static final int OUTCOMES = 48;

    /** The message finished; its entry stays (ids stay sorted) until the chunk is compacted. */
    static final int REMOVED = 1;
    /** More of its state is in {@link PendingIndex}'s overflow map (see {@link PendingOverflow}). */
    static final int OVERFLOW = 2;
    /** Recipient 0 is final; recipient 1 is {@code FINAL_0 << 1}. */
    static final int FINAL_0 = 4;

    final UnsafeBuffer buffer;
    final int capacity;
    /** Entries written (removed ones included); readers read it once per look-up. */
    private volatile int count;
    /** Entries not removed. Writer thread only. */
    int live;
    private volatile long version;

    IndexChunk(final int capacity)
    {
        this.capacity = capacity;
        this.buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(capacity * ENTRY_BYTES));
    }

    static int offset(final int position)
    {
        return position * ENTRY_BYTES;
    }

    int count()
    {
        return count;
    }

    void count(final int count)
    {
        this.count = count;
    }

    long id(final int position)
    {
        return buffer.getLong(offset(position) + ID);
    }

    long firstId()
    {
        return buffer.getLong(ID);
    }

    int flags(final int position)
    {
        return flagsAt(buffer, offset(position));
    }

    static int flagsAt(final org.agrona.DirectBuffer buffer, final int at)
    {
        return buffer.getShort(at + FLAGS) & 0xFFFF;
    }

    static void putFlags(final UnsafeBuffer buffer, final int at, final int flags)
    {
        buffer.putShort(at + FLAGS, (short)flags);
    }

    static int recipientsAt(final org.agrona.DirectBuffer buffer, final int at)
    {
        return buffer.getShort(at + RECIPIENTS) & 0xFFFF;
    }

    boolean isRemoved(final int position)
    {
        return (flags(position) & REMOVED) != 0;
    }

    /** Writer: opens a change (readers now retry). */
    void beginWrite()
    {
        version = version + 1;
        VarHandle.storeStoreFence();
    }

    /** Writer: closes a change. */
    void endWrite()
    {
        VarHandle.storeStoreFence();
        version = version + 1;
    }

    /** Writer: the chunk is replaced and must never be read again; its version stays odd. */
    void retire()
    {
        version = version | 1;
    }

    /** @return the version to pass to {@link #validate}, or -1 while a change is open (retry). */
    long readBegin()
    {
        final long v = version;
        return (v & 1) != 0 ? -1 : v;
    }

    /** @return true if nothing changed since {@link #readBegin} returned {@code v}: what was read in between holds. */
    boolean validate(final long v)
    {
        VarHandle.loadLoadFence();
        return version == v;
    }

    /** @return the position of {@code id}, or {@code -(insertion point) - 1}, among the first {@code n} entries. */
    int search(final long id, final int n)
    {
        int low = 0;
        int high = n - 1;
        while (low <= high)
        {
            final int mid = (low + high) >>> 1;
            final long at = id(mid);
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
                return mid;
            }
        }
        return -(low + 1);
    }

    /** Copies entry {@code from} of {@code source} to {@code to} here. */
    void copyEntry(final int to, final IndexChunk source, final int from)
    {
        buffer.putBytes(offset(to), source.buffer, offset(from), ENTRY_BYTES);
    }
}
