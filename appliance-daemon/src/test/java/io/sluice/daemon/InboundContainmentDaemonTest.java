package io.sluice.daemon;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import io.sluice.containment.Containment;
import io.sluice.containment.ContainmentCounter;
import io.sluice.containment.HoldReason;
import io.sluice.containment.TenantState;
import io.sluice.delivery.TestSmtpSink;
import io.sluice.ingress.SmtpTestClient;
import io.sluice.spool.Disposition;
import io.sluice.spool.SpoolAwait;
import io.sluice.testing.TestClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Containment blames the sources, not the inbound tenant, in the running daemon at containment's shipped thresholds
 * (100 verdicts, 20% 5.7.x). The finding it reproduces: a flood of plausible distinct outside senders, malware inside,
 * whose accepted messages the upstream refused {@code 554 5.7.1}, got tenant {@code default} held within seconds, and
 * with it every inbound message of the gateway. Now inbound mail is never counted or held, and a hold of a sending
 * tenant (the trusted network, here 127.0.0.1, the shipped {@code relay.trustedNetworks}) keeps only its own sending,
 * even when the inbound mail is accounted to the same tenant.
 *
 * <p>Admission's buckets are opened here, so the whole flood reaches the upstream and the verdicts pass containment's
 * minimum: admission is not what this test is about. Containment's window runs on a clock the test holds still, so
 * every verdict is inside it whatever the machine's load.
 */
class InboundContainmentDaemonTest
{
    private static final String PARTNER = "127.0.9.5";
    private static final String TRUSTED = "127.0.0.1";

    private final TestClock clock = new TestClock();

    @TempDir
    Path dir;

    private TestSmtpSink upstream;

    @BeforeEach
    void startUpstream() throws IOException
    {
        upstream = TestSmtpSink.start();
    }

    @AfterEach
    void stopUpstream() throws IOException
    {
        upstream.close();
    }

    private SluiceDaemon start() throws IOException
    {
        final Map<String, String> settings = DaemonOnTestClocks.settings(dir, upstream);
        settings.put("jmx.enabled", "false");
        settings.put("containment.operatorAddress", "ops@relay.test");
        return DaemonOnTestClocks.start(settings, clock, null);
    }

    /** Sends {@code count} messages from {@code source}, each from its own plausible sender. */
    private static void send(final SluiceDaemon daemon, final String source, final String from, final String to,
        final int first, final int count) throws IOException
    {
        try (SmtpTestClient client = SmtpTestClient.connect(daemon.smtp().localAddress(), source))
        {
            expect(client.reply(), "220");
            expect(client.command("EHLO sender.example"), "250");
            for (int i = first; i < first + count; i++)
            {
                expect(client.sendMessage(from.replace("#", Integer.toString(i)), to.replace("#", Integer.toString(i)),
                    "Subject: message " + i + "\r\n\r\nbody " + i), "250 2.0.0");
            }
        }
    }

    /**
     * Sends a flood source's {@code count} messages; a {@code 450 4.7.1} at MAIL FROM (its network demoted by the
     * upstream's rejections of its earlier mail) is counted, not a failure. @return how many were accepted.
     */
    private static int sendFlood(final SluiceDaemon daemon, final String source, final int first, final int count)
        throws IOException
    {
        int accepted = 0;
        try (SmtpTestClient client = SmtpTestClient.connect(daemon.smtp().localAddress(), source))
        {
            expect(client.reply(), "220");
            expect(client.command("EHLO sender.example"), "250");
            for (int i = first; i < first + count; i++)
            {
                final String mail = client.command("MAIL FROM:<news" + i + "@shop" + i + ".example>");
                if (mail.startsWith("450 4.7.1"))
                {
                    expect(client.command("RSET"), "250");
                    continue;
                }
                expect(mail, "250");
                expect(client.command("RCPT TO:<malware" + i + "@relay.test>"), "250");
                expect(client.command("DATA"), "354");
                client.send("Subject: message " + i + "\r\n\r\nbody " + i + "\r\n.\r\n");
                expect(client.reply(), "250 2.0.0");
                accepted++;
            }
        }
        return accepted;
    }

