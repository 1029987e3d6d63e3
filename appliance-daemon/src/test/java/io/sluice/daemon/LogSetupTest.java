package io.sluice.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.spool.SpoolAwait;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

/**
 * The daemon's own {@code logback.xml} (not the tests' configuration), loaded into a fresh Logback context writing to a
 * captured stdout: {@code log.format=json} turns each line into a JSON object a real parser reads, and a stdout that
 * stalls makes the mail log drop lines, which are counted and reported in one WARN, never blocking the logging thread.
 */
class LogSetupTest
{
    private static final ObjectMapper JSON = new ObjectMapper();

    private static long written(final ByteArrayOutputStream captured)
    {
        synchronized (captured)
        {
            return captured.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains(": client=127.0.0.1")).count();
        }
    }

    private static LoggerContext daemonLogback() throws Exception
    {
        final LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new LogbackMDCAdapter());
        final JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(LogSetupTest.class.getResource("/logback.xml"));
        return context;
    }

    @Test
    void shouldWriteOneJsonObjectPerLineWhenAskedAndTextBefore() throws Exception
    {
        final PrintStream stdout = System.out;
        final ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try
        {
            final LoggerContext context = daemonLogback();
            final Logger mailLog = context.getLogger("io.sluice.maillog");
            mailLog.info("0123456789AB: client=127.0.0.1, text line");
            // The asynchronous appender encodes when it writes: switch only once the text line is out.
            SpoolAwait.until(() -> captured.toString(StandardCharsets.UTF_8).endsWith("\n"), 10_000);
            LogSetup.of(context).format(true);
            mailLog.info("0123456789AB: to=<b@relay.test>, status={}", "delivered");
            context.stop();
        }
        finally
        {
            System.setOut(stdout);
        }
        final List<String> lines = captured.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).contains("INFO  [").contains("io.sluice.maillog - 0123456789AB: client=127.0.0.1, text line");
        final JsonNode json = JSON.readTree(lines.get(1));
        assertThat(json.get("level").asText()).isEqualTo("INFO");
        assertThat(json.get("loggerName").asText()).isEqualTo("io.sluice.maillog");
        assertThat(json.get("formattedMessage").asText()).isEqualTo("0123456789AB: to=<b@relay.test>, status=delivered");
        assertThat(json.get("timestamp").asLong()).isPositive();
    }

    @Test
    void shouldCountLinesDroppedWhileStdoutStallsAndReportThemInOneWarning() throws Exception
    {
        final PrintStream stdout = System.out;
        final CountDownLatch stdoutStalls = new CountDownLatch(1);
        final ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(new OutputStream()
        {
            @Override
            public void write(final int b) throws IOException
            {
                write(new byte[] {(byte)b}, 0, 1);
            }

            @Override
            public void write(final byte[] b, final int off, final int len) throws IOException
            {
                try
                {
                    stdoutStalls.await();
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                    throw new IOException(ex);
                }
                synchronized (captured)
                {
                    captured.write(b, off, len);
                }
            }
        }, true, StandardCharsets.UTF_8));
        final LoggerContext context = daemonLogback();
        try
        {
            final LogSetup logs = LogSetup.of(context);
            final Logger mailLog = context.getLogger("io.sluice.maillog");
            final int lines = 40_000;
            for (int i = 0; i < lines; i++)
            {
                mailLog.info("{}: client=127.0.0.1", i);
            }
            // The queue holds 16384 lines, and the worker as many more, taken in one batch before stdout stalled it.
            assertThat(logs.dropped()).as("dropped while stdout stalls, and counted")
                .isGreaterThanOrEqualTo(lines - 2 * 16_384 - 1).isLessThanOrEqualTo(lines - 16_384);
            final long dropped = logs.dropped();
            final Thread reporter = new Thread(logs::reportDrops, "report");
            reporter.start();
            stdoutStalls.countDown();
            reporter.join(30_000);
            // One thread logged: every line is either written or counted, none lost silently.
            SpoolAwait.until(() -> written(captured) + dropped == lines, 30_000);
            logs.reportDrops();
            final String out;
            synchronized (captured)
            {
                out = captured.toString(StandardCharsets.UTF_8);
            }
            assertThat(out.lines().filter(l -> l.contains("log lines dropped")).toList()).as("one warning for the minute")
                .singleElement().asString().contains(dropped + " log lines dropped in the last minute");
        }
        finally
        {
            context.stop();
            System.setOut(stdout);
        }
    }
}
