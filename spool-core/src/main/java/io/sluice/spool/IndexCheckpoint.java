package io.sluice.spool;

import io.sluice.config.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

import org.agrona.collections.LongArrayList;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The pending index on disk, so that a restart replays only the journal written after it. The file holds the index's
 * live entries as they are in memory, the journal position they reflect (the index of the last record, with that
 * record's own CRC, so a checkpoint from another journal is refused), the heap overflow of the entries that have one,
 * and the bytes written per journal file; it ends in a CRC32C of everything before. It is written to a temporary
 * sibling, fsynced and renamed over the old one ({@link AtomicFiles}), so a crash leaves the old checkpoint or the new
 * one, whole. Little-endian.
 *
 * <pre>
 *   int magic "SLIX", int version, int entry bytes, int inline recipients,
 *   long position, int CRC of the record there, long largest message id, long entries,
 *   int cycles, then per cycle: int cycle, long bytes written,
 *   entries x 64 bytes,
 *   per entry with an overflow, in entry order: long id, int record count or -1, longs, int recipients or -1, longs
 *   (outcome indexes), longs (final bits),
 *   int CRC32C
 * </pre>
 */
final class IndexCheckpoint
{
    static final String FILE_NAME = "pending-index.checkpoint";
    private static final int MAGIC = 0x58494C53;
    /** 2: flags and recipient count became shorts, freeing an int for the head record's position. */
    private static final int VERSION = 2;
    private static final int HEADER_BYTES = 4 * 4 + 8 + 4 + 8 + 8 + 4;
    private static final int STAGING_BYTES = 1 << 20;

    /** A checkpoint file's size and the entries in it. */
    record Written(long bytes, long entries)
    {
    }

    /** What a loaded checkpoint covers. */
    record Loaded(long position, int positionCrc, long maxMessageId, long entries)
    {
    }

    private IndexCheckpoint()
    {
    }

    /**
     * What the journal writer takes down, between batches, for a checkpoint: the journal position the index reflects
     * at that moment (the index of the last record and its CRC), the largest message id, and the bytes written per
     * journal file. Cheap (no entry is touched), so the writer's stall stays short; the entries are copied afterwards.
     */
    record Header(long position, int positionCrc, long maxMessageId, int[] cycles, long[] written)
    {
        static Header of(final PendingIndex index, final long position, final int positionCrc, final long maxMessageId)
        {
            final int[] cycles = new int[index.ledger().cycles()];
            final long[] written = new long[cycles.length];
            final int[] n = {0};
            index.ledger().forEach((cycle, bytes, live, liveBytes) ->
            {
                cycles[n[0]] = cycle;
                written[n[0]++] = bytes;
            });
            return new Header(position, positionCrc, maxMessageId, cycles, written);
        }
    }

    /**
     * Writes the index (writer thread, between batches, or with the writer stopped: it is then exactly the journal up to
     * {@code position}) and moves it into place.
     *
     * @return the bytes written.
     */
    static long write(final Path file, final PendingIndex index, final long position, final int positionCrc,
        final long maxMessageId) throws IOException
    {
        final Path temporary = AtomicFiles.temporarySibling(file);
        final Written written = writeTemporary(temporary, index, Header.of(index, position, positionCrc, maxMessageId));
        AtomicFiles.moveIntoPlace(temporary, file);
        return written.bytes();
    }

    /**
     * Writes a checkpoint of {@code index} to {@code temporary}, fsynced, while the journal writer goes on changing it:
     * any thread. Each chunk of entries is copied under its sequence lock (see {@link IndexChunk}), so every entry
     * is whole and no older than {@code header}'s position; an entry may already reflect records after it. Recovery
     * replays the journal from that position over the entries, and every replayed record leaves an entry as the journal
     * says, whatever state it found: a head or a copy carried forward replaces the entry, an outcome already applied
     * changes nothing or is overwritten by the later one that follows it, an outcome for a message finished meanwhile
     * finds no entry. The bytes written per journal file are the header's, taken at the position, so the replay
     * counts each later record once.
     *
     * @return what was written.
     */
    static Written writeTemporary(final Path temporary, final PendingIndex index, final Header header) throws IOException
    {
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.READ,
            StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING))
        {
            final Output out = new Output(channel);
            putHeader(out.buffer, header, 0);
            for (int i = 0; i < header.cycles().length; i++)
            {
                out.room(12);
                out.buffer.putInt(header.cycles()[i]).putLong(header.written()[i]);
            }
            final LongArrayList overflowIds = new LongArrayList();
            final List<PendingOverflow> overflows = new ArrayList<>();
            final long entries = copyEntries(index, out, overflowIds, overflows);
            for (int i = 0; i < overflowIds.size(); i++)
            {
                writeOverflow(out, overflowIds.getLong(i), overflows.get(i));
            }
            out.flush();
            // Only now is the count known: the header is written again with it, then the whole file checksummed.
            final ByteBuffer head = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            putHeader(head, header, entries);
            head.flip();
            while (head.hasRemaining())
            {
                channel.write(head, head.position());
            }
            final long size = out.written;
            final ByteBuffer crc = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            crc.putInt(crcOf(channel, size)).flip();
            while (crc.hasRemaining())
            {
                channel.write(crc, size + crc.position());
            }
            channel.force(true);
            return new Written(size + 4, entries);
        }
    }

    private static void putHeader(final ByteBuffer buffer, final Header header, final long entries)
    {
        buffer.putInt(MAGIC).putInt(VERSION).putInt(IndexChunk.ENTRY_BYTES).putInt(PendingIndex.INLINE_RECIPIENTS)
            .putLong(header.position()).putInt(header.positionCrc()).putLong(header.maxMessageId()).putLong(entries)
            .putInt(header.cycles().length);
    }

    /**
     * Copies every live entry, in id order, chunk by chunk: a chunk is staged whole between two reads of its version,
     * with the overflow of each entry that has one, and kept only if its version did not move; else it is read again.
     * A chunk the writer replaced (merged, split, dropped) stays odd for ever, so the walk takes the chunk list again
     * and goes on after the last id it kept.
     *
     * @return the entries written.
     */
    private static long copyEntries(final PendingIndex index, final Output out, final LongArrayList overflowIds,
        final List<PendingOverflow> overflows)
    {
        UnsafeBuffer staging = new UnsafeBuffer(ByteBuffer.allocateDirect(PendingIndex.DEFAULT_CHUNK_ENTRIES
            * IndexChunk.ENTRY_BYTES));
        final List<PendingOverflow> chunkOverflows = new ArrayList<>();
        long lastId = Long.MIN_VALUE;
        long entries = 0;
        walk:
        while (true)
        {
            final IndexChunk[] list = index.chunks();
            for (final IndexChunk chunk : list)
            {
                final int peek = chunk.count();
                if (peek == 0 || chunk.id(peek - 1) <= lastId)
                {
                    // Wholly copied already (or empty): ids only grow within a chunk's tail.
                    continue;
                }
                final long version = chunk.readBegin();
                if (version < 0)
                {
                    Thread.onSpinWait();
                    continue walk;
                }
                final int count = chunk.count();
                if (staging.capacity() < count * IndexChunk.ENTRY_BYTES)
                {
                    staging = new UnsafeBuffer(ByteBuffer.allocateDirect(count * IndexChunk.ENTRY_BYTES));
                }
                staging.putBytes(0, chunk.buffer, 0, count * IndexChunk.ENTRY_BYTES);
                chunkOverflows.clear();
                for (int i = 0; i < count; i++)
                {
                    final int at = IndexChunk.offset(i);
                    final int flags = IndexChunk.flagsAt(staging, at);
                    if ((flags & (IndexChunk.REMOVED | IndexChunk.OVERFLOW)) == IndexChunk.OVERFLOW)
                    {
                        chunkOverflows.add(index.overflowOf(staging.getLong(at + IndexChunk.ID)));
                    }
                }
                if (!chunk.validate(version))
                {
                    continue walk;
                }
                int nextOverflow = 0;
                for (int i = 0; i < count; i++)
                {
                    final int at = IndexChunk.offset(i);
                    final long id = staging.getLong(at + IndexChunk.ID);
                    final int flags = IndexChunk.flagsAt(staging, at);
                    final boolean hasOverflow = (flags & (IndexChunk.REMOVED | IndexChunk.OVERFLOW)) == IndexChunk.OVERFLOW;
                    final PendingOverflow extra = hasOverflow ? chunkOverflows.get(nextOverflow++) : null;
                    if ((flags & IndexChunk.REMOVED) != 0 || id <= lastId)
                    {
                        continue;
                    }
                    out.room(IndexChunk.ENTRY_BYTES);
                    staging.getBytes(at, out.buffer, out.buffer.position(), IndexChunk.ENTRY_BYTES);
                    out.buffer.position(out.buffer.position() + IndexChunk.ENTRY_BYTES);
                    if (hasOverflow)
                    {
                        overflowIds.addLong(id);
                        overflows.add(extra);
                    }
                    lastId = id;
                    entries++;
                }
            }
            return entries;
        }
    }

    private static void writeOverflow(final Output out, final long messageId, final PendingOverflow extra)
    {
        if (extra == null || extra.resident() != null)
        {
            // The writer never checkpoints while a message is resident (its state is not in the journal).
            throw new IllegalStateException("no checkpointable overflow for " + QueueIds.format(messageId));
        }
        out.room(8);
        out.buffer.putLong(messageId);
        writeLongs(out, extra.recordIndexes());
        writeLongs(out, extra.outcomes());
        if (extra.outcomes() != null)
        {
            for (final long bits : extra.finals())
            {
                out.room(8);
                out.buffer.putLong(bits);
            }
        }
    }

    private static void writeLongs(final Output out, final long[] values)
    {
        out.room(4);
        out.buffer.putInt(values == null ? -1 : values.length);
        if (values != null)
        {
            for (final long value : values)
            {
                out.room(8);
                out.buffer.putLong(value);
            }
        }
    }

    /**
     * Reads only the header of a checkpoint: the position it says it covers. Not a check of the file (its CRC is read
     * when it is loaded): before the journal opens, it tells which journal files the start may leave unscanned.
     *
     * @return the position, or {@link Long#MIN_VALUE} if there is no checkpoint of this version, or it cannot be read.
     */
    static long coveredPosition(final Path file)
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            final ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining())
            {
                if (channel.read(b, b.position()) < 0)
                {
                    return Long.MIN_VALUE;
                }
            }
            b.flip();
            if (b.getInt() != MAGIC || b.getInt() != VERSION || b.getInt() != IndexChunk.ENTRY_BYTES
                || b.getInt() != PendingIndex.INLINE_RECIPIENTS)
            {
                return Long.MIN_VALUE;
            }
            final long position = b.getLong();
            return position < 0 ? Long.MIN_VALUE : position;
        }
        catch (final IOException ex)
        {
            return Long.MIN_VALUE;
        }
    }

    /**
     * Loads a checkpoint into an empty index. The file is checked whole (CRC32C) before anything is loaded.
     *
     * @return what it covers.
     * @throws IOException if it cannot be read, fails its CRC or is inconsistent; the index must then be dropped.
     */
    static Loaded load(final Path file, final PendingIndex index) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            final long size = channel.size();
            if (size < HEADER_BYTES + 4)
            {
                throw new IOException("checkpoint " + file + " is too short: " + size + " bytes");
            }
            checkCrc(channel, size, file);
            final Input in = new Input(channel, size - 4);
            in.need(HEADER_BYTES);
            final ByteBuffer b = in.buffer;
            if (b.getInt() != MAGIC || b.getInt() != VERSION || b.getInt() != IndexChunk.ENTRY_BYTES
                || b.getInt() != PendingIndex.INLINE_RECIPIENTS)
            {
                throw new IOException("checkpoint " + file + " is not a version " + VERSION + " pending-index checkpoint");
            }
            final Loaded loaded = new Loaded(b.getLong(), b.getInt(), b.getLong(), b.getLong());
            final int cycles = b.getInt();
            if (loaded.entries() < 0 || cycles < 0 || loaded.entries() * IndexChunk.ENTRY_BYTES > size)
            {
                throw new IOException("checkpoint " + file + " has impossible counts");
            }
            for (int i = 0; i < cycles; i++)
            {
                in.need(12);
                index.ledger().restoreWritten(b.getInt(), b.getLong());
            }
            final IndexChunk entry = new IndexChunk(1);
            long previous = Long.MIN_VALUE;
            int overflows = 0;
            for (long n = 0; n < loaded.entries(); n++)
            {
                in.need(IndexChunk.ENTRY_BYTES);
                entry.buffer.putBytes(0, b, b.position(), IndexChunk.ENTRY_BYTES);
                b.position(b.position() + IndexChunk.ENTRY_BYTES);
                final long id = entry.id(0);
                final int flags = entry.flags(0);
                final int recipients = IndexChunk.recipientsAt(entry.buffer, 0);
                if (id <= previous || (flags & IndexChunk.REMOVED) != 0 || recipients < 1
                    || recipients > Envelope.MAX_RECIPIENTS || entry.buffer.getInt(IndexChunk.PARTS) < 1)
                {
                    throw new IOException("checkpoint " + file + " holds an impossible entry for " + QueueIds.format(id));
                }
                previous = id;
                overflows += (flags & IndexChunk.OVERFLOW) != 0 ? 1 : 0;
                entry.count(1);
                index.load(entry, 0, null);
            }
            for (int n = 0; n < overflows; n++)
            {
                readOverflow(in, index, file);
            }
            if (in.remaining() != 0)
            {
                throw new IOException("checkpoint " + file + " has " + in.remaining() + " bytes after its end");
            }
            return loaded;
        }
    }

    private static void readOverflow(final Input in, final PendingIndex index, final Path file) throws IOException
    {
        in.need(8);
        final long messageId = in.buffer.getLong();
        final long[] recordIndexes = readLongs(in, file);
        final long[] outcomes = readLongs(in, file);
        long[] finals = null;
        if (outcomes != null)
        {
            finals = new long[(outcomes.length + 63) >>> 6];
            for (int i = 0; i < finals.length; i++)
            {
                in.need(8);
                finals[i] = in.buffer.getLong();
            }
        }
        if (!index.restoreOverflow(messageId, new PendingOverflow(recordIndexes, outcomes, finals, null)))
        {
            throw new IOException("checkpoint " + file + " has an overflow for " + QueueIds.format(messageId)
                + ", which it does not index as having one");
        }
    }

    private static long[] readLongs(final Input in, final Path file) throws IOException
    {
        in.need(4);
        final int n = in.buffer.getInt();
        if (n < -1 || n > Envelope.MAX_RECIPIENTS + (1 << 20))
        {
            throw new IOException("checkpoint " + file + " has an impossible array length " + n);
        }
        if (n == -1)
        {
            return null;
        }
        final long[] values = new long[n];
        for (int i = 0; i < n; i++)
        {
            in.need(8);
            values[i] = in.buffer.getLong();
        }
        return values;
    }

    private static void checkCrc(final FileChannel channel, final long size, final Path file) throws IOException
    {
        final int crc = crcOf(channel, size - 4);
        final ByteBuffer buffer = ByteBuffer.allocate(4);
        while (buffer.hasRemaining())
        {
            if (channel.read(buffer, size - 4 + buffer.position()) < 0)
            {
                throw new IOException("checkpoint " + file + " ended early");
            }
        }
        if (crc != buffer.flip().order(ByteOrder.LITTLE_ENDIAN).getInt())
        {
            throw new IOException("checkpoint " + file + " fails its CRC32C check");
        }
    }

    /** @return the CRC32C of the file's first {@code length} bytes. */
    private static int crcOf(final FileChannel channel, final long length) throws IOException
    {
        final ByteBuffer buffer = ByteBuffer.allocateDirect(STAGING_BYTES);
        final CRC32C crc = new CRC32C();
        long at = 0;
        while (at < length)
        {
            buffer.clear().limit((int)Math.min(STAGING_BYTES, length - at));
            final int read = channel.read(buffer, at);
            if (read < 0)
            {
                throw new IOException("checkpoint ended early");
            }
            buffer.flip();
            crc.update(buffer);
            at += read;
        }
        return (int)crc.getValue();
    }

    /** A staging buffer in front of the file. */
    private static final class Output
    {
        final ByteBuffer buffer = ByteBuffer.allocateDirect(STAGING_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        private final FileChannel channel;
        private long written;

        Output(final FileChannel channel)
        {
            this.channel = channel;
        }

        void room(final int bytes)
        {
            if (buffer.remaining() < bytes)
            {
                flush();
            }
        }

        void flush()
        {
            buffer.flip();
            try
            {
                while (buffer.hasRemaining())
                {
                    written += channel.write(buffer, written);
                }
            }
            catch (final IOException ex)
            {
                throw new java.io.UncheckedIOException(ex);
            }
            buffer.clear();
        }
    }

    /** Reads the file (up to its CRC) through a staging buffer. */
    private static final class Input
    {
        final ByteBuffer buffer = ByteBuffer.allocateDirect(STAGING_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        private final FileChannel channel;
        private final long end;
        private long at;

        Input(final FileChannel channel, final long end)
        {
            this.channel = channel;
            this.end = end;
            buffer.limit(0);
        }

        void need(final int bytes) throws IOException
        {
            if (buffer.remaining() >= bytes)
            {
                return;
            }
            buffer.compact();
            while (buffer.position() < bytes)
            {
                buffer.limit((int)Math.min(buffer.capacity(), buffer.position() + (end - at)));
                final int read = at >= end ? -1 : channel.read(buffer, at);
                if (read <= 0)
                {
                    throw new IOException("checkpoint ends in the middle of a record");
                }
                at += read;
            }
            buffer.flip();
        }

        long remaining()
        {
            return buffer.remaining() + (end - at);
        }
    }
}
