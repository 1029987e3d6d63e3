package io.sluice.spool;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.time.Clock;
import java.util.NavigableSet;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.SyncMode;
import net.openhft.chronicle.core.time.TimeProvider;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueStore;
import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.ExpandableArrayBuffer;

/**
 * The spool's records on a Chronicle Queue: writes them, syncs them, reads them back by index, and
 * deletes whole cycle files for retention.
 *
 * <p>Writing methods are NOT thread-safe: only the journal writer agent calls them. Reading content is
 * synchronized, so any thread may call {@link #readContent} while the writer appends.
 */
final class Journal implements AutoCloseable
{
    private final SingleChronicleQueue queue;
    private final ExcerptAppender appender;
    private final boolean durable;
    private final JournalRecordCodec writeCodec = new JournalRecordCodec();
    private final ExpandableArrayBuffer writeBuffer = new ExpandableArrayBuffer(64 * 1024);
    private final JournalRecordCodec readCodec = new JournalRecordCodec();
    private final ExpandableArrayBuffer readBuffer = new ExpandableArrayBuffer(64 * 1024);
    private ExcerptTailer reader;
    private final HeadReads heads = new HeadReads();
    private final MappedWriteAdvice writeAdvice = new MappedWriteAdvice();
    private long lastAppendPosition;
    private long lastHeadPosition;
    private long lastWriteBytes;
    private long lastIndexAppended = -1;
    /** Key in Chronicle's metadata table: the newest cycle retention deleted, so recovery knows it went on purpose. */
    static final String LAST_DELETED_CYCLE = "sluice.lastDeletedCycle";
    static final int NO_CYCLE = -1;
    private final ExpandableArrayBuffer markerBuffer = new ExpandableArrayBuffer(64);
    private int lastWrittenCycle;
    private final ClockTimeProvider timeProvider;

    Journal(final SpoolContext context)
    {
        final Clock clock = context.clock();
        durable = context.durability() == Durability.DURABLE;
        timeProvider = new ClockTimeProvider(clock);
        queue = SingleChronicleQueueBuilder.binary(context.directory())
            .rollCycle(context.rollCycle())
            .blockSize(context.blockSizeBytes())
            .timeProvider(timeProvider)
            .syncMode(durable ? SyncMode.SYNC : SyncMode.NONE)
            .build();
        appender = queue.createAppender();
        // The writer thread is not the thread that opened the spool.
        appender.singleThreadedCheckDisabled(true);
        lastWrittenCycle = queue.firstCycle() == Integer.MAX_VALUE ? NO_CYCLE : queue.lastCycle();
        if (lastWrittenCycle != NO_CYCLE)
        {
            // An early roll (see roll()) may have put the newest file ahead of the clock: never write behind it.
            timeProvider.floorMillis = cycleStartMillis(lastWrittenCycle);
        }
    }

    long cycleStartMillis(final int cycle)
    {
        return queue.epoch() + (long)cycle * queue.rollCycle().lengthInMillis();
    }

    /** @return the cycle of the newest file written to, or {@link #NO_CYCLE}. */
    int lastWrittenCycle()
    {
        return lastWrittenCycle;
    }

    /**
     * Starts the next cycle file now, without waiting for the clock, so that retention may delete the one before
     * it: Chronicle rolls by time alone, so the journal's time is moved to the next cycle's start and stays there
     * until the clock catches up. The new file opens with its usual marker naming the file before it.
     *
     * @return the new cycle.
     */
    int roll()
    {
        final int now = queue.cycle();
        final int next = now > lastWrittenCycle ? now : lastWrittenCycle + 1;
        timeProvider.floorMillis = Math.max(timeProvider.floorMillis, cycleStartMillis(next));
        final int length = writeCodec.encodeCycleMarker(markerBuffer, lastWrittenCycle);
        final long index = append(markerBuffer, length);
        lastWriteBytes = length;
        lastWrittenCycle = cycleOf(index);
        return lastWrittenCycle;
    }

    /** @return the newest cycle retention deleted on purpose, or {@link #NO_CYCLE}. */
    long lastDeletedCycle()
    {
        final long cycle = queue.tableStoreGet(LAST_DELETED_CYCLE);
        return cycle == Long.MIN_VALUE ? NO_CYCLE : cycle;
    }

