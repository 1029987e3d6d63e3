package io.sluice.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import io.sluice.spool.SpoolAwait;
import org.junit.jupiter.api.Test;

/**
 * The mail log's appender pair writes what is queued as one batch: a burst of lines reaches stdout in a handful of
 * writes (whole lines, in order, none lost), not one write per line; stopping writes what is still queued.
 */
class CountingAsyncAppenderTest
{
    @Test
    void shouldWriteABurstOfLinesInFewWritesInOrderAndAllOfThemByTheStop() throws Exception
    {
        final PrintStream stdout = System.out;
        final ByteArrayOutputStream captured = new ByteArrayOutputStream();
        final AtomicInteger writes = new AtomicInteger();
        System.setOut(new PrintStream(new OutputStream()
        {
            @Override
            public void write(final int b)
            {
                write(new byte[] {(byte)b}, 0, 1);
            }

            @Override
            public synchronized void write(final byte[] b, final int off, final int len)
            {
                writes.incrementAndGet();
                captured.write(b, off, len);
            }
        }, true, StandardCharsets.UTF_8));
        final LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new LogbackMDCAdapter());
        final int lines = 2_000;
        try
        {
            final PatternLayoutEncoder encoder = new PatternLayoutEncoder();
            encoder.setContext(context);
            encoder.setPattern("%msg%n");
            encoder.start();
            final StdoutAppender console = new StdoutAppender();
            console.setContext(context);
            console.setName("STDOUT");
            console.setEncoder(encoder);
            console.start();
            final CountingAsyncAppender async = new CountingAsyncAppender();
            async.setContext(context);
            async.setName("ASYNC");
            // The worker rests a minute after its first batch: the burst behind it is written whole, by the stop.
            async.setLingerMs(60_000);
            async.addAppender(console);
            async.start();
            final Logger log = context.getLogger("io.sluice.maillog");
            log.addAppender(async);
            log.setLevel(Level.INFO);
            log.info("line 0 of a burst");
            SpoolAwait.until(() -> written(captured) == 1, 10_000);
            assertThat(writes.get()).as("the first line, alone in its batch").isEqualTo(1);
            for (int i = 1; i < lines; i++)
            {
                log.info("line {} of a burst", i);
            }
            assertThat(written(captured)).as("the worker rests: nothing more is written yet").isEqualTo(1);
            async.stop();
            final long bytes;
            synchronized (captured)
            {
                bytes = captured.size();
            }
            // One write per full 64 KiB buffer and one for the rest, after the first line's own write.
            assertThat(writes.get()).isLessThanOrEqualTo(2 + (int)(bytes / (64 * 1024)) + 1);
            assertThat(async.dropped()).isZero();
        }
        finally
        {
            context.stop();
            System.setOut(stdout);
        }
        final List<String> expected = IntStream.range(0, lines).mapToObj(i -> "line " + i + " of a burst").toList();
        synchronized (captured)
        {
            assertThat(captured.toString(StandardCharsets.UTF_8).lines().toList()).containsExactlyElementsOf(expected);
        }
    }

    private static long written(final ByteArrayOutputStream captured)
    {
        synchronized (captured)
        {
            return captured.toString(StandardCharsets.UTF_8).lines().count();
        }
    }
}
