package io.sluice.spool;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

import org.agrona.collections.LongArrayList;

/**
 * Every unfinished message, by id, in 64 bytes of direct memory each ({@link IndexChunk}): where its records are in
 * the journal, its size and receive time, and where each recipient's status is, never the envelope or the statuses
 * themselves (see {@link PendingReader}, which reads those back). A backlog is thus bounded by disk, not by the heap:
 * the heap index it replaces held about 440 bytes of objects per message.
 *
 * <p>Ids grow with time and the entries are kept sorted in a list of chunks, so the first entry is the oldest
 * pending message and iteration is arrival order. The journal writer appends at the end; a finished message's entry
 * is marked removed and its chunk dropped once empty, or merged with its neighbours once sparse ({@link #compact}).
 * Only recovery inserts in the middle (a message carried forward whose original file is gone).
 *
 * <p>Changed only by the journal writer (and by recovery before the writer starts); read by any thread through
 * {@link #read} and {@link #readNext}, which retry while the writer changes the chunk they read (see {@link IndexChunk}).
 * Appending and recording an outcome allocate nothing here for a message with at most {@link #INLINE_RECIPIENTS}
 * recipients whose records are consecutive; others keep a {@link PendingOverflow} on the heap.
 */
final class PendingIndex
{
    /**
     * Recipients whose status location fits in the entry: two outcome indexes fill its last 16 bytes. Most relayed mail
     * has one recipient; a message with more keeps a {@link PendingOverflow} once one of them has an outcome.
     */
    static final int INLINE_RECIPIENTS = 2;
    static final int UNCHANGED = 0;
    static final int APPLIED = 1;
    static final int FINISHED = 2;
    /** 2,048 entries: 128 KiB of direct memory per chunk. */
    static final int DEFAULT_CHUNK_ENTRIES = 1 << 11;

    private final IndexChunks entries;
    private final ConcurrentHashMap<Long, PendingOverflow> overflow = new ConcurrentHashMap<>();
    private final CycleLedger ledger = new CycleLedger();
    private volatile int size;
    private long pendingBytes;
    private int residents;

    PendingIndex()
    {
        this(DEFAULT_CHUNK_ENTRIES);
    }

    PendingIndex(final int chunkEntries)
    {
        this.entries = new IndexChunks(chunkEntries, this::fill);
    }

    CycleLedger ledger()
    {
        return ledger;
    }

    int size()
    {
        return size;
    }

    /** See {@link IndexChunks#release}: only once the writer thread has ended, as nothing may change the index then. */
    void release()
    {
        entries.release();
        overflow.clear();
    }

    long pendingBytes()
    {
        return pendingBytes;
    }

    /** @return messages whose whole snapshot is on the heap (salvaged, or changed by an outcome from a damaged file). */
    int residents()
    {
        return residents;
    }

    /** @return direct memory the entries take, bytes. */
    long offHeapBytes()
    {
        return entries.offHeapBytes();
    }

    /**
     * Makes sure that the next {@code count} appends at the end allocate nothing: the journal writer asks before it
     * journals a message, so that one it cannot index is refused, never acknowledged. Writer.
     *
     * @return false if direct memory has run out (-XX:MaxDirectMemorySize, which defaults to the heap's size).
     */
    boolean reserve(final int count)
    {
        return entries.reserve(count);
    }

    /**
     * Copies a pending message's entry into {@code into}. Any thread.
     *
     * @return false if the message is not pending.
     */
    boolean read(final long messageId, final PendingSlot into)
    {
        return entries.read(messageId, into);
    }

    /**
     * Copies the first pending entry after {@code afterId} (exclusive), in id order or reversed, into {@code into}.
     * Any thread; weakly consistent, as a concurrent map's view is.
     *
     * @return false if there is none.
     */
    boolean readNext(final long afterId, final boolean newestFirst, final PendingSlot into)
    {
        return entries.readNext(afterId, newestFirst, into);
    }

    /**
     * Merges runs of sparse chunks (see {@link IndexChunks#compact}). Writer.
     *
     * @return chunks merged away.
     */
    int compact()
    {
        return entries.compact();
    }

    /** @see IndexChunks#inCycle */
    LongArrayList inCycle(final int cycle, final long idLimit, final int max)
    {
        return entries.inCycle(cycle, idLimit, max);
    }

    /** @see IndexChunks#before */
    LongArrayList before(final int firstCycle)
    {
        return entries.before(firstCycle);
    }

