package io.sluice.daemon;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;

import io.sluice.bounce.BounceCounter;
import io.sluice.bounce.BounceDecision;
import io.sluice.bounce.BouncePolicy;
import io.sluice.bounce.SuppressionReason;
import io.sluice.control.ControlPlane;
import io.sluice.control.ConsoleClient;
import io.sluice.delivery.TestSmtpSink;
import io.sluice.ingress.SmtpTestClient;
import io.sluice.spool.Disposition;
import io.sluice.spool.JournalOutcomes;
import io.sluice.spool.SpoolAwait;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backscatter flood end to end, at size: the whole daemon, in-process, takes 5,000 spoofed messages over SMTP (sender ==
 * recipient in the relay domain, from outside the trusted networks), and a real SMTP server refuses every one after its
 * data with {@code 554 5.7.1}, as a malware scanner would. Not one bounce is generated: the counters, the sink (which
 * receives no DSN) and the journal (5,000 recipients {@code SUPPRESSED} for {@code SPOOF_PATTERN}) all say so. A
 * legitimate outside sender whose recipient does not exist ({@code 550 5.1.1}) gets exactly one DSN, from the null
 * sender, an RFC 3464 multipart/report with the original headers and without the body.
 */
class BounceDaemonTest
{
    private static final int SPOOFS = 5_000;
    private static final int CLIENTS = 8;

    @TempDir
    Path dir;

    private TestSmtpSink sink;

    @BeforeEach
    void startSink() throws IOException
    {
        sink = TestSmtpSink.start();
    }

    @AfterEach
    void stopSink() throws IOException
    {
        sink.close();
    }

    private SluiceDaemon start() throws IOException
    {
        final Map<String, String> settings = new HashMap<>(Map.of(
            "spool.directory", dir.resolve("spool").toString(),
            // One journal file: the journal read back at the end needs each message's record beside its outcomes.
            "spool.rollCycle", "FAST_DAILY",
            "smtp.listen", "127.0.0.1:0",
            "relay.domains", "relay.test",
            "delivery.route.default.target", sink.target(),
            "delivery.route.notifications.target", "dir:" + dir.resolve("notifications"),
            // The drain keeps up with the flood, so the test waits for SMTP, not for a 200/s provider limit.
            "drain.routes", "default:5000:500,notifications:20:5",
            // What this test measures is bounces: admission lets the whole flood in (SourceFloodTest is its own).
            "admission.maxProjectedDelayMs", "0"));
        // No containment exemption: the spoofed flood is in the suspect lane, which containment does not count
        // (containment.ignoredLanes), so its 5.7.x ratio must not hold the default tenant and the legitimate message.
        for (final String kind : List.of("ip", "network", "senderDomain", "tenant"))
        {
            settings.put("admission." + kind + ".ratePerSecond", "100000");
            settings.put("admission." + kind + ".burst", "100000");
        }
        for (final String kind : List.of("ip", "network", "tenant"))
        {
            settings.put("admission." + kind + ".recipientsPerSecond", "100000");
            settings.put("admission." + kind + ".recipientBurst", "100000");
        }
        // Since issue 12 a spoof is refused in-session by default and five of them demote their network; this test is
        // about what the bounce policy does with spoofs that were accepted, so it keeps them (SUSPECT), opens the
        // unknown and suspect class buckets and the suspect lane's 1/s, and lets no reputation demote the flood.
        settings.put("admission.spoof.defaultAction", "SUSPECT");
        settings.put("drain.laneRates", "bounces:10");
        settings.put("admission.reputation.demoteAfter", "1000000");
        // Every spoof goes upstream and fails there, so each failure's bounce decision is seen: the drain's demotion
        // sends it on in the suspect lane instead of quarantining it (QuarantineDaemonTest is that one's own).
        settings.put("drain.demotion.action", "suspect-lane");
        for (final String sourceClass : List.of("unknown", "suspect"))
        {
            for (final String kind : List.of("ip", "network"))
            {
                settings.put("admission.class." + sourceClass + "." + kind + ".ratePerSecond", "100000");
                settings.put("admission.class." + sourceClass + "." + kind + ".burst", "100000");
            }
        }
        return SluiceDaemon.start(SluiceDaemon.Configuration.of(DaemonSettings.load(null, settings)));
    }

    /** One outside client sending its share of the flood, each message forged "from" its own recipient. */
    private static Void flood(final SluiceDaemon daemon, final int client) throws IOException
    {
        try (SmtpTestClient smtp = SmtpTestClient.connect(daemon.smtp().localAddress(), "127.0.9." + (client + 1)))
        {
            expect(smtp.reply(), "220");
            expect(smtp.command("EHLO outside.example"), "250");
            for (int i = client; i < SPOOFS; i += CLIENTS)
            {
                final String forged = "malware" + i + "@relay.test";
                expect(smtp.sendMessage(forged, forged, "Subject: invoice " + i + "\r\n\r\nsee attachment"), "250 2.0.0");
            }
        }
        return null;
    }

