package io.sluice.spool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.agrona.ExpandableArrayBuffer;

/**
 * Reads a journal file through a window of plain reads, never a mapping: a damaged file is read without
 * Chronicle, and a read of a short or changing file fails with an {@link IOException}, never a SIGBUS.
 */
final class FileWindow implements AutoCloseable
{
    private static final int DEFAULT_WINDOW = 8 << 20;

    private final FileChannel channel;
    private final long size;
    private final ExpandableArrayBuffer window = new ExpandableArrayBuffer(DEFAULT_WINDOW);
    private long start;
    private int length;

    FileWindow(final Path file) throws IOException
    {
        channel = FileChannel.open(file, StandardOpenOption.READ);
        size = channel.size();
    }

    long size()
    {
        return size;
    }

    /**
     * Makes {@code bytes} bytes from {@code position} readable in {@link #buffer()}.
     *
     * @return the offset in {@link #buffer()} where {@code position} lies.
     */
    int at(final long position, final int bytes) throws IOException
    {
        if (position < 0 || bytes < 0 || position + bytes > size)
        {
            throw new IOException("read of " + bytes + " bytes at " + position + " is outside the file's " + size + " bytes");
        }
        if (position < start || position + bytes > start + length)
        {
            fill(position, bytes);
        }
        return (int)(position - start);
    }

    ExpandableArrayBuffer buffer()
    {
        return window;
    }

    /** @return the little-endian int at {@code position}. */
    int intAt(final long position) throws IOException
    {
        return window.getInt(at(position, 4), java.nio.ByteOrder.LITTLE_ENDIAN);
    }

    private void fill(final long position, final int bytes) throws IOException
    {
        final int want = (int)Math.min(Math.max(bytes, DEFAULT_WINDOW), size - position);
        window.checkLimit(want);
        if (!readFully(channel, ByteBuffer.wrap(window.byteArray(), 0, want), position))
        {
            throw new IOException("file ended while reading " + want + " bytes from " + position);
        }
        start = position;
        length = want;
    }

    /** Fills {@code into} from {@code position} on, however many reads it takes. @return false if the file ended first. */
    static boolean readFully(final FileChannel file, final ByteBuffer into, final long position) throws IOException
    {
        long at = position;
        while (into.hasRemaining())
        {
            final int read = file.read(into, at);
            if (read < 0)
            {
                return false;
            }
            at += read;
        }
        return true;
    }

    @Override
    public void close() throws IOException
    {
        channel.close();
    }
}
