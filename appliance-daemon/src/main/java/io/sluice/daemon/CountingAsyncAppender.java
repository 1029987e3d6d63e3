package io.sluice.daemon;

import java.io.Flushable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.spi.AppenderAttachable;
import ch.qos.logback.core.spi.AppenderAttachableImpl;

/**
 * The asynchronous appender named in {@code logback.xml}: SMTP and delivery threads hand it their mail-log lines and
 * never wait for stdout. When stdout is slower than the mail, a full queue drops lines. That is right, but it must not
 * be silent, so a line refused at a full queue is counted ({@link #dropped()}: the {@code sluice_log_lines_dropped_total}
 * metric and a WARN each minute while it happens). A line that loses a race for the last free slot is dropped
 * uncounted, so the count is a lower bound.
 *
 * <p>Warnings and errors are rare and must never vanish: when the queue is full they are written through at once, on
 * the caller's thread, which waits for stdout that one time.
 *
 * <p>Why not Logback's own {@code AsyncAppender}: its worker wakes for every line and its console appender writes and
 * flushes each line on its own, a thread wake-up and a {@code write(2)} per line, two lines per message (issue 21's
 * profile: 4-5 % of the daemon's CPU on the appender's thread alone, and the producers' futex wake-ups beside it). This
 * worker takes whatever is queued, writes it to its appenders, flushes each {@link Flushable} one once (one
 * {@code write(2)} for the batch with {@link StdoutAppender}), then rests {@code lingerMs} before it looks again, so
 * that the producers find it asleep and need not wake it. Every line is still written, at most {@code lingerMs} later.
 */
public final class CountingAsyncAppender extends UnsynchronizedAppenderBase<ILoggingEvent>
    implements AppenderAttachable<ILoggingEvent>
{
    private static final long STOP_WAIT_MS = 10_000;

    private final AppenderAttachableImpl<ILoggingEvent> appenders = new AppenderAttachableImpl<>();
    private final LongAdder dropped = new LongAdder();
    private int queueSize = 16_384;
    private long lingerMs = 50;
    private BlockingQueue<ILoggingEvent> queue;
    private Thread worker;

    /** From {@code logback.xml}: the lines waiting at most; beyond it, INFO lines are dropped and counted. */
    public void setQueueSize(final int queueSize)
    {
        this.queueSize = queueSize;
    }

    /** From {@code logback.xml}: how long the worker rests after writing a batch (0: it looks again at once). */
    public void setLingerMs(final long lingerMs)
    {
        this.lingerMs = lingerMs;
    }

    /** @return lines dropped at a full queue since start. */
    public long dropped()
    {
        return dropped.sum();
    }

    @Override
    public void start()
    {
        if (queueSize < 1 || lingerMs < 0)
        {
            addError("queueSize must be at least 1 and lingerMs at least 0, not " + queueSize + " and " + lingerMs);
            return;
        }
        queue = new ArrayBlockingQueue<>(queueSize);
        worker = new Thread(this::work, "AsyncAppender-Worker-" + getName());
        worker.setDaemon(true);
        super.start();
        worker.start();
    }

    @Override
    public void stop()
    {
        if (!isStarted())
        {
            return;
        }
        super.stop();
        worker.interrupt();
        try
        {
            worker.join(STOP_WAIT_MS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        if (worker.isAlive())
        {
            addWarn("the log worker did not finish within " + STOP_WAIT_MS + " ms; " + queue.size() + " lines unwritten");
        }
        appenders.detachAndStopAllAppenders();
    }

    @Override
    protected void append(final ILoggingEvent event)
    {
        // The message is formatted and the thread name taken now, on the caller's thread, as Logback's own does.
        event.prepareForDeferredProcessing();
        if (queue.offer(event))
        {
            return;
        }
        if (!event.getLevel().isGreaterOrEqual(Level.WARN))
        {
            dropped.increment();
            return;
        }
        appenders.appendLoopOnAppenders(event);
        flushAppenders();
    }

    private void work()
    {
        final List<ILoggingEvent> batch = new ArrayList<>();
        try
        {
            while (isStarted())
            {
                batch.add(queue.take());
                queue.drainTo(batch);
                write(batch);
                if (lingerMs > 0)
                {
                    TimeUnit.MILLISECONDS.sleep(lingerMs);
                }
            }
        }
        catch (final InterruptedException ex)
        {
            // Stopping: what is queued is written below.
        }
        queue.drainTo(batch);
        write(batch);
    }

    private void write(final List<ILoggingEvent> batch)
    {
        for (final ILoggingEvent event : batch)
        {
            appenders.appendLoopOnAppenders(event);
        }
        batch.clear();
        flushAppenders();
    }

    private void flushAppenders()
    {
        for (final Iterator<Appender<ILoggingEvent>> it = appenders.iteratorForAppenders(); it.hasNext();)
        {
            if (it.next() instanceof Flushable flushable)
            {
                try
                {
                    flushable.flush();
                }
                catch (final IOException ex)
                {
                    addError("flushing the log failed", ex);
                }
            }
        }
    }

    @Override
    public void addAppender(final Appender<ILoggingEvent> appender)
    {
        appenders.addAppender(appender);
    }

    @Override
    public Iterator<Appender<ILoggingEvent>> iteratorForAppenders()
    {
        return appenders.iteratorForAppenders();
    }

    @Override
    public Appender<ILoggingEvent> getAppender(final String name)
    {
        return appenders.getAppender(name);
    }

    @Override
    public boolean isAttached(final Appender<ILoggingEvent> appender)
    {
        return appenders.isAttached(appender);
    }

    @Override
    public void detachAndStopAllAppenders()
    {
        appenders.detachAndStopAllAppenders();
    }

    @Override
    public boolean detachAppender(final Appender<ILoggingEvent> appender)
    {
        return appenders.detachAppender(appender);
    }

    @Override
    public boolean detachAppender(final String name)
    {
        return appenders.detachAppender(name);
    }
}
