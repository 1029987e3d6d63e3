package io.sluice.daemon;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.sluice.delivery.TestSmtpSink;
import io.sluice.ingress.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.slf4j.LoggerFactory;

/**
 * The systemd watchdog follows progress, not thread liveness: the whole daemon, its notifier on a fake
 * {@code NOTIFY_SOCKET} with a 1 s {@code WatchdogSec}, and {@code watchdog.stallMs=1000}. An SMTP event loop blocked
 * on purpose, then the drain hung on purpose with mail pending, each stop the {@code WATCHDOG=1} pings with an error
 * naming the part (the threads are alive throughout), and the pings resume once the part moves again.
 */
class WatchdogStallTest
{
    @TempDir
    Path dir;

    @Test
    void shouldWithholdTheWatchdogPingWhileAPartWithWorkMakesNoProgress() throws Exception
    {
        final Logger logger = (Logger)LoggerFactory.getLogger(ProgressWatchdog.class);
        final ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        logger.addAppender(log);
        final Path socket = dir.resolve("notify");
        try (FakeSystemd systemd = new FakeSystemd(AFUNIXSocketAddress.of(socket));
             TestSmtpSink sink = TestSmtpSink.start();
             SluiceDaemon daemon = SluiceDaemon.start(SluiceDaemon.Configuration.of(DaemonSettings.load(null, Map.of(
                 "spool.directory", dir.resolve("spool").toString(),
                 "smtp.listen", "127.0.0.1:0",
                 "metrics.listen", "",
                 "jmx.enabled", "false",
                 "relay.domains", "relay.test",
                 "watchdog.stallMs", "1000",
                 "delivery.route.default.target", sink.target()))),
                 SystemdNotifier.open(socket.toString(), Duration.ofSeconds(1))))
        {
            assertThat(systemd.next(10_000)).startsWith("READY=1");
            assertThat(systemd.next(10_000)).as("fed while healthy").startsWith("WATCHDOG=1");

            final CountDownLatch releaseLoop = new CountDownLatch(1);
            // The shipped default is one loop (smtp.eventLoopThreads): the last loop is the one blocked, whatever their number.
            final int last = daemon.smtp().eventLoops().size() - 1;
            daemon.smtp().eventLoops().get(last).execute(() -> awaitQuietly(releaseLoop));
            assertThat(systemd.nextNotStartingWith("WATCHDOG=1", 10_000)).as("a blocked loop has work and no progress")
                .startsWith("STATUS=UNHEALTHY").contains("stalled: smtp event loop " + last);
            assertThat(pingsWithin(systemd, 2_000)).as("no keep-alive while the loop is stuck").isEmpty();
            assertThat(errors(log)).anyMatch(l -> l.contains("the smtp event loop " + last + " has had work and no heartbeat"));
            releaseLoop.countDown();
            assertThat(nextPing(systemd, 10_000)).as("fed again once the loop moves").startsWith("WATCHDOG=1");

            final CountDownLatch releaseDrain = new CountDownLatch(1);
            daemon.drain().pauseRoute("default");
            daemon.stallDrainUntil(releaseDrain);
            try (SmtpTestClient client = SmtpTestClient.connect(daemon.smtp().localAddress(), "127.0.0.7"))
            {
                expect(client.reply(), "220");
                expect(client.command("EHLO stall.test"), "250");
                expect(client.command("MAIL FROM:<a@outside.test>"), "250");
                expect(client.command("RCPT TO:<b@relay.test>"), "250");
                expect(client.command("DATA"), "354");
                client.send("Subject: pending\r\n\r\nwaits for a hung drain\r\n.\r\n");
                expect(client.reply(), "250");
            }
            assertThat(systemd.nextNotStartingWith("WATCHDOG=1", 10_000)).as("a hung drain with mail pending")
                .startsWith("STATUS=UNHEALTHY").contains("stalled: drain");
            assertThat(pingsWithin(systemd, 2_000)).as("no keep-alive while the drain hangs").isEmpty();
            assertThat(daemon.drainRunnerAlive()).as("the thread is alive: only progress tells").isTrue();
            releaseDrain.countDown();
            assertThat(nextPing(systemd, 10_000)).startsWith("WATCHDOG=1");
            assertThat(log.list).anyMatch(e -> e.getFormattedMessage().equals("watchdog: the drain moves again"));
        }
        finally
        {
            logger.detachAppender(log);
        }
    }

    private static void awaitQuietly(final CountDownLatch latch)
    {
        try
        {
            latch.await();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private static List<String> errors(final ListAppender<ILoggingEvent> log)
    {
        return log.list.stream().filter(e -> e.getLevel() == ch.qos.logback.classic.Level.ERROR)
            .map(ILoggingEvent::getFormattedMessage).toList();
    }

    /** @return the keep-alives among the datagrams that arrive within {@code ms}. */
    private static List<String> pingsWithin(final FakeSystemd systemd, final int ms) throws Exception
    {
        final List<String> pings = new ArrayList<>();
        final long deadline = System.currentTimeMillis() + ms;
        for (long left = ms; left > 0; left = deadline - System.currentTimeMillis())
        {
            final String message = systemd.next((int)left);
            if (message != null && message.startsWith("WATCHDOG=1"))
            {
                pings.add(message);
            }
        }
        return pings;
    }

    private static String nextPing(final FakeSystemd systemd, final int ms) throws Exception
    {
        final long deadline = System.currentTimeMillis() + ms;
        for (long left = ms; left > 0; left = deadline - System.currentTimeMillis())
        {
            final String message = systemd.next((int)left);
            if (message != null && message.startsWith("WATCHDOG=1"))
            {
                return message;
            }
        }
        return null;
    }
}