    private long deliveredFrom(final String domain)
    {
        return upstream.received().stream().filter(r -> r.from().endsWith("@" + domain)).count();
    }

    @Test
    void shouldKeepInboundMailFlowingAndHoldNoOneWhenTheUpstreamRefusesAFloodOfDistinctOutsideSenders() throws Exception
    {
        try (SluiceDaemon daemon = start())
        {
            final Containment containment = daemon.containment();
            // 400 flood messages from 40 addresses in 8 /24s, every accepted one refused 554 5.7.1 after its data
            // (admission tempfails a /24 once the upstream has refused a handful of its messages: those are not sent).
            int accepted = 0;
            for (int source = 0; source < 40; source++)
            {
                accepted += sendFlood(daemon, "127.0." + (10 + source % 8) + "." + (1 + source / 8), source * 10, 10);
            }
            final int floodAccepted = accepted;
            assertThat(floodAccepted).as("flood messages accepted").isPositive();
            // Refused upstream, or kept home once the drain demoted its network (quarantine, the shipped default).
            final Quarantine quarantine = daemon.quarantine();
            SpoolAwait.until(() -> upstream.contentRejections() + quarantine.waiting() == floodAccepted
                && daemon.spool().pendingCount() == quarantine.waiting(), 60_000);

            assertThat(containment.evaluate()).as("no tenant held").isZero();
            assertThat(containment.state("default")).isEqualTo(TenantState.NORMAL);
            assertThat(containment.counters().get(ContainmentCounter.INBOUND_NOT_COUNTED)).isEqualTo(floodAccepted);

            // The legitimate partner's mail, after the flood: all of it leaves.
            send(daemon, PARTNER, "orders@partner.example", "user#@relay.test", 0, 20);
            SpoolAwait.until(() -> deliveredFrom("partner.example") == 20, 30_000);
            assertThat(containment.holdingTenants()).isEmpty();
            assertThat(containment.tenants()).as("no tenant track from inbound mail").isEmpty();
        }
    }

    @Test
    void shouldHoldOnlyTheTrustedSendersMailWhenTheyShareTheInboundTenant() throws Exception
    {
        try (SluiceDaemon daemon = start())
        {
            final Containment containment = daemon.containment();
            // The trusted network (tenant default, like all inbound mail) sends malware the upstream refuses: held.
            send(daemon, TRUSTED, "app#@internal.example", "malware#@partner.example", 0, 150);
            SpoolAwait.until(() -> containment.state("default") == TenantState.HELD, 60_000);
            assertThat(containment.view("default").reason()).isEqualTo(HoldReason.POLICY_REJECTIONS);
            SpoolAwait.until(() -> DeliveredFolder.texts(dir.resolve("notifications")).stream()
                .anyMatch(n -> n.contains("tenant default held")), 30_000);

            // What the trusted network sends now is held; the partner's inbound mail to the same tenant flows.
            send(daemon, TRUSTED, "app#@internal.example", "customer#@partner.example", 0, 5);
            send(daemon, PARTNER, "orders@partner.example", "user#@relay.test", 0, 20);
            SpoolAwait.until(() -> deliveredFrom("partner.example") == 20, 30_000);
            SpoolAwait.until(() -> daemon.spool().pendingMessages().stream()
                .filter(m -> m.envelope().sourceKey().equals(TRUSTED))
                .filter(m -> m.recipients().get(0).disposition() == Disposition.HELD)
                .count() >= 5, 30_000);
            assertThat(upstream.received()).as("nothing the trusted network sent after its hold left")
                .noneMatch(r -> r.recipients().get(0).startsWith("customer"));

            assertThat(containment.release("default")).isTrue();
            SpoolAwait.until(() -> upstream.received().stream()
                .filter(r -> r.recipients().get(0).startsWith("customer")).count() == 5, 30_000);
        }
    }
}