    SingleChronicleQueue queue()
    {
        return queue;
    }

    int cycleOf(final long index)
    {
        return queue.rollCycle().toCycle(index);
    }

    /** @return the cycle that new records go to now (the clock's, not the last written). */
    int currentCycle()
    {
        return queue.cycle();
    }

    /**
     * Writes a message as one record, or as a head record and chunk records when its body is larger than
     * {@code chunkBytes}.
     *
     * @return the journal index of each record, head first.
     */
    long[] writeMessage(
        final long messageId,
        final boolean carried,
        final Envelope envelope,
        final java.util.List<RecipientStatus> statuses,
        final ByteBuffer content,
        final int chunkBytes)
    {
        final long contentLength = content.remaining();
        final int parts = contentLength == 0 ? 1 : (int)((contentLength + chunkBytes - 1) / chunkBytes);
        final long[] indexes = new long[parts];
        long bytes = 0;
        final ByteBuffer part = content.duplicate();
        final int base = content.position();
        for (int i = 0; i < parts; i++)
        {
            final int from = base + i * chunkBytes;
            final int to = (int)Math.min(base + contentLength, (long)from + chunkBytes);
            part.limit(to).position(from);
            final int length = i == 0
                ? writeCodec.encodeMessage(writeBuffer, messageId, carried, envelope, statuses, contentLength, part)
                : writeCodec.encodeChunk(writeBuffer, messageId, (long)i * chunkBytes, part);
            indexes[i] = write(length);
            if (i == 0)
            {
                lastHeadPosition = lastAppendPosition;
            }
            bytes += length;
        }
        lastWriteBytes = bytes;
        return indexes;
    }

    long writeOutcome(final long messageId, final int recipientIndex, final RecipientStatus status)
    {
        return write(writeCodec.encodeOutcome(writeBuffer, messageId, recipientIndex, status));
    }

    /** @return where the head record of the last {@link #writeMessage} starts in its cycle file. Writer thread. */
    long lastHeadPosition()
    {
        return lastHeadPosition;
    }

    /** @return the bytes of the records the last write call put in the journal. */
    long lastWriteBytes()
    {
        return lastWriteBytes;
    }

    private long write(final int length)
    {
        lastWriteBytes = length;
        if (queue.cycle() != lastWrittenCycle)
        {
            // Chronicle rolls to a new file on this write: open it with a marker naming the file before it.
            append(markerBuffer, writeCodec.encodeCycleMarker(markerBuffer, lastWrittenCycle));
        }
        final long index = append(writeBuffer, length);
        lastWrittenCycle = cycleOf(index);
        return index;
    }

    private long append(final ExpandableArrayBuffer buffer, final int length)
    {
        try (DocumentContext dc = appender.writingDocument())
        {
            final Bytes<?> bytes = dc.wire().bytes();
            writeAdvice.adviseIfNew(bytes);
            // The store's bytes are the cycle file's, mapped: the write position is the record's offset in the file.
            lastAppendPosition = bytes.writePosition();
            bytes.write(buffer.byteArray(), 0, length);
        }
        lastIndexAppended = appender.lastIndexAppended();
        return lastIndexAppended;
    }

    /** Makes every record written so far durable (an msync); a no-op when acknowledging on write. */
    void sync()
    {
        if (durable)
        {
            appender.sync();
        }
    }

    boolean isDurable()
    {
        return durable;
    }

    /** @return how many mapped chunks the writer advised for random access (see {@link MappedWriteAdvice}). */
    long chunksAdvised()
    {
        return writeAdvice.chunksAdvised();
    }

    /**
     * Reads a message's body back from its records.
     *
     * @throws IOException if a record is missing or fails its checksum.
     */
    synchronized ByteBuffer readContent(final long messageId, final long[] recordIndexes, final long contentLength)
        throws IOException
    {
        return readContent(messageId, recordIndexes, contentLength, 0);
    }

