package io.sluice.daemon;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.sluice.bounce.BounceCounter;
import io.sluice.bounce.BounceDecision;
import io.sluice.bounce.BouncePolicy;
import io.sluice.bounce.GeneratedMail;
import io.sluice.bounce.SuppressionReason;
import io.sluice.delivery.TestSmtpSink;
import io.sluice.ingress.SmtpTestClient;
import io.sluice.spool.ChildJvm;
import io.sluice.spool.Disposition;
import io.sluice.spool.JournalOutcomes;
import io.sluice.spool.SpoolAwait;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bounce loop between two routes is impossible. Two real daemons send their bounces to each other (each one's
 * {@code bounces} lane goes to the other's SMTP port, the topology of a ping-pong), and each has an upstream that
 * rejects unknown users. Daemon A (in this JVM) bounces two messages to daemon B (a child JVM):
 * <ul>
 *   <li>B accepts the first DSN, its upstream refuses the DSN's recipient, and B sends nothing back: the DSN has the
 *       null sender (RFC 5321 section 4.5.5), journaled {@code SUPPRESSED} for {@code NULL_SENDER};</li>
 *   <li>B refuses the second DSN outright ({@code 554 5.7.1} relay denied): A's own DSN failed permanently, and A sends
 *       no bounce of a bounce ({@code BOUNCE_OF_BOUNCE}), but remembers the address on its suppression list.</li>
 * </ul>
 * Afterwards A has taken in only the client's two messages: nothing came back from B. And after a restart A still
 * has the address on its suppression list and the two bounces counted against its budget.
 */
class BounceLoopTest
{
    @TempDir
    Path dir;

    private static int freePort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket(0))
        {
            return socket.getLocalPort();
        }
    }

    /** The settings both daemons share: their bounces go to the peer, everything else to their own upstream. */
    private static String[] settings(final Path spool, final String domain, final int port, final TestSmtpSink upstream,
        final int peerPort, final Path notifications)
    {
        return new String[] {
            "spool.directory=" + spool,
            // One journal file for the whole test: JournalOutcomes finds each outcome's envelope in its message's record,
            // which retention deletes with its file once a newer file exists and the message is final.
            "spool.rollCycle=FAST_DAILY",
            "smtp.listen=127.0.0.1:" + port,
            "relay.domains=" + domain,
            // No trusted relay: the peer is an ordinary outside server to each daemon.
            "relay.trustedNetworks=",
            "jmx.enabled=false",
            "drain.routes=default:200:20,notifications:20:5,peer:50:5",
            "drain.laneRoutes=notifications:notifications,bounces:peer",
            "delivery.route.default.target=" + upstream.target(),
            "delivery.route.notifications.target=dir:" + notifications,
            "delivery.route.peer.target=smtp://127.0.0.1:" + peerPort,
            "delivery.reconnectDelayMs=200"};
    }

    @Test
    void shouldNeverBounceABounceBetweenTwoDaemonsThatSendTheirBouncesToEachOther() throws Exception
    {
        final int portA = freePort();
        final int portB = freePort();
        try (TestSmtpSink upstreamA = TestSmtpSink.start(); TestSmtpSink upstreamB = TestSmtpSink.start())
        {
            final String[] settingsB = settings(dir.resolve("b/spool"), "b.test", portB, upstreamB, portA, dir.resolve("b/n"));
            final String[] argsB = new String[settingsB.length * 2];
            for (int i = 0; i < settingsB.length; i++)
            {
                argsB[2 * i] = "--set";
                argsB[2 * i + 1] = settingsB[i];
            }
            try (ChildJvm daemonB = ChildJvm.start(SluiceDaemon.class, argsB))
            {
                SpoolAwait.until(() -> daemonB.lines().stream().anyMatch(l -> l.contains("sluice started"))
                    || !daemonB.isAlive(), 60_000);
                assertThat(daemonB.isAlive()).isTrue();
                final String[] settingsA = settings(dir.resolve("a/spool"), "a.test", portA, upstreamA, portB,
                    dir.resolve("a/n"));
                final Map<String, String> overridesA = new java.util.HashMap<>();
                for (final String setting : settingsA)
                {
                    overridesA.put(setting.substring(0, setting.indexOf('=')), setting.substring(setting.indexOf('=') + 1));
                }
                try (SluiceDaemon daemonA = SluiceDaemon.start(SluiceDaemon.Configuration.of(
                    DaemonSettings.load(null, overridesA))))
                {
                    try (SmtpTestClient client = SmtpTestClient.connect(daemonA.smtp().localAddress(), "127.0.0.9"))
                    {
                        expect(client.reply(), "220");
                        expect(client.command("EHLO client.example"), "250");
                        expect(client.sendMessage("rejectsender@b.test", "rejectuser@a.test", "Subject: one\r\n\r\n1"),
                            "250 2.0.0");
                        expect(client.sendMessage("someone@c.test", "rejectuser2@a.test", "Subject: two\r\n\r\n2"),
                            "250 2.0.0");
                    }
                    final BouncePolicy policyA = daemonA.bounces().policy();
                    // Two failures at A's upstream, and A's second DSN refused by B.
                    SpoolAwait.until(() -> policyA.counters().get(BounceCounter.DECISIONS) == 3
                        && daemonA.spool().pendingCount() == 0, 60_000);
                    // B's upstream refused the first DSN's recipient; B journals its decision right after.
                    SpoolAwait.until(() -> daemonB.lines().stream().anyMatch(l -> l.contains("NULL_SENDER")), 60_000);

                    assertThat(policyA.counters().get(BounceCounter.BOUNCES_ALLOWED)).isEqualTo(2);
                    assertThat(policyA.counters().get(BounceCounter.SUPPRESSED_BOUNCE_OF_BOUNCE)).isEqualTo(1);
                    assertThat(daemonA.bounces().dsnsAppended()).isEqualTo(2);
                    assertThat(policyA.isSuppressed("someone@c.test")).as("its bounce failed: listed").isTrue();
                    assertThat(policyA.counters().get(BounceCounter.MESSAGES_ACCEPTED))
                        .as("A took in the client's two messages and nothing from B").isEqualTo(2);
                    assertThat(upstreamA.received()).isEmpty();
                    assertThat(upstreamB.received()).isEmpty();
                }
                // A restarts: what its bounce policy learnt is still there (bounce.state in its spool directory).
                try (SluiceDaemon restartedA = SluiceDaemon.start(SluiceDaemon.Configuration.of(
                    DaemonSettings.load(null, overridesA))))
                {
                    final BouncePolicy policyA = restartedA.bounces().policy();
                    assertThat(policyA.isSuppressed("someone@c.test")).isTrue();
                    assertThat(policyA.budget().acceptedInWindow()).isEqualTo(2);
                    assertThat(policyA.budget().bouncesInWindow()).isEqualTo(2);
                }
                daemonB.terminate();
                assertThat(daemonB.waitFor(30_000)).isEqualTo(143);
                assertThat(daemonB.lines()).noneMatch(l -> l.contains("DSN <"));
            }
        }

        final List<JournalOutcomes.Outcome> atB = JournalOutcomes.read(dir.resolve("b/spool"));
        assertThat(atB).singleElement().satisfies(o ->
        {
            assertThat(o.envelope().sender()).as("A's DSN").isEmpty();
            assertThat(o.recipient()).isEqualTo("rejectsender@b.test");
            assertThat(BounceDecision.suppressionOf(o.status())).isEqualTo(SuppressionReason.NULL_SENDER);
        });
        final List<JournalOutcomes.Outcome> atA = JournalOutcomes.read(dir.resolve("a/spool"));
        assertThat(atA.stream().filter(o -> GeneratedMail.SOURCE_KEY.equals(o.envelope().sourceKey())))
            .as("A's two DSNs: one delivered to B, one refused by B and not bounced")
            .extracting(o -> o.status().disposition()).containsExactlyInAnyOrder(Disposition.DELIVERED, Disposition.SUPPRESSED);
        assertThat(atA.stream().filter(o -> o.status().disposition() == Disposition.SUPPRESSED))
            .singleElement().satisfies(o ->
            {
                assertThat(BounceDecision.suppressionOf(o.status())).isEqualTo(SuppressionReason.BOUNCE_OF_BOUNCE);
                assertThat(o.status().detail()).startsWith("554 5.7.1");
            });
    }
}