    @Test
    void shouldSendNoBounceForAFloodOfFiveThousandSpoofsAndOneDsnToALegitimateSender() throws Exception
    {
        try (SluiceDaemon daemon = start())
        {
            final ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
            try
            {
                final List<Future<Void>> sent = new ArrayList<>();
                for (int c = 0; c < CLIENTS; c++)
                {
                    final int client = c;
                    sent.add(clients.submit(() -> flood(daemon, client)));
                }
                for (final Future<Void> done : sent)
                {
                    done.get();
                }
            }
            finally
            {
                clients.shutdownNow();
            }
            try (SmtpTestClient client = SmtpTestClient.connect(daemon.smtp().localAddress(), "127.0.8.1"))
            {
                expect(client.reply(), "220");
                expect(client.command("EHLO partner.example"), "250");
                expect(client.sendMessage("legit@outside.test", "reject1@relay.test", "Subject: quarterly figures\r\n"
                    + "Message-ID: <q3.figures@outside.test>\r\n\r\nSECRET BODY TEXT"), "250 2.0.0");
            }
            final BouncePolicy policy = daemon.bounces().policy();
            SpoolAwait.until(() -> policy.counters().get(BounceCounter.DECISIONS) == SPOOFS + 1
                && sink.received().stream().anyMatch(r -> r.from().isEmpty()) && daemon.spool().pendingCount() == 0, 120_000);

            assertThat(sink.contentRejections()).as("every spoof refused upstream after its data").isEqualTo(SPOOFS);
            assertThat(sink.received()).as("the sink received the one DSN and nothing else").singleElement()
                .satisfies(dsn ->
                {
                    assertThat(dsn.from()).isEmpty();
                    assertThat(dsn.recipients()).containsExactly("legit@outside.test");
                    assertThat(dsn.text())
                        .contains("Content-Type: multipart/report; report-type=delivery-status;")
                        .contains("Content-Type: message/delivery-status")
                        .contains("Final-Recipient: rfc822; reject1@relay.test")
                        .contains("Action: failed")
                        .contains("Status: 5.1.1")
                        .contains("Content-Type: text/rfc822-headers")
                        .contains("Subject: quarterly figures")
                        .contains("In-Reply-To: <q3.figures@outside.test>")
                        .doesNotContain("SECRET BODY TEXT");
                });
            assertThat(policy.counters().get(BounceCounter.BOUNCES_ALLOWED)).isEqualTo(1);
            assertThat(policy.counters().get(BounceCounter.SUPPRESSED)).isEqualTo(SPOOFS);
            assertThat(policy.counters().get(BounceCounter.SUPPRESSED_SPOOF_PATTERN)).isEqualTo(SPOOFS);
            assertThat(policy.counters().get(BounceCounter.BUDGET_ALERTS)).isZero();
            assertThat(daemon.bounces().dsnsAppended()).isEqualTo(1);
            assertThat(policy.recentSuppressions()).hasSize(1000).allMatch(s -> s.reason() == SuppressionReason.SPOOF_PATTERN
                && s.status().equals("5.7.1"));
            try (JMXConnector jmx = ConsoleClient.connect(ConsoleClient.socketOf(dir.resolve("spool"))))
            {
                final MBeanServerConnection mbeans = jmx.getMBeanServerConnection();
                assertThat(mbeans.getAttribute(ControlPlane.name("Bounces"), "Suppressed")).isEqualTo((long)SPOOFS);
                assertThat(mbeans.getAttribute(ControlPlane.name("Bounces"), "Generated")).isEqualTo(1L);
                assertThat((String[])mbeans.getAttribute(ControlPlane.name("Bounces"), "SuppressedByReason"))
                    .contains("SPOOF_PATTERN " + SPOOFS, "POLICY_FAILURE 0")
                    .noneMatch(line -> line.startsWith("BUDGET_EXCEEDED"));
                assertThat(mbeans.getAttribute(ControlPlane.name("Bounces"), "Deferred")).isEqualTo(0L);
                assertThat((String[])mbeans.getAttribute(ControlPlane.name("Bounces"), "RecentSuppressions"))
                    .hasSize(200).allMatch(line -> line.contains("SPOOF_PATTERN"));
            }
        }

        // The journal, read back after the stop: every suppression is there with its reason and the upstream reply.
        final List<JournalOutcomes.Outcome> outcomes = JournalOutcomes.read(dir.resolve("spool"));
        final List<JournalOutcomes.Outcome> suppressed = outcomes.stream()
            .filter(o -> o.status().disposition() == Disposition.SUPPRESSED).toList();
        assertThat(suppressed).hasSize(SPOOFS).allSatisfy(o ->
        {
            assertThat(BounceDecision.suppressionOf(o.status())).isEqualTo(SuppressionReason.SPOOF_PATTERN);
            assertThat(o.status().detail()).startsWith("554 5.7.1");
            assertThat(o.recipient()).startsWith("malware").isEqualTo(o.envelope().sender());
        });
        assertThat(outcomes.stream().filter(o -> o.status().disposition() == Disposition.FAILED))
            .singleElement().satisfies(o -> assertThat(o.recipient()).isEqualTo("reject1@relay.test"));
    }
}