    /**
     * Reads a message's body back, its head record from where the index says it starts in its cycle file, as
     * {@link #readHead(long, long, long)} does, and each further part from just after the one before (Chronicle writes a
     * message's records one after the other, 4-byte aligned, unless an index block comes between). What is read there is
     * kept only if it is that message's next part, whole (its CRC, id, type and offset); else that part and the rest are
     * read by their index through Chronicle's seek, which costs time, never mail.
     *
     * @param headPosition the head record's offset in its cycle file, or 0 when not known
     * @throws IOException if a record is missing or fails its checksum.
     */
    synchronized ByteBuffer readContent(final long messageId, final long[] recordIndexes, final long contentLength,
        final long headPosition) throws IOException
    {
        if (contentLength > Integer.MAX_VALUE)
        {
            throw new IOException("message " + QueueIds.format(messageId) + " is too large to read at once");
        }
        final ByteBuffer content = ByteBuffer.allocate((int)contentLength);
        long position = headPosition;
        for (int i = 0; i < recordIndexes.length; i++)
        {
            int length = position > 0 ? heads.read(queue, cycleOf(recordIndexes[i]), position, readBuffer) : -1;
            if (length > 0 && !isPart(messageId, i, content.position(), length))
            {
                length = -1;
            }
            if (length > 0)
            {
                position = ((position + length + 3) & ~3L) + HeadReads.CHRONICLE_HEADER;
            }
            else
            {
                length = readRecord(recordIndexes[i], messageId);
                position = 0;
            }
            try
            {
                final byte type = readCodec.verify(readBuffer, length);
                if (JournalRecordCodec.messageId(readBuffer) != messageId)
                {
                    throw new CorruptRecordException(
                        "record belongs to " + QueueIds.format(JournalRecordCodec.messageId(readBuffer)));
                }
                final int partOffset;
                final int partLength;
                if (i == 0 && type == JournalRecordCodec.TYPE_MESSAGE)
                {
                    // Only where the body starts: the envelope is not needed here (see messagePartOffset).
                    partOffset = readCodec.messagePartOffset(readBuffer, length);
                    partLength = JournalRecordCodec.partLength(readBuffer, partOffset);
                }
                else if (i > 0 && type == JournalRecordCodec.TYPE_CHUNK)
                {
                    final JournalRecordCodec.ChunkRecord chunk = readCodec.decodeChunk(readBuffer, length);
                    content.position((int)chunk.contentOffset());
                    partOffset = chunk.partOffset();
                    partLength = chunk.partLength();
                }
                else
                {
                    throw new CorruptRecordException("unexpected record type " + type + " for part " + i);
                }
                content.put(readBuffer.byteArray(), partOffset, partLength);
            }
            catch (final CorruptRecordException | RuntimeException ex)
            {
                throw new IOException("message " + QueueIds.format(messageId) + " part " + i + " at index "
                    + Long.toHexString(recordIndexes[i]) + " is unreadable: " + ex.getMessage(), ex);
            }
        }
        return content.clear();
    }

    /** @return true if the read buffer holds, whole, part {@code part} of the message, starting at {@code offset}. */
    private boolean isPart(final long messageId, final int part, final int offset, final int length)
    {
        try
        {
            final byte type = readCodec.verify(readBuffer, length);
            if (JournalRecordCodec.messageId(readBuffer) != messageId)
            {
                return false;
            }
            if (part == 0)
            {
                return type == JournalRecordCodec.TYPE_MESSAGE;
            }
            return type == JournalRecordCodec.TYPE_CHUNK && readCodec.decodeChunk(readBuffer, length).contentOffset() == offset;
        }
        catch (final CorruptRecordException | RuntimeException ex)
        {
            return false;
        }
    }

    /**
     * Reads a message's head record back: its envelope, the statuses written with it and its size.
     *
     * @throws IOException if the record is missing, fails its checksum or is not that message's head.
     */
    synchronized JournalRecordCodec.MessageRecord readHead(final long messageId, final long index) throws IOException
    {
        return readAs(messageId, index, JournalRecordCodec.TYPE_MESSAGE, "head", readCodec::decodeMessage);
    }

