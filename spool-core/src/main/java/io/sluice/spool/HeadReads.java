package io.sluice.spool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueStore;
import org.agrona.ExpandableArrayBuffer;

/**
 * Reads a record at a known offset of its cycle file with one positioned read, as {@link FileWindow} reads journal
 * files: no mapping, so a read never faults a fresh block in or makes Chronicle unmap one, and a short or deleted file
 * is an answer of "not here", never a SIGBUS. Chronicle's own seek ({@code moveToIndex}) walks record headers from the
 * nearest index entry in a block it maps for the purpose: that was the cost of reading a pending message back
 * (benchmarks/results/2026-12-06-vm-session5-readback/). The caller verifies what it gets; this only checks that
 * Chronicle wrote a whole data record of that length there.
 *
 * <p>Not thread-safe: {@link Journal} calls it under its lock, and closes it before it deletes a file.
 */
final class HeadReads implements AutoCloseable
{
    /** Files kept open: the drain reads mostly from the oldest few cycles. */
    private static final int OPEN_FILES = 4;
    /** Chronicle's header: the length in the low 30 bits, then metadata and not-complete flags. */
    static final int CHRONICLE_HEADER = 4;
    private static final int LENGTH_MASK = 0x3FFFFFFF;

    private final Map<Integer, FileChannel> files = new LinkedHashMap<>(8, 0.75f, true);
    private final ByteBuffer header = ByteBuffer.allocate(CHRONICLE_HEADER + JournalRecordCodec.HEADER_LENGTH)
        .order(ByteOrder.LITTLE_ENDIAN);

    /**
     * @param position where the record's bytes start (just after Chronicle's header) in the file of {@code cycle}
     * @return the record's length, its bytes copied to {@code into} from offset 0, or -1 if no whole data record of
     *         ours starts there.
     */
    int read(final SingleChronicleQueue queue, final int cycle, final long position, final ExpandableArrayBuffer into)
    {
        try
        {
            final FileChannel file = open(queue, cycle);
            if (file == null || position < CHRONICLE_HEADER)
            {
                return -1;
            }
            header.clear();
            if (!FileWindow.readFully(file, header, position - CHRONICLE_HEADER))
            {
                return -1;
            }
            final int chronicle = header.getInt(0);
            final int length = header.getInt(CHRONICLE_HEADER + JournalRecordCodec.LENGTH_OFFSET);
            // A whole data record (no metadata, not-complete or padding bits) that holds exactly our record.
            if ((chronicle & ~LENGTH_MASK) != 0 || chronicle != length || length < JournalRecordCodec.HEADER_LENGTH)
            {
                return -1;
            }
            into.checkLimit(length);
            return FileWindow.readFully(file, ByteBuffer.wrap(into.byteArray(), 0, length), position) ? length : -1;
        }
        catch (final IOException ex)
        {
            return -1;
        }
    }

    private FileChannel open(final SingleChronicleQueue queue, final int cycle) throws IOException
    {
        final FileChannel open = files.get(cycle);
        if (open != null)
        {
            return open;
        }
        final SingleChronicleQueueStore store = queue.storeForCycle(cycle, queue.epoch(), false, null);
        if (store == null)
        {
            return null;
        }
        final java.nio.file.Path path = store.file().toPath();
        queue.closeStore(store);
        final FileChannel file = FileChannel.open(path, StandardOpenOption.READ);
        files.put(cycle, file);
        if (files.size() > OPEN_FILES)
        {
            final Iterator<FileChannel> eldest = files.values().iterator();
            eldest.next().close();
            eldest.remove();
        }
        return file;
    }

    /** Closes every file: before retention deletes one, so its space returns at once. */
    @Override
    public void close()
    {
        for (final FileChannel file : files.values())
        {
            try
            {
                file.close();
            }
            catch (final IOException ex)
            {
                // Read-only: nothing was written that closing could lose.
            }
        }
        files.clear();
    }
}
