package io.sluice.spool;

import java.util.Arrays;

import org.agrona.collections.LongArrayList;

/**
 * The chunks that hold {@link PendingIndex}'s entries, sorted by id: where an id is, room for a new one (at the end, or,
 * in recovery, in sorted place), merging sparse chunks, and reading an entry under its chunk's sequence lock (see
 * {@link IndexChunk}). The list itself is replaced whole (copy on write) when a chunk is added, split, merged or
 * dropped, so a reader holds one consistent list. Changed by the journal writer only; read by any thread.
 */
final class IndexChunks
{
    private static final int MAX_MERGES_PER_COMPACTION = 64;

    /** Copies an entry out for a reader (the index adds its heap overflow). */
    @FunctionalInterface
    interface Filler
    {
        boolean fill(IndexChunk chunk, int position, PendingSlot into);
    }

    private final int chunkEntries;
    private final Filler filler;
    private volatile IndexChunk[] chunks = new IndexChunk[0];
    /** A chunk allocated ahead by {@link #reserve}, so that indexing a journaled message never fails. */
    private IndexChunk spare;
    /** The writer's last look-up: chunk number and position (no allocation per look-up). */
    int atChunk;
    int atPosition;

    IndexChunks(final int chunkEntries, final Filler filler)
    {
        if (chunkEntries < 2)
        {
            throw new IllegalArgumentException("chunk entries must be >= 2: " + chunkEntries);
        }
        this.chunkEntries = chunkEntries;
        this.filler = filler;
    }

    /** @return the chunk of the writer's last look-up. */
    IndexChunk at()
    {
        return chunks[atChunk];
    }

    /**
     * Lets go of every chunk, for a spool that has closed: a closed spool's index is direct memory that only the
     * collector returns (a buffer is freed when its object is), and an embedder that keeps the closed spool
     * referenced (a harness opening the same directory again, a test) would otherwise hold it twice. A reader still
     * inside a chunk keeps that chunk alive and reads it as before; later reads find nothing.
     */
    void release()
    {
        chunks = new IndexChunk[0];
        spare = null;
        atChunk = 0;
        atPosition = 0;
    }

    /** Drops the writer's last chunk if nothing in it is pending and it is not the last (appends go there). */
    void dropIfEmpty(final IndexChunk chunk)
    {
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

    /** @return direct memory the entries take, bytes. */
    long offHeapBytes()
    {
        return (long)chunks.length * chunkEntries * IndexChunk.ENTRY_BYTES;
    }

    /** @return true if {@code messageId} is larger than every id indexed: the usual append, no look-up needed. */
    boolean isAfterLast(final long messageId)
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

    /** Makes room for a new id in sorted place and opens a write on its chunk; sets {@code atChunk, atPosition}. */
    IndexChunk insert(final long messageId)
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
    boolean locate(final long messageId)
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

    boolean locateLive(final long messageId)
    {
        return locate(messageId) && !chunks[atChunk].isRemoved(atPosition);
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
            final boolean found = position >= 0 && !chunk.isRemoved(position) && filler.fill(chunk, position, into);
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
                final boolean got = position >= 0 && position < count && filler.fill(chunk, position, into);
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

    /** @return the chunks as they are now, in id order. */
    IndexChunk[] list()
    {
        return chunks;
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
}
