package io.sluice.daemon;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.sluice.bounce.BounceCounter;
import io.sluice.bounce.BouncePolicy;
import io.sluice.delivery.TestSmtpSink;
import io.sluice.ingress.SmtpTestClient;
import io.sluice.outcome.DeferredDsns;
import io.sluice.spool.SpoolAwait;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The global bounce budget spent, in the running daemon: the first bounce over it raises the alert, a
 * {@code WARN ... ALERT bounce budget} log line and one notice to the operator through the notifications lane; the
 * bounces after it in the same window are deferred in the spool and counted, and raise no second notice.
 */
class BounceBudgetAlertTest
{
    @TempDir
    Path dir;

    /** @return the notices delivered to the notifications route's folder. */
    private List<String> notices()
    {
        return DeliveredFolder.texts(dir.resolve("notifications"));
    }

    @Test
    void shouldLogTheAlertAndMailTheOperatorOncePerWindow() throws Exception
    {
        final Logger policyLog = (Logger)LoggerFactory.getLogger(BouncePolicy.class);
        final ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        policyLog.addAppender(log);
        try (TestSmtpSink upstream = TestSmtpSink.start();
             SluiceDaemon daemon = SluiceDaemon.start(SluiceDaemon.Configuration.of(DaemonSettings.load(null, Map.of(
                 "spool.directory", dir.resolve("spool").toString(),
                 "smtp.listen", "127.0.0.1:0",
                 "relay.domains", "relay.test",
                 "jmx.enabled", "false",
                 "delivery.route.default.target", upstream.target(),
                 "delivery.route.notifications.target", "dir:" + dir.resolve("notifications"),
                 // One bounce per window, whatever the traffic: the second legitimate failure spends the budget.
                 "bounce.budget.fraction", "0",
                 "bounce.budget.minimum", "1",
                 "containment.operatorAddress", "ops@relay.test")))))
        {
            try (SmtpTestClient client = SmtpTestClient.connect(daemon.smtp().localAddress(), "127.0.0.9"))
            {
                expect(client.reply(), "220");
                expect(client.command("EHLO partner.example"), "250");
                for (int i = 0; i < 3; i++)
                {
                    expect(client.sendMessage("sender" + i + "@partner.test", "reject" + i + "@relay.test", "hello " + i),
                        "250 2.0.0");
                }
            }
            final BouncePolicy policy = daemon.bounces().policy();
            // What stays in the spool is the two deferred DSNs, held until the window has room.
            SpoolAwait.until(() -> policy.counters().get(BounceCounter.DECISIONS) == 3 && daemon.spool().pendingCount() == 2
                && daemon.bounces().deferred().waiting() == 2, 60_000);
            SpoolAwait.until(() -> !notices().isEmpty(), 30_000);

            // Deliveries run on several connections at once: whichever failure is decided first gets the one bounce.
            assertThat(upstream.received()).as("the one bounce the budget allowed").singleElement()
                .satisfies(dsn -> assertThat(dsn.recipients()).singleElement()
                    .isIn("sender0@partner.test", "sender1@partner.test", "sender2@partner.test"));
            assertThat(policy.counters().get(BounceCounter.BOUNCES_ALLOWED)).isEqualTo(1);
            assertThat(policy.counters().get(BounceCounter.DEFERRED_OVER_BUDGET)).isEqualTo(2);
            assertThat(daemon.spool().pendingMessages()).allSatisfy(dsn -> assertThat(DeferredDsns.isDeferred(dsn)).isTrue());
            assertThat(policy.counters().get(BounceCounter.BUDGET_ALERTS)).as("one alert per window").isEqualTo(1);
            assertThat(daemon.bounces().noticesAppended()).isEqualTo(1);
            assertThat(notices()).singleElement().satisfies(notice -> assertThat(notice)
                .contains("To: <ops@relay.test>")
                .contains("Subject: [sluice] bounce budget spent on localhost")
                .contains("1 bounces were allowed")
                .contains("Auto-Submitted: auto-generated"));
            assertThat(log.list).filteredOn(e -> e.getLevel() == Level.WARN)
                .extracting(ILoggingEvent::getFormattedMessage)
                .singleElement().asString().startsWith("ALERT bounce budget spent");
        }
        finally
        {
            policyLog.detachAppender(log);
        }
    }
}