    private int applyOverflow(final IndexChunk chunk, final long messageId, final int recipients,
        final PendingOverflow extra, final int recipientIndex, final RecipientStatus status, final long outcomeIndex)
    {
        final PendingOverflow after = PendingOverflow.withOutcome(extra, recipients, recipientIndex, status, outcomeIndex);
        if (after == null)
        {
            return UNCHANGED;
        }
        chunk.beginWrite();
        overflow.put(messageId, after);
        final int at = IndexChunk.offset(entries.atPosition);
        IndexChunk.putFlags(chunk.buffer, at, chunk.flags(entries.atPosition) | IndexChunk.OVERFLOW);
        chunk.endWrite();
        if (after.allFinal(recipients))
        {
            remove(chunk, messageId);
            return FINISHED;
        }
        return APPLIED;
    }

    /** For the checkpoint: the chunks as they are now. Writer. */
    IndexChunk[] chunks()
    {
        return entries.list();
    }

    /**
     * Indexes a pending message, or replaces its entry (a copy carried forward supersedes the original). Writer.
     *
     * @param statuses the statuses its head record holds
     * @param resident the whole snapshot when its records are not in the live journal (salvage), else null
     */
    void add(final long messageId, final long[] recordIndexes, final int cycle, final long recordBytes,
        final long contentLength, final long receivedAtMillis, final List<RecipientStatus> statuses,
        final PendingMessage resident)
    {
        add(messageId, recordIndexes, cycle, recordBytes, contentLength, receivedAtMillis, statuses, resident, 0);
    }

    /**
     * As {@link #add(long, long[], int, long, long, long, List, PendingMessage)}, with where the head record's bytes start
     * in its cycle file (0: not known), kept as a hint for reading it back.
     */
    void add(final long messageId, final long[] recordIndexes, final int cycle, final long recordBytes,
        final long contentLength, final long receivedAtMillis, final List<RecipientStatus> statuses,
        final PendingMessage resident, final long headPosition)
    {
        if (contentLength > Integer.MAX_VALUE || contentLength < 0 || recordBytes >>> 32 != 0)
        {
            throw new IllegalArgumentException("message " + QueueIds.format(messageId) + " is too large to index: "
                + contentLength + " content bytes, " + recordBytes + " record bytes");
        }
        if (!entries.isAfterLast(messageId) && entries.locate(messageId))
        {
            final IndexChunk chunk = entries.at();
            final int at = IndexChunk.offset(entries.atPosition);
            // Opened first: a reader must never see the entry's overflow flag without its overflow.
            chunk.beginWrite();
            if (chunk.isRemoved(entries.atPosition))
            {
                chunk.live++;
                size++;
            }
            else
            {
                ledger.dead(chunk.buffer.getInt(at + IndexChunk.CYCLE), recordBytes(chunk, at));
                pendingBytes -= chunk.buffer.getInt(at + IndexChunk.CONTENT);
                forgetOverflow(messageId, chunk.flags(entries.atPosition));
            }
            write(chunk, entries.atPosition, messageId, recordIndexes, cycle, recordBytes, contentLength, receivedAtMillis,
                statuses, resident, headPosition);
            chunk.endWrite();
        }
        else
        {
            final IndexChunk chunk = entries.insert(messageId);
            write(chunk, entries.atPosition, messageId, recordIndexes, cycle, recordBytes, contentLength, receivedAtMillis,
                statuses, resident, headPosition);
            chunk.count(Math.max(chunk.count(), entries.atPosition + 1));
            chunk.endWrite();
            chunk.live++;
            size++;
        }
        ledger.live(cycle, recordBytes);
        pendingBytes += contentLength;
    }

    private static long recordBytes(final IndexChunk chunk, final int at)
    {
        return Integer.toUnsignedLong(chunk.buffer.getInt(at + IndexChunk.RECORD_BYTES));
    }

