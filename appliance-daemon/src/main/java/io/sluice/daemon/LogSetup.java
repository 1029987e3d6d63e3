package io.sluice.daemon;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import org.slf4j.LoggerFactory;

/**
 * The daemon's hold on its Logback configuration ({@code logback.xml}): switches the console to {@code log.format}
 * and reports the lines the asynchronous appender dropped. Where Logback runs another configuration (a test's), there
 * is nothing to switch or count, and both are no-ops.
 */
final class LogSetup
{
    private static final org.slf4j.Logger LOG = LoggerFactory.getLogger(LogSetup.class);

    private final CountingAsyncAppender async;
    private final LogEncoder encoder;
    /** Touched only by the maintenance thread, which reports once a minute. */
    private long reported;

    private LogSetup(final CountingAsyncAppender async, final LogEncoder encoder)
    {
        this.async = async;
        this.encoder = encoder;
    }

    /** @return the setup of the process's Logback, as {@code logback.xml} built it. */
    static LogSetup fromLogback()
    {
        return LoggerFactory.getILoggerFactory() instanceof LoggerContext context ? of(context) : new LogSetup(null, null);
    }

    /** @return the setup in {@code context}: its root's {@code ASYNC} appender and the console encoder behind it. */
    static LogSetup of(final LoggerContext context)
    {
        final Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        if (!(root.getAppender("ASYNC") instanceof CountingAsyncAppender async))
        {
            return new LogSetup(null, null);
        }
        final Appender<?> console = async.getAppender("STDOUT");
        final LogEncoder encoder = console instanceof OutputStreamAppender<?> stream
            && stream.getEncoder() instanceof LogEncoder switchable ? switchable : null;
        return new LogSetup(async, encoder);
    }

    /** @param json true for {@code log.format=json}: one JSON object per line from here on */
    void format(final boolean json)
    {
        if (encoder != null)
        {
            encoder.json(json);
        }
    }

    /** @return log lines dropped at a full queue since start (a lower bound; see {@link CountingAsyncAppender}). */
    long dropped()
    {
        return async == null ? 0 : async.dropped();
    }

    /** One WARN when lines were dropped since the last call: run once a minute, so one line a minute while it lasts. */
    void reportDrops()
    {
        final long now = dropped();
        if (now != reported)
        {
            LOG.warn("{} log lines dropped in the last minute ({} since start): stdout is slower than the mail log; the"
                + " counters and the journal are exact, only log lines are missing", now - reported, now);
            reported = now;
        }
    }
}
