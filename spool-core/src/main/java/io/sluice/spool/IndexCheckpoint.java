package io.sluice.spool;

import io.sluice.config.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

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

    /** What a loaded checkpoint covers. */
    record Loaded(long position, int positionCrc, long maxMessageId, long entries)
    {
    }

    private IndexCheckpoint()
    {
    }

    /**
     * Writes the index (writer thread, between batches, so it is exactly the journal up to {@code position}).
     *
     * @return the bytes written.
     */
    static long write(final Path file, final PendingIndex index, final long position, final int positionCrc,
        final long maxMessageId) throws IOException
    {
        final Path temporary = AtomicFiles.temporarySibling(file);
        final long bytes;
        try (FileChannel channel = FileChannel.open(temporary,
            StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING))
        {
            final Output out = new Output(channel);
            out.room(HEADER_BYTES);
            out.buffer.putInt(MAGIC).putInt(VERSION).putInt(IndexChunk.ENTRY_BYTES).putInt(PendingIndex.INLINE_RECIPIENTS)
                .putLong(position).putInt(positionCrc).putLong(maxMessageId).putLong(index.size())
                .putInt(index.ledger().cycles());
            index.ledger().forEach((cycle, written, live, liveBytes) ->
            {
                out.room(12);
                out.buffer.putInt(cycle).putLong(written);
            });
            final IndexChunk[] chunks = index.chunks();
            long entries = 0;
            for (final IndexChunk chunk : chunks)
            {
                for (int i = 0; i < chunk.count(); i++)
                {
                    if (!chunk.isRemoved(i))
                    {
                        out.room(IndexChunk.ENTRY_BYTES);
                        chunk.buffer.getBytes(IndexChunk.offset(i), out.buffer, out.buffer.position(), IndexChunk.ENTRY_BYTES);
                        out.buffer.position(out.buffer.position() + IndexChunk.ENTRY_BYTES);
                        entries++;
                    }
                }
            }
            if (entries != index.size())
            {
                throw new IllegalStateException("index holds " + entries + " entries, counts " + index.size());
            }
            for (final IndexChunk chunk : chunks)
            {
                for (int i = 0; i < chunk.count(); i++)
                {
                    if (!chunk.isRemoved(i) && (chunk.flags(i) & IndexChunk.OVERFLOW) != 0)
                    {
                        writeOverflow(out, chunk.id(i), index.overflowOf(chunk.id(i)));
                    }
                }
            }
            bytes = out.finish();
            channel.force(true);
        }
        AtomicFiles.moveIntoPlace(temporary, file);
        return bytes;
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
        final ByteBuffer buffer = ByteBuffer.allocateDirect(STAGING_BYTES);
        final CRC32C crc = new CRC32C();
        long at = 0;
        while (at < size - 4)
        {
            buffer.clear().limit((int)Math.min(STAGING_BYTES, size - 4 - at));
            final int read = channel.read(buffer, at);
            if (read < 0)
            {
                throw new IOException("checkpoint " + file + " ended early");
            }
            buffer.flip();
            crc.update(buffer);
            at += read;
        }
        buffer.clear().limit(4);
        while (buffer.hasRemaining())
        {
            if (channel.read(buffer, size - 4 + buffer.position()) < 0)
            {
                throw new IOException("checkpoint " + file + " ended early");
            }
        }
        if ((int)crc.getValue() != buffer.flip().order(ByteOrder.LITTLE_ENDIAN).getInt())
        {
            throw new IOException("checkpoint " + file + " fails its CRC32C check");
        }
    }

    /** A staging buffer in front of the file, checksumming what it writes. */
    private static final class Output
    {
        final ByteBuffer buffer = ByteBuffer.allocateDirect(STAGING_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        private final FileChannel channel;
        private final CRC32C crc = new CRC32C();
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

        private void flush()
        {
            buffer.flip();
            crc.update(buffer.duplicate());
            try
            {
                while (buffer.hasRemaining())
                {
                    written += channel.write(buffer);
                }
            }
            catch (final IOException ex)
            {
                throw new java.io.UncheckedIOException(ex);
            }
            buffer.clear();
        }

        long finish() throws IOException
        {
            try
            {
                flush();
                buffer.putInt((int)crc.getValue()).flip();
                while (buffer.hasRemaining())
                {
                    written += channel.write(buffer);
                }
                return written;
            }
            catch (final java.io.UncheckedIOException ex)
            {
                throw ex.getCause();
            }
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