    private void write(final IndexChunk chunk, final int position, final long messageId, final long[] recordIndexes,
        final int cycle, final long recordBytes, final long contentLength, final long receivedAtMillis,
        final List<RecipientStatus> statuses, final PendingMessage resident, final long headPosition)
    {
        final int at = IndexChunk.offset(position);
        final int recipients = statuses.size();
        final PendingOverflow extra = overflowFor(recordIndexes, statuses, resident);
        int flags = extra == null ? 0 : IndexChunk.OVERFLOW;
        for (int i = 0; i < Math.min(recipients, INLINE_RECIPIENTS); i++)
        {
            flags |= statuses.get(i).isFinal() ? IndexChunk.FINAL_0 << i : 0;
        }
        if (extra != null)
        {
            overflow.put(messageId, extra);
            residents += resident == null ? 0 : 1;
        }
        final org.agrona.concurrent.UnsafeBuffer buffer = chunk.buffer;
        buffer.putLong(at + IndexChunk.ID, messageId);
        buffer.putLong(at + IndexChunk.HEAD, recordIndexes[0]);
        buffer.putLong(at + IndexChunk.RECEIVED, receivedAtMillis);
        IndexChunk.putFlags(buffer, at, flags);
        buffer.putShort(at + IndexChunk.RECIPIENTS, (short)recipients);
        buffer.putInt(at + IndexChunk.HEAD_POSITION, headPosition >>> 32 == 0 ? (int)headPosition : 0);
        buffer.putInt(at + IndexChunk.CONTENT, (int)contentLength);
        buffer.putInt(at + IndexChunk.RECORD_BYTES, (int)recordBytes);
        buffer.putInt(at + IndexChunk.CYCLE, cycle);
        buffer.putInt(at + IndexChunk.PARTS, recordIndexes.length);
        for (int i = 0; i < INLINE_RECIPIENTS; i++)
        {
            buffer.putLong(at + IndexChunk.OUTCOMES + 8 * i, 0);
        }
    }

    /** @return the heap part of a new entry, or null when the 64 bytes hold everything (the usual case). */
    private static PendingOverflow overflowFor(final long[] recordIndexes, final List<RecipientStatus> statuses,
        final PendingMessage resident)
    {
        boolean consecutive = resident == null;
        for (int i = 1; i < recordIndexes.length && consecutive; i++)
        {
            consecutive = recordIndexes[i] == recordIndexes[0] + i;
        }
        long[] outcomes = null;
        long[] finals = null;
        if (resident == null && statuses.size() > INLINE_RECIPIENTS)
        {
            for (int i = 0; i < statuses.size(); i++)
            {
                if (statuses.get(i).isFinal())
                {
                    if (finals == null)
                    {
                        finals = new long[(statuses.size() + 63) >>> 6];
                        outcomes = new long[statuses.size()];
                    }
                    finals[i >>> 6] |= 1L << i;
                }
            }
        }
        if (consecutive && outcomes == null && resident == null)
        {
            return null;
        }
        return new PendingOverflow(consecutive ? null : recordIndexes, outcomes, finals, resident);
    }

    private void forgetOverflow(final long messageId, final int flags)
    {
        if ((flags & IndexChunk.OVERFLOW) != 0)
        {
            final PendingOverflow gone = overflow.remove(messageId);
            residents -= gone != null && gone.resident() != null ? 1 : 0;
        }
    }

    /** @return true if the message is pending. Writer. */
    boolean contains(final long messageId)
    {
        return entries.locateLive(messageId);
    }

    /** @return true if the outcome would change a recipient of a pending message (one not yet final). Writer. */
    boolean changes(final long messageId, final int recipientIndex)
    {
        if (!entries.locateLive(messageId))
        {
            return false;
        }
        final IndexChunk chunk = entries.at();
        final int flags = chunk.flags(entries.atPosition);
        final int recipients = IndexChunk.recipientsAt(chunk.buffer, IndexChunk.offset(entries.atPosition));
        final PendingOverflow extra = (flags & IndexChunk.OVERFLOW) != 0 ? overflow.get(messageId) : null;
        for (int i = 0; i < recipients; i++)
        {
            if ((recipientIndex == JournalRecordCodec.ALL_RECIPIENTS || recipientIndex == i) && !isFinal(flags, extra, i))
            {
                return true;
            }
        }
        return false;
    }

    private static boolean isFinal(final int flags, final PendingOverflow extra, final int recipient)
    {
        if (extra != null && extra.holdsStatuses())
        {
            return extra.isFinal(recipient);
        }
        return recipient < INLINE_RECIPIENTS && (flags & (IndexChunk.FINAL_0 << recipient)) != 0;
    }