    /**
     * Reads a message's head record back from where the index says it starts in its cycle file, with one positioned
     * read and none of Chronicle's seek; if nothing readable as that message's head is there (a stale or missing
     * hint), by its index as {@link #readHead(long, long)} does.
     *
     * @param position the record's offset in the file of {@code index}'s cycle, or 0 when not known
     * @throws IOException if the record is missing, fails its checksum or is not that message's head.
     */
    synchronized JournalRecordCodec.MessageRecord readHead(final long messageId, final long index, final long position)
        throws IOException
    {
        if (position > 0)
        {
            final int length = heads.read(queue, cycleOf(index), position, readBuffer);
            if (length > 0)
            {
                try
                {
                    if (readCodec.verify(readBuffer, length) == JournalRecordCodec.TYPE_MESSAGE
                        && JournalRecordCodec.messageId(readBuffer) == messageId)
                    {
                        return readCodec.decodeMessage(readBuffer, length);
                    }
                }
                catch (final CorruptRecordException | RuntimeException ex)
                {
                    // Not that head: read it by its index below, which says what is wrong if it is damaged.
                }
            }
        }
        return readHead(messageId, index);
    }

    /**
     * Reads an outcome record back.
     *
     * @throws IOException if the record is missing, fails its checksum or is not an outcome for that message.
     */
    synchronized JournalRecordCodec.OutcomeRecord readOutcome(final long messageId, final long index) throws IOException
    {
        return readAs(messageId, index, JournalRecordCodec.TYPE_OUTCOME, "outcome", readCodec::decodeOutcome);
    }

    /** Decodes a verified record of the read buffer. */
    private interface Decoder<T>
    {
        T decode(org.agrona.DirectBuffer buffer, int length) throws CorruptRecordException;
    }

    private <T> T readAs(final long messageId, final long index, final byte type, final String what, final Decoder<T> decoder)
        throws IOException
    {
        final int length = readRecord(index, messageId);
        try
        {
            if (readCodec.verify(readBuffer, length) != type || JournalRecordCodec.messageId(readBuffer) != messageId)
            {
                throw new CorruptRecordException("not the " + what + " of " + QueueIds.format(messageId));
            }
            return decoder.decode(readBuffer, length);
        }
        catch (final CorruptRecordException | RuntimeException ex)
        {
            throw new IOException("message " + QueueIds.format(messageId) + ": " + what + " at index "
                + Long.toHexString(index) + " is unreadable: " + ex.getMessage(), ex);
        }
    }

    /** @return the CRC32C a record starts with: a checkpoint names the last record it covers by index and CRC. */
    synchronized int recordCrc(final long index) throws IOException
    {
        final int length = readRecord(index, 0);
        if (length < JournalRecordCodec.HEADER_LENGTH)
        {
            throw new IOException("record at " + Long.toHexString(index) + " is too short: " + length + " bytes");
        }
        return readBuffer.getInt(JournalRecordCodec.CRC_OFFSET, java.nio.ByteOrder.LITTLE_ENDIAN);
    }

    /** @return the index of the last record written since the journal opened, or -1. Writer thread. */
    long lastIndexAppended()
    {
        return lastIndexAppended;
    }

    private int readRecord(final long index, final long messageId) throws IOException
    {
        if (reader == null)
        {
            reader = queue.createTailer();
            reader.singleThreadedCheckDisabled(true);
        }
        if (!reader.moveToIndex(index))
        {
            throw new IOException(
                "message " + QueueIds.format(messageId) + ": no journal record at index " + Long.toHexString(index));
        }
        try (DocumentContext dc = reader.readingDocument())
        {
            if (!dc.isPresent())
            {
                throw new IOException(
                    "message " + QueueIds.format(messageId) + ": record at " + Long.toHexString(index) + " is absent");
            }
            return copy(dc.wire().bytes(), readBuffer, index);
        }
    }

    /**
     * The longest record any journal can hold, whatever settings wrote it: Chronicle gives one excerpt at most a quarter
     * of the block size to write into (its overlap, {@code blockSize / 4} from 256 KiB up), and the largest block size a
     * spool accepts is 1 GiB, so 256 MiB. A head record (envelope, statuses, first chunk) or a chunk is therefore never
     * longer, even in a file written earlier with larger settings than today's. Only Chronicle's header says how long
     * an excerpt is, and its 30 length bits claim up to 1 GiB: a claim past this bound is a damaged header, not a record.
     */
    static final int MAX_RECORD_BYTES = (int)(SpoolContext.MAX_BLOCK_SIZE_BYTES / 4);

