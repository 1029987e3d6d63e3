package io.sluice.spool;

import java.util.Arrays;
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
    private static final int MAX_MERGES_PER_COMPACTION = 64;

    private final int chunkEntries;
    private volatile IndexChunk[] chunks = new IndexChunk[0];
    private final ConcurrentHashMap<Long, PendingOverflow> overflow = new ConcurrentHashMap<>();
    private final CycleLedger ledger = new CycleLedger();
    private volatile int size;
    private long pendingBytes;
    private int residents;
    /** A chunk allocated ahead by {@link #reserve}, so that indexing a journaled message never fails. */
    private IndexChunk spare;
    /** The writer's last look-up: chunk number and position (no allocation per look-up). */
    private int atChunk;
    private int atPosition;

    PendingIndex()
    {
        this(DEFAULT_CHUNK_ENTRIES);
    }

    PendingIndex(final int chunkEntries)
    {
        if (chunkEntries < 2)
        {
            throw new IllegalArgumentException("chunk entries must be >= 2: " + chunkEntries);
        }
        this.chunkEntries = chunkEntries;
    }

    CycleLedger ledger()
    {
        return ledger;
    }

    int size()
    {
        return size;
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
        return (long)chunks.length * chunkEntries * IndexChunk.ENTRY_BYTES;
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
        if (contentLength > Integer.MAX_VALUE || contentLength < 0 || recordBytes >>> 32 != 0)
        {
            throw new IllegalArgumentException("message " + QueueIds.format(messageId) + " is too large to index: "
                + contentLength + " content bytes, " + recordBytes + " record bytes");
        }
        if (!isAfterLast(messageId) && locate(messageId))
        {
            final IndexChunk chunk = chunks[atChunk];
            final int at = IndexChunk.offset(atPosition);
            // Opened first: a reader must never see the entry's overflow flag without its overflow.
            chunk.beginWrite();
            if (chunk.isRemoved(atPosition))
            {
                chunk.live++;
                size++;
            }
            else
            {
                ledger.dead(chunk.buffer.getInt(at + IndexChunk.CYCLE), recordBytes(chunk, at));
                pendingBytes -= chunk.buffer.getInt(at + IndexChunk.CONTENT);
                forgetOverflow(messageId, chunk.flags(atPosition));
            }
            write(chunk, atPosition, messageId, recordIndexes, cycle, recordBytes, contentLength, receivedAtMillis,
                statuses, resident);
            chunk.endWrite();
        }
        else
        {
            final IndexChunk chunk = insert(messageId);
            write(chunk, atPosition, messageId, recordIndexes, cycle, recordBytes, contentLength, receivedAtMillis,
                statuses, resident);
            chunk.count(Math.max(chunk.count(), atPosition + 1));
            chunk.endWrite();
            chunk.live++;
            size++;
        }
        ledger.live(cycle, recordBytes);
        pendingBytes += contentLength;
    }

    /** @return true if {@code messageId} is larger than every id indexed: the usual append, no look-up needed. */
    private boolean isAfterLast(final long messageId)
    {
        final IndexChunk[] list = chunks;
        if (list.length == 0)
        {
            return true;
        }
        final IndexChunk last = list[list.length - 1];
        return last.count() > 0 && last.id(last.count() - 1) < messageId;
    }

    /**
     * Makes sure that the next {@code entries} appends at the end allocate nothing: the journal writer asks before it
     * journals a message, so that one it cannot index is refused, never acknowledged. Writer.
     *
     * @return false if direct memory has run out (-XX:MaxDirectMemorySize, which defaults to the heap's size).
     */
    boolean reserve(final int entries)
    {
        final IndexChunk[] list = chunks;
        final int room = list.length == 0 ? 0 : list[list.length - 1].capacity - list[list.length - 1].count();
        if (room >= entries || spare != null && room + chunkEntries >= entries)
        {
            return true;
        }
        try
        {
            spare = new IndexChunk(chunkEntries);
            return room + chunkEntries >= entries;
        }
        catch (final OutOfMemoryError ex)
        {
            return false;
        }
    }

    private IndexChunk newChunk()
    {
        final IndexChunk chunk = spare != null ? spare : new IndexChunk(chunkEntries);
        spare = null;
        return chunk;
    }

    private static long recordBytes(final IndexChunk chunk, final int at)
    {
        return Integer.toUnsignedLong(chunk.buffer.getInt(at + IndexChunk.RECORD_BYTES));
    }

    private void write(final IndexChunk chunk, final int position, final long messageId, final long[] recordIndexes,
        final int cycle, final long recordBytes, final long contentLength, final long receivedAtMillis,
        final List<RecipientStatus> statuses, final PendingMessage resident)
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
        buffer.putInt(at + IndexChunk.FLAGS, flags);
        buffer.putInt(at + IndexChunk.RECIPIENTS, recipients);
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

    /** Makes room for a new id in sorted place and opens a write on its chunk; sets {@code atChunk, atPosition}. */
    private IndexChunk insert(final long messageId)
    {
        final IndexChunk[] current = chunks;
        final int last = current.length - 1;
        if (last < 0 || current[last].id(current[last].count() - 1) < messageId)
        {
            // The usual case: ids grow with time, so a new message goes at the end.
            IndexChunk tail = last < 0 ? null : current[last];
            if (tail == null || tail.count() == tail.capacity)
            {
                tail = newChunk();
                final IndexChunk[] grown = Arrays.copyOf(current, current.length + 1);
                grown[current.length] = tail;
                // Published before its first entry is: readers see it with count 0 and skip it.
                chunks = grown;
                atChunk = current.length;
            }
            else
            {
                atChunk = last;
            }
            atPosition = tail.count();
            tail.beginWrite();
            return tail;
        }
        // Recovery only: a carried-forward copy whose original file retention deleted comes after newer messages.
        final int c = Math.max(0, chunkFor(current, messageId));
        IndexChunk chunk = current[c];
        int position = -chunk.search(messageId, chunk.count()) - 1;
        if (chunk.count() == chunk.capacity)
        {
            split(c);
            chunk = chunks[c];
            if (position > chunk.count())
            {
                position -= chunk.count();
                chunk = chunks[c + 1];
                atChunk = c + 1;
            }
            else
            {
                atChunk = c;
            }
        }
        else
        {
            atChunk = c;
        }
        chunk.beginWrite();
        for (int i = chunk.count(); i > position; i--)
        {
            chunk.copyEntry(i, chunk, i - 1);
        }
        chunk.count(chunk.count() + 1);
        atPosition = position;
        return chunk;
    }

    /** Replaces full chunk {@code c} by two half-full ones. */
    private void split(final int c)
    {
        final IndexChunk[] current = chunks;
        final IndexChunk full = current[c];
        final int half = full.count() / 2;
        final IndexChunk low = copyOf(full, 0, half);
        final IndexChunk high = copyOf(full, half, full.count());
        final IndexChunk[] replaced = new IndexChunk[current.length + 1];
        System.arraycopy(current, 0, replaced, 0, c);
        replaced[c] = low;
        replaced[c + 1] = high;
        System.arraycopy(current, c + 1, replaced, c + 2, current.length - c - 1);
        chunks = replaced;
        full.retire();
    }

    private IndexChunk copyOf(final IndexChunk source, final int from, final int to)
    {
        final IndexChunk copy = new IndexChunk(chunkEntries);
        for (int i = from; i < to; i++)
        {
            copy.copyEntry(i - from, source, i);
            copy.live += source.isRemoved(i) ? 0 : 1;
        }
        copy.count(to - from);
        return copy;
    }

    /** @return the last chunk whose first id is at most {@code id}, or -1. */
    private static int chunkFor(final IndexChunk[] list, final long id)
    {
        int low = 0;
        int high = list.length - 1;
        int found = -1;
        while (low <= high)
        {
            final int mid = (low + high) >>> 1;
            if (list[mid].count() > 0 && list[mid].firstId() <= id)
            {
                found = mid;
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }
        return found;
    }

    /** Writer: finds an entry (removed or not); sets {@code atChunk, atPosition}. */
    private boolean locate(final long messageId)
    {
        final IndexChunk[] list = chunks;
        final int c = chunkFor(list, messageId);
        if (c < 0)
        {
            return false;
        }
        final int position = list[c].search(messageId, list[c].count());
        atChunk = c;
        atPosition = position;
        return position >= 0;
    }

    private boolean locateLive(final long messageId)
    {
        return locate(messageId) && !chunks[atChunk].isRemoved(atPosition);
    }

    /** @return true if the message is pending. Writer. */
    boolean contains(final long messageId)
    {
        return locateLive(messageId);
    }

    /** @return true if the outcome would change a recipient of a pending message (one not yet final). Writer. */
    boolean changes(final long messageId, final int recipientIndex)
    {
        if (!locateLive(messageId))
        {
            return false;
        }
        final IndexChunk chunk = chunks[atChunk];
        final int flags = chunk.flags(atPosition);
        final int recipients = chunk.buffer.getInt(IndexChunk.offset(atPosition) + IndexChunk.RECIPIENTS);
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
        if (!locateLive(messageId))
        {
            return UNCHANGED;
        }
        final IndexChunk chunk = chunks[atChunk];
        final int at = IndexChunk.offset(atPosition);
        final int flags = chunk.flags(atPosition);
        final int recipients = chunk.buffer.getInt(at + IndexChunk.RECIPIENTS);
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
        chunk.buffer.putInt(at + IndexChunk.FLAGS, newFlags);
        chunk.endWrite();
        final int allFinal = recipients == 1 ? IndexChunk.FINAL_0 : IndexChunk.FINAL_0 | IndexChunk.FINAL_0 << 1;
        if ((newFlags & allFinal) == allFinal)
        {
            remove(chunk, messageId);
            return FINISHED;
        }
        return APPLIED;
    }

    private int applyOverflow(final IndexChunk chunk, final long messageId, final int recipients,
        final PendingOverflow extra, final int recipientIndex, final RecipientStatus status, final long outcomeIndex)
    {
        final boolean held = extra != null && extra.outcomes() != null;
        final long[] outcomes = held ? extra.outcomes().clone() : new long[recipients];
        final long[] finals = held ? extra.finals().clone() : new long[(recipients + 63) >>> 6];
        boolean changed = false;
        boolean finished = true;
        for (int i = 0; i < recipients; i++)
        {
            final boolean wasFinal = (finals[i >>> 6] & (1L << i)) != 0;
            if ((recipientIndex == JournalRecordCodec.ALL_RECIPIENTS || recipientIndex == i) && !wasFinal)
            {
                outcomes[i] = outcomeIndex;
                finals[i >>> 6] |= status.isFinal() ? 1L << i : 0;
                changed = true;
            }
            finished &= (finals[i >>> 6] & (1L << i)) != 0;
        }
        if (!changed)
        {
            return UNCHANGED;
        }
        chunk.beginWrite();
        overflow.put(messageId, new PendingOverflow(extra == null ? null : extra.recordIndexes(), outcomes, finals, null));
        final int at = IndexChunk.offset(atPosition);
        chunk.buffer.putInt(at + IndexChunk.FLAGS, chunk.flags(atPosition) | IndexChunk.OVERFLOW);
        chunk.endWrite();
        if (finished)
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
        if (!locateLive(messageId))
        {
            return;
        }
        final IndexChunk chunk = chunks[atChunk];
        final int flags = chunk.flags(atPosition);
        final PendingOverflow extra = (flags & IndexChunk.OVERFLOW) != 0 ? overflow.get(messageId) : null;
        if (extra != null && extra.resident() != null)
        {
            return;
        }
        final PendingSlot slot = new PendingSlot();
        read(messageId, slot);
        chunk.beginWrite();
        overflow.put(messageId, new PendingOverflow(slot.recordIndexes(), null, null, snapshot));
        chunk.buffer.putInt(IndexChunk.offset(atPosition) + IndexChunk.FLAGS, flags | IndexChunk.OVERFLOW);
        chunk.endWrite();
        residents++;
    }

    private void remove(final IndexChunk chunk, final long messageId)
    {
        final int at = IndexChunk.offset(atPosition);
        final int flags = chunk.flags(atPosition);
        chunk.beginWrite();
        chunk.buffer.putInt(at + IndexChunk.FLAGS, flags | IndexChunk.REMOVED);
        chunk.endWrite();
        forgetOverflow(messageId, flags);
        ledger.dead(chunk.buffer.getInt(at + IndexChunk.CYCLE), recordBytes(chunk, at));
        pendingBytes -= chunk.buffer.getInt(at + IndexChunk.CONTENT);
        chunk.live--;
        size--;
        final IndexChunk[] current = chunks;
        if (chunk.live == 0 && atChunk < current.length - 1)
        {
            final IndexChunk[] fewer = new IndexChunk[current.length - 1];
            System.arraycopy(current, 0, fewer, 0, atChunk);
            System.arraycopy(current, atChunk + 1, fewer, atChunk, current.length - atChunk - 1);
            chunks = fewer;
            chunk.retire();
        }
    }

    /**
     * Removes a message whose records retention deleted: recovery from a checkpoint does this for an entry the
     * journal after the checkpoint never mentions again because its finishing outcome went with a deleted file. The
     * ledger of a deleted file is forgotten, so it is not charged. Writer.
     */
    void forget(final long messageId)
    {
        if (locateLive(messageId))
        {
            final IndexChunk chunk = chunks[atChunk];
            final int at = IndexChunk.offset(atPosition);
            ledger.live(chunk.buffer.getInt(at + IndexChunk.CYCLE), recordBytes(chunk, at));
            remove(chunk, messageId);
        }
    }

    /** Moves a message's records to a new cycle after retention (or salvage) wrote it forward with {@code statuses}. */
    void relocate(final long messageId, final long[] recordIndexes, final int cycle, final long recordBytes,
        final List<RecipientStatus> statuses)
    {
        if (!locateLive(messageId))
        {
            return;
        }
        final IndexChunk chunk = chunks[atChunk];
        final int at = IndexChunk.offset(atPosition);
        add(messageId, recordIndexes, cycle, recordBytes, chunk.buffer.getInt(at + IndexChunk.CONTENT),
            chunk.buffer.getLong(at + IndexChunk.RECEIVED), statuses, null);
    }

    /**
     * Copies a pending message's entry into {@code into}. Any thread.
     *
     * @return false if the message is not pending.
     */
    boolean read(final long messageId, final PendingSlot into)
    {
        while (true)
        {
            final IndexChunk[] list = chunks;
            final int c = chunkFor(list, messageId);
            if (c < 0)
            {
                return false;
            }
            final IndexChunk chunk = list[c];
            final long version = chunk.readBegin();
            if (version < 0)
            {
                Thread.onSpinWait();
                continue;
            }
            final int position = chunk.search(messageId, chunk.count());
            final boolean found = position >= 0 && !chunk.isRemoved(position) && fill(chunk, position, into);
            if (chunk.validate(version))
            {
                return found;
            }
        }
    }

    /**
     * Copies the first pending entry after {@code afterId} (exclusive), in id order or reversed, into {@code into}.
     * Any thread; weakly consistent, as a concurrent map's view is.
     *
     * @return false if there is none.
     */
    boolean readNext(final long afterId, final boolean newestFirst, final PendingSlot into)
    {
        retry:
        while (true)
        {
            final IndexChunk[] list = chunks;
            int c = newestFirst ? chunkFor(list, afterId) : Math.max(0, chunkFor(list, afterId));
            while (c >= 0 && c < list.length)
            {
                final IndexChunk chunk = list[c];
                final long version = chunk.readBegin();
                if (version < 0)
                {
                    Thread.onSpinWait();
                    continue retry;
                }
                final int count = chunk.count();
                final int found = chunk.search(afterId, count);
                int position = newestFirst ? (found >= 0 ? found - 1 : -found - 2) : (found >= 0 ? found + 1 : -found - 1);
                while (position >= 0 && position < count && chunk.isRemoved(position))
                {
                    position += newestFirst ? -1 : 1;
                }
                final boolean got = position >= 0 && position < count && fill(chunk, position, into);
                if (!chunk.validate(version))
                {
                    continue retry;
                }
                if (got)
                {
                    return true;
                }
                c += newestFirst ? -1 : 1;
            }
            return false;
        }
    }

    private boolean fill(final IndexChunk chunk, final int position, final PendingSlot into)
    {
        final org.agrona.concurrent.UnsafeBuffer buffer = chunk.buffer;
        final int at = IndexChunk.offset(position);
        into.messageId = buffer.getLong(at + IndexChunk.ID);
        into.headIndex = buffer.getLong(at + IndexChunk.HEAD);
        into.receivedAtMillis = buffer.getLong(at + IndexChunk.RECEIVED);
        into.flags = buffer.getInt(at + IndexChunk.FLAGS);
        into.recipients = buffer.getInt(at + IndexChunk.RECIPIENTS);
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

    /**
     * @param idLimit ids from this one on cannot be in {@code cycle} (issued after it closed): the scan stops there
     * @return up to {@code max} pending messages whose records are in {@code cycle}, oldest first. Writer.
     */
    LongArrayList inCycle(final int cycle, final long idLimit, final int max)
    {
        final LongArrayList found = new LongArrayList();
        for (final IndexChunk chunk : chunks)
        {
            for (int i = 0; i < chunk.count(); i++)
            {
                final int at = IndexChunk.offset(i);
                if (chunk.buffer.getLong(at + IndexChunk.ID) >= idLimit || found.size() >= max)
                {
                    return found;
                }
                if (!chunk.isRemoved(i) && chunk.buffer.getInt(at + IndexChunk.CYCLE) == cycle)
                {
                    found.addLong(chunk.buffer.getLong(at + IndexChunk.ID));
                }
            }
        }
        return found;
    }

    /** @return the ids of pending messages whose records are in a cycle before {@code firstCycle}. Writer. */
    LongArrayList before(final int firstCycle)
    {
        final LongArrayList found = new LongArrayList();
        for (final IndexChunk chunk : chunks)
        {
            for (int i = 0; i < chunk.count(); i++)
            {
                if (!chunk.isRemoved(i) && chunk.buffer.getInt(IndexChunk.offset(i) + IndexChunk.CYCLE) < firstCycle)
                {
                    found.addLong(chunk.id(i));
                }
            }
        }
        return found;
    }

    /** @return the oldest pending message's receive time, or -1 when nothing is pending. */
    long oldestReceivedAtMillis()
    {
        final PendingSlot slot = new PendingSlot();
        return readNext(Long.MIN_VALUE, false, slot) ? slot.receivedAtMillis : -1;
    }

    /**
     * Merges runs of sparse chunks (messages deferred for long among many finished), so that memory follows what is
     * pending, not how long the oldest has waited. Writer; bounded work per call.
     *
     * @return chunks merged away.
     */
    int compact()
    {
        int merged = 0;
        int c = 0;
        while (merged < MAX_MERGES_PER_COMPACTION)
        {
            final IndexChunk[] list = chunks;
            if (c >= list.length - 2)
            {
                return merged;
            }
            int end = c;
            int live = 0;
            while (end < list.length - 1 && live + list[end].live <= chunkEntries * 3 / 4)
            {
                live += list[end].live;
                end++;
            }
            if (end - c >= 2)
            {
                try
                {
                    merge(c, end);
                }
                catch (final OutOfMemoryError ex)
                {
                    // Direct memory is short: merging would free some, but needs a chunk first. Nothing changed.
                    return merged;
                }
                merged += end - c - 1;
                c++;
            }
            else
            {
                c = Math.max(c + 1, end);
            }
        }
        return merged;
    }

    /** Replaces chunks {@code [from, to)} by one holding their live entries. */
    private void merge(final int from, final int to)
    {
        final IndexChunk[] list = chunks;
        final IndexChunk into = new IndexChunk(chunkEntries);
        int n = 0;
        for (int c = from; c < to; c++)
        {
            for (int i = 0; i < list[c].count(); i++)
            {
                if (!list[c].isRemoved(i))
                {
                    into.copyEntry(n++, list[c], i);
                }
            }
        }
        into.count(n);
        into.live = n;
        final IndexChunk[] replaced;
        if (n == 0)
        {
            replaced = new IndexChunk[list.length - (to - from)];
            System.arraycopy(list, 0, replaced, 0, from);
            System.arraycopy(list, to, replaced, from, list.length - to);
        }
        else
        {
            replaced = new IndexChunk[list.length - (to - from) + 1];
            System.arraycopy(list, 0, replaced, 0, from);
            replaced[from] = into;
            System.arraycopy(list, to, replaced, from + 1, list.length - to);
        }
        chunks = replaced;
        for (int c = from; c < to; c++)
        {
            list[c].retire();
        }
    }

    /** For the checkpoint: the chunks as they are now. Writer. */
    IndexChunk[] chunks()
    {
        return chunks;
    }

    /** For the checkpoint. Writer. */
    PendingOverflow overflowOf(final long messageId)
    {
        return overflow.get(messageId);
    }

    /** @return false unless the message is indexed as having an overflow, which is now {@code extra}. Recovery. */
    boolean restoreOverflow(final long messageId, final PendingOverflow extra)
    {
        if (!locateLive(messageId) || (chunks[atChunk].flags(atPosition) & IndexChunk.OVERFLOW) == 0
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
        final IndexChunk chunk = insert(messageId);
        chunk.copyEntry(atPosition, source, position);
        chunk.count(Math.max(chunk.count(), atPosition + 1));
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