    /**
     * Applies one recipient outcome (or one to every unfinished recipient when {@code recipientIndex} is
     * {@link JournalRecordCodec#ALL_RECIPIENTS}), removing the message once nothing is left to do. Writer.
     *
     * @param outcomeIndex the journal index of the outcome record, where a reader finds the new status again
     * @return {@link #UNCHANGED} (unknown message, or every addressed recipient already final), {@link #APPLIED} or
     *         {@link #FINISHED}.
     */
    int apply(final long messageId, final int recipientIndex, final RecipientStatus status, final long outcomeIndex)
    {
        if (!entries.locateLive(messageId))
        {
            return UNCHANGED;
        }
        final IndexChunk chunk = entries.at();
        final int at = IndexChunk.offset(entries.atPosition);
        final int flags = chunk.flags(entries.atPosition);
        final int recipients = IndexChunk.recipientsAt(chunk.buffer, at);
        final PendingOverflow extra = (flags & IndexChunk.OVERFLOW) != 0 ? overflow.get(messageId) : null;
        if (extra != null && extra.resident() != null)
        {
            return applyResident(chunk, messageId, extra, recipientIndex, status);
        }
        if (recipients > INLINE_RECIPIENTS || extra != null && extra.outcomes() != null)
        {
            return applyOverflow(chunk, messageId, recipients, extra, recipientIndex, status, outcomeIndex);
        }
        int newFlags = flags;
        for (int i = 0; i < recipients; i++)
        {
            if ((recipientIndex == JournalRecordCodec.ALL_RECIPIENTS || recipientIndex == i)
                && (flags & (IndexChunk.FINAL_0 << i)) == 0)
            {
                newFlags |= status.isFinal() ? IndexChunk.FINAL_0 << i : 0;
                newFlags |= 1 << (16 + i);
            }
        }
        if (newFlags == flags)
        {
            return UNCHANGED;
        }
        chunk.beginWrite();
        for (int i = 0; i < recipients; i++)
        {
            if ((newFlags & (1 << (16 + i))) != 0)
            {
                chunk.buffer.putLong(at + IndexChunk.OUTCOMES + 8 * i, outcomeIndex);
            }
        }
        newFlags &= 0xFFFF;
        IndexChunk.putFlags(chunk.buffer, at, newFlags);
        chunk.endWrite();
        final int allFinal = recipients == 1 ? IndexChunk.FINAL_0 : IndexChunk.FINAL_0 | IndexChunk.FINAL_0 << 1;
        if ((newFlags & allFinal) == allFinal)
        {
            remove(chunk, messageId);
            return FINISHED;
        }
        return APPLIED;
    }

    private int applyResident(final IndexChunk chunk, final long messageId, final PendingOverflow extra,
        final int recipientIndex, final RecipientStatus status)
    {
        final PendingMessage after = PendingReader.applied(extra.resident(), recipientIndex, status);
        if (after == null)
        {
            return UNCHANGED;
        }
        chunk.beginWrite();
        overflow.put(messageId, new PendingOverflow(extra.recordIndexes(), null, null, after));
        chunk.endWrite();
        if (after.isFinished())
        {
            remove(chunk, messageId);
            return FINISHED;
        }
        return APPLIED;
    }

    /**
     * Keeps a pending message's whole snapshot on the heap from now on: recovery does this before it applies an
     * outcome read from a damaged file, whose record will not be readable in the live journal. Writer.
     */
    void makeResident(final long messageId, final PendingMessage snapshot)
    {
        if (!entries.locateLive(messageId))
        {
            return;
        }
        final IndexChunk chunk = entries.at();
        final int flags = chunk.flags(entries.atPosition);
        final PendingOverflow extra = (flags & IndexChunk.OVERFLOW) != 0 ? overflow.get(messageId) : null;
        if (extra != null && extra.resident() != null)
        {
            return;
        }
        final PendingSlot slot = new PendingSlot();
        read(messageId, slot);
        chunk.beginWrite();
        overflow.put(messageId, new PendingOverflow(slot.recordIndexes(), null, null, snapshot));
        IndexChunk.putFlags(chunk.buffer, IndexChunk.offset(entries.atPosition), flags | IndexChunk.OVERFLOW);
        chunk.endWrite();
        residents++;
    }

    private void remove(final IndexChunk chunk, final long messageId)
    {
        final int at = IndexChunk.offset(entries.atPosition);
        final int flags = chunk.flags(entries.atPosition);
        chunk.beginWrite();
        IndexChunk.putFlags(chunk.buffer, at, flags | IndexChunk.REMOVED);
        chunk.endWrite();
        forgetOverflow(messageId, flags);
        ledger.dead(chunk.buffer.getInt(at + IndexChunk.CYCLE), recordBytes(chunk, at));
        pendingBytes -= chunk.buffer.getInt(at + IndexChunk.CONTENT);
        chunk.live--;
        size--;
        entries.dropIfEmpty(chunk);
    }

