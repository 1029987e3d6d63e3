package io.sluice.daemon;

import java.util.concurrent.atomic.LongAdder;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;

/**
 * Logback's asynchronous appender, named in {@code logback.xml}, that counts what it drops. SMTP and delivery threads
 * hand it their mail-log lines and never wait for stdout ({@code neverBlock}): when stdout is slower than the mail, a
 * full queue drops lines. That is right, but it must not be silent, so a line refused at a full queue is counted
 * ({@link #dropped()}: the {@code sluice_log_lines_dropped_total} metric and a WARN each minute while it happens). A
 * line that loses a race for the last free slot is dropped by Logback uncounted, so the count is a lower bound.
 *
 * <p>Warnings and errors are rare and must never vanish: when the queue is full they are written through at once, on
 * the caller's thread, which waits for stdout that one time.
 */
public final class CountingAsyncAppender extends AsyncAppender
{
    private final LongAdder dropped = new LongAdder();

    /** @return lines dropped at a full queue since start. */
    public long dropped()
    {
        return dropped.sum();
    }

    @Override
    protected void append(final ILoggingEvent event)
    {
        if (getRemainingCapacity() > 0)
        {
            super.append(event);
            return;
        }
        if (!event.getLevel().isGreaterOrEqual(Level.WARN))
        {
            dropped.increment();
            return;
        }
        event.prepareForDeferredProcessing();
        for (final java.util.Iterator<Appender<ILoggingEvent>> it = iteratorForAppenders(); it.hasNext();)
        {
            it.next().doAppend(event);
        }
    }
}
