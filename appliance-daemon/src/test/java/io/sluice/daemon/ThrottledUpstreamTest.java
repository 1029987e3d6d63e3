package io.sluice.daemon;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.sluice.delivery.TestSmtpSink;
import io.sluice.drain.DrainCounter;
import io.sluice.drain.DrainStatus;
import io.sluice.ingress.SmtpTestClient;
import io.sluice.spool.SpoolAwait;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole daemon, in-process, at the shipped drain defaults (route at 200/s, retries after 1 minute), delivering over
 * real SMTP to a relay that enforces 50 msgs/s by answering {@code 421 4.7.0} at MAIL and closing, as large providers
 * do. Every message refused for the rate goes back to the head of its queue and is delivered on a later token: none is
 * deferred to the retry schedule (whose first retry, a minute away, this test would never see), none spends an attempt,
 * and the route learns a ceiling near the relay's rate. Only counters, the mail log and the relay's copies are asserted,
 * never a rate measured on the wall clock.
 */
class ThrottledUpstreamTest
{
    private static final int MESSAGES = 120;
    private static final double RELAY_RATE = 50;

    @RegisterExtension
    final MailLogCapture mailLog = new MailLogCapture();

    @TempDir
    Path dir;

    @Test
    void shouldRequeueThrottledMailAtTheHeadWithoutSpendingAnAttemptAndLearnTheRelaysRate() throws Exception
    {
        try (TestSmtpSink sink = TestSmtpSink.start())
        {
            sink.limitRate(RELAY_RATE, 5);
            try (SluiceDaemon daemon = SluiceDaemon.start(SluiceDaemon.Configuration.of(DaemonSettings.load(null, Map.of(
                "spool.directory", dir.resolve("spool").toString(),
                "smtp.listen", "127.0.0.1:0",
                "jmx.enabled", "false",
                "relay.domains", "relay.test",
                "containment.exemptTenants", "default",
                // The backlog is built with the route paused, then let go at once, as after an outage.
                "drain.pausedRoutes", "default",
                "delivery.route.default.target", sink.target(),
                "delivery.route.notifications.target", "dir:" + dir.resolve("notifications"))))))
            {
                send(daemon, MESSAGES);
                daemon.drain().resumeRoute("default");
                SpoolAwait.until(() -> daemon.spool().pendingCount() == 0, 30_000);

                for (int i = 0; i < MESSAGES; i++)
                {
                    assertThat(sink.copiesOf("Subject: throttled-" + i + "\r\n")).as("throttled-%d once", i).isEqualTo(1);
                }
                assertThat(sink.rateRefusals()).as("the relay refused some for the rate").isPositive();
                assertThat(daemon.drain().counters().get(DrainCounter.THROTTLED_REQUEUED)).isPositive();
                assertThat(daemon.drain().counters().get(DrainCounter.DEFERRED)).as("nothing went to the retry schedule")
                    .isZero();
                final List<String> delivered = mailLog.lines().stream().filter(line -> line.contains("status=delivered"))
                    .toList();
                assertThat(delivered).hasSize(MESSAGES).allMatch(line -> line.contains("attempt=1:"));
                assertThat(mailLog.lines()).anyMatch(line -> line.contains("status=requeued, attempt=0: throttled"));
                SpoolAwait.until(() -> daemon.drain().status().route("default").learnedCeilingPerSec() > 0, 10_000);
                final DrainStatus.RouteStatus route = daemon.drain().status().route("default");
                assertThat(route.effectiveRatePerSec()).as("learned under the configured 200/s").isLessThan(200);
                System.out.printf("Throttling relay at %.0f msg/s: %d MAIL refused 421, %d requeued, 0 deferred; learned"
                        + " ceiling %.1f msg/s, rate %.1f msg/s%n", RELAY_RATE, sink.rateRefusals(),
                    daemon.drain().counters().get(DrainCounter.THROTTLED_REQUEUED), route.learnedCeilingPerSec(),
                    route.effectiveRatePerSec());
            }
        }
    }

    /** One session from the trusted 127.0.0.1; every message must get its 250. */
    private static void send(final SluiceDaemon daemon, final int count) throws IOException
    {
        try (SmtpTestClient client = SmtpTestClient.connect(daemon.smtp().localAddress()))
        {
            expect(client.reply(), "220");
            expect(client.command("EHLO throttle.test"), "250");
            for (int i = 0; i < count; i++)
            {
                expect(client.sendMessage("sender@throttle.test", "user" + i + "@relay.test",
                    "Subject: throttled-" + i + "\r\n\r\nbody " + i), "250 2.0.0 Ok: queued as ");
            }
            expect(client.command("QUIT"), "221");
        }
    }
}