    /**
     * Removes a message whose records retention deleted: recovery from a checkpoint does this for an entry the
     * journal after the checkpoint never mentions again because its finishing outcome went with a deleted file. The
     * ledger of a deleted file is forgotten, so it is not charged. Writer.
     */
    void forget(final long messageId)
    {
        if (entries.locateLive(messageId))
        {
            final IndexChunk chunk = entries.at();
            final int at = IndexChunk.offset(entries.atPosition);
            ledger.live(chunk.buffer.getInt(at + IndexChunk.CYCLE), recordBytes(chunk, at));
            remove(chunk, messageId);
        }
    }

    /** Moves a message's records to a new cycle after retention (or salvage) wrote it forward with {@code statuses}. */
    void relocate(final long messageId, final long[] recordIndexes, final int cycle, final long recordBytes,
        final List<RecipientStatus> statuses)
    {
        if (!entries.locateLive(messageId))
        {
            return;
        }
        final IndexChunk chunk = entries.at();
        final int at = IndexChunk.offset(entries.atPosition);
        add(messageId, recordIndexes, cycle, recordBytes, chunk.buffer.getInt(at + IndexChunk.CONTENT),
            chunk.buffer.getLong(at + IndexChunk.RECEIVED), statuses, null);
    }

    private boolean fill(final IndexChunk chunk, final int position, final PendingSlot into)
    {
        final org.agrona.concurrent.UnsafeBuffer buffer = chunk.buffer;
        final int at = IndexChunk.offset(position);
        into.messageId = buffer.getLong(at + IndexChunk.ID);
        into.headIndex = buffer.getLong(at + IndexChunk.HEAD);
        into.receivedAtMillis = buffer.getLong(at + IndexChunk.RECEIVED);
        into.flags = IndexChunk.flagsAt(buffer, at);
        into.recipients = IndexChunk.recipientsAt(buffer, at);
        into.headPosition = Integer.toUnsignedLong(buffer.getInt(at + IndexChunk.HEAD_POSITION));
        into.contentLength = buffer.getInt(at + IndexChunk.CONTENT);
        into.recordBytes = Integer.toUnsignedLong(buffer.getInt(at + IndexChunk.RECORD_BYTES));
        into.cycle = buffer.getInt(at + IndexChunk.CYCLE);
        into.parts = buffer.getInt(at + IndexChunk.PARTS);
        for (int i = 0; i < INLINE_RECIPIENTS; i++)
        {
            into.inlineOutcomes[i] = buffer.getLong(at + IndexChunk.OUTCOMES + 8 * i);
        }
        into.overflow = (into.flags & IndexChunk.OVERFLOW) != 0 ? overflow.get(into.messageId) : null;
        return true;
    }

    /** @return the oldest pending message's receive time, or -1 when nothing is pending. */
    long oldestReceivedAtMillis()
    {
        final PendingSlot slot = new PendingSlot();
        return readNext(Long.MIN_VALUE, false, slot) ? slot.receivedAtMillis : -1;
    }

    /** For the checkpoint. Writer. */
    PendingOverflow overflowOf(final long messageId)
    {
        return overflow.get(messageId);
    }

    /** @return false unless the message is indexed as having an overflow, which is now {@code extra}. Recovery. */
    boolean restoreOverflow(final long messageId, final PendingOverflow extra)
    {
        if (!entries.locateLive(messageId) || (entries.at().flags(entries.atPosition) & IndexChunk.OVERFLOW) == 0
            || overflow.containsKey(messageId))
        {
            return false;
        }
        overflow.put(messageId, extra);
        return true;
    }

    /** Loads an entry read from a checkpoint, in id order, with its overflow (or null). Recovery. */
    void load(final IndexChunk source, final int position, final PendingOverflow extra)
    {
        final long messageId = source.id(position);
        final IndexChunk chunk = entries.insert(messageId);
        chunk.copyEntry(entries.atPosition, source, position);
        chunk.count(Math.max(chunk.count(), entries.atPosition + 1));
        chunk.endWrite();
        chunk.live++;
        size++;
        if (extra != null)
        {
            overflow.put(messageId, extra);
        }
        final int at = IndexChunk.offset(position);
        pendingBytes += source.buffer.getInt(at + IndexChunk.CONTENT);
        ledger.live(source.buffer.getInt(at + IndexChunk.CYCLE), recordBytes(source, at));
    }
}
