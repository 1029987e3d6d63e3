package io.sluice.daemon;

import java.io.BufferedOutputStream;
import java.io.Flushable;
import java.io.IOException;
import java.io.OutputStream;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;

/**
 * The console appender named in {@code logback.xml}: lines gather in a buffer and reach stdout when
 * {@link CountingAsyncAppender} flushes after a batch, in one {@code write(2)}, instead of one write per line as
 * Logback's {@code ConsoleAppender} does ({@code System.out} flushes every write). Whole lines only: the buffer is
 * flushed before a line that does not fit in it. {@code System.out} is looked up at each write, so a test that
 * replaces it captures the lines.
 */
public final class StdoutAppender extends OutputStreamAppender<ILoggingEvent> implements Flushable
{
    private static final int BUFFER_BYTES = 64 * 1024;

    @Override
    public void start()
    {
        setImmediateFlush(false);
        setOutputStream(new BufferedOutputStream(new SystemOut(), BUFFER_BYTES));
        super.start();
    }

    @Override
    public void flush() throws IOException
    {
        streamWriteLock.lock();
        try
        {
            getOutputStream().flush();
        }
        finally
        {
            streamWriteLock.unlock();
        }
    }

    /** {@code System.out} as it is at each write; closing it only flushes, stdout stays open. */
    private static final class SystemOut extends OutputStream
    {
        @Override
        public void write(final int b)
        {
            System.out.write(b);
        }

        @Override
        public void write(final byte[] bytes, final int offset, final int length)
        {
            System.out.write(bytes, offset, length);
        }

        @Override
        public void flush()
        {
            System.out.flush();
        }

        @Override
        public void close()
        {
            System.out.flush();
        }
    }
}