    /**
     * Copies the excerpt's remaining bytes into {@code into} from offset 0. The buffer grows to the length Chronicle's
     * header claims, so that claim is checked first: a damaged header sized it at up to 1 GiB, and reading a damaged
     * record back (a file the checkpoint covers is not checked at start) ended the JVM with OutOfMemoryError.
     *
     * @param index the record's journal index, to name it
     * @throws IOException if the excerpt claims more than {@link #MAX_RECORD_BYTES}: its header is damaged.
     */
    static int copy(final Bytes<?> bytes, final ExpandableArrayBuffer into, final long index) throws IOException
    {
        final long claimed = bytes.readRemaining();
        if (claimed > MAX_RECORD_BYTES)
        {
            throw new IOException("journal record at index " + Long.toHexString(index) + " claims " + claimed
                + " bytes, more than the " + MAX_RECORD_BYTES + " any journal record can hold: its header is damaged");
        }
        final int length = (int)claimed;
        if (length > into.capacity() && length >= JournalRecordCodec.HEADER_LENGTH)
        {
            // Under the bound a damaged claim could still take up to 256 MiB of heap: before the buffer grows, the
            // record's own header must say the same length (as HeadReads checks), which every record written does.
            final int own = bytes.readInt(bytes.readPosition() + JournalRecordCodec.LENGTH_OFFSET);
            if (own != length)
            {
                throw new IOException("journal record at index " + Long.toHexString(index) + " claims " + claimed
                    + " bytes, its own header says " + own + ": one of them is damaged");
            }
        }
        into.checkLimit(length);
        bytes.read(into.byteArray(), 0, length);
        return length;
    }

    /** @return the cycles that have a file on disk, oldest first. */
    NavigableSet<Long> cyclesOnDisk()
    {
        queue.refreshDirectoryListing();
        final int first = queue.firstCycle();
        final int last = queue.lastCycle();
        if (first == Integer.MAX_VALUE || last < first)
        {
            return new java.util.TreeSet<>();
        }
        return queue.listCyclesBetween(first, last);
    }

    /**
     * Deletes the file of a cycle that holds nothing pending. Readers let go of it first, so the space
     * returns as soon as Chronicle releases its mapping.
     *
     * @return true if a file was deleted.
     */
    synchronized boolean deleteCycle(final int cycle) throws IOException
    {
        heads.close();
        if (reader != null)
        {
            reader.close();
            reader = null;
        }
        final SingleChronicleQueueStore store = queue.storeForCycle(cycle, queue.epoch(), false, null);
        if (store == null)
        {
            return false;
        }
        final File file = store.file();
        queue.closeStore(store);
        // Recorded before the file goes: a crash in between leaves a file retention meant to delete, never
        // a deletion recovery would mistake for a lost file.
        queue.tableStorePut(LAST_DELETED_CYCLE, cycle);
        final boolean deleted = Files.deleteIfExists(file.toPath());
        queue.refreshDirectoryListing();
        return deleted;
    }

    @Override
    public synchronized void close()
    {
        heads.close();
        if (reader != null)
        {
            reader.close();
        }
        appender.close();
        queue.close();
    }

    /**
     * Chronicle rolls its files by this clock, so tests that move the clock also roll the journal. It never reads
     * earlier than {@code floorMillis}, which an early roll moves forward.
     */
    private static final class ClockTimeProvider implements TimeProvider
    {
        private final Clock clock;
        private volatile long floorMillis = Long.MIN_VALUE;

        ClockTimeProvider(final Clock clock)
        {
            this.clock = clock;
        }

        @Override
        public long currentTimeMillis()
        {
            return Math.max(clock.millis(), floorMillis);
        }

        @Override
        public long currentTimeMicros()
        {
            return currentTimeMillis() * 1000;
        }

        @Override
        public long currentTimeNanos()
        {
            return currentTimeMillis() * 1_000_000;
        }
    }
}
