package io.sluice.daemon;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.management.remote.JMXConnector;

import io.sluice.admission.AdmissionCounter;
import io.sluice.bounce.BounceCounter;
import io.sluice.control.ConsoleClient;
import io.sluice.control.ControlPlane;
import io.sluice.control.QuarantineRow;
import io.sluice.control.cli.SluiceCommand;
import io.sluice.delivery.TestSmtpSink;
import io.sluice.drain.DrainCounter;
import io.sluice.ingress.SmtpTestClient;
import io.sluice.spool.SpoolAwait;
import io.sluice.testing.TestClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Quarantine in the real daemon, real sockets and journal: a network whose mail the upstream refuses {@code 5.7.1}
 * is demoted by the drain, and its spooled mail and the mail it sends meanwhile stay home instead of going on to the
 * provider, while another network's mail flows; the quarantine survives a restart; {@code sluice quarantine} lists,
 * releases (delivered) and deletes (PURGED), refuses bad input changing nothing; the rest expires after
 * {@code quarantine.expiryMs} on the bounce policy's clock and goes through the bounce policy. Spoofed mail with the
 * {@code QUARANTINE} action is accepted and kept home the same way.
 */
class QuarantineDaemonTest
{
    private static final String FLOOD = "127.0.13.";
    private static final String PARTNER = "127.0.14.";

    private final TestClock clock = new TestClock();

    @TempDir
    Path dir;

    private TestSmtpSink upstream;
    @RegisterExtension
    final MailLogCapture mailLog = new MailLogCapture();

    @BeforeEach
    void start() throws IOException
    {
        upstream = TestSmtpSink.start();
    }

    @AfterEach
    void stop() throws IOException
    {
        upstream.close();
    }

    private SluiceDaemon daemon(final Map<String, String> extra) throws IOException
    {
        final Map<String, String> settings = DaemonOnTestClocks.settings(dir, upstream);
        // Admission's own demotion would tempfail the network's new mail in-session; the drain's is what is tested.
        settings.put("admission.reputation.demoteAfter", "1000000");
        settings.putAll(extra);
        return DaemonOnTestClocks.start(settings, null, clock);
    }

    private static void send(final SluiceDaemon daemon, final String client, final String from, final String to)
        throws IOException
    {
        try (SmtpTestClient smtp = SmtpTestClient.connect(daemon.smtp().localAddress(), client))
        {
            expect(smtp.reply(), "220");
            expect(smtp.command("EHLO client.example"), "250");
            expect(smtp.sendMessage(from, to, "Subject: to " + to), "250 2.0.0");
        }
    }

    /** Runs {@code sluice --socket ... ARGS}: its exit code, stdout and stderr. */
    private record Run(int exit, String out, String err)
    {
    }

    private Run sluice(final String... args)
    {
        final List<String> all = new ArrayList<>(List.of("--socket", ConsoleClient.socketOf(dir.resolve("spool")).toString()));
        all.addAll(List.of(args));
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = SluiceCommand.run(all.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private long delivered(final String recipient)
    {
        return upstream.received().stream().filter(r -> r.recipients().contains(recipient)).count();
    }

    private static List<String> quarantinedIds(final SluiceDaemon daemon)
    {
        return daemon.quarantine().list().stream().map(QuarantineRow::getQueueId).toList();
    }

    @Test
    void shouldKeepADemotedNetworksMailHomeAcrossARestartUntilReleasedDeletedOrExpired() throws Exception
    {
        final List<String> held;
        try (SluiceDaemon daemon = daemon(Map.of()))
        {
            // Spooled before the upstream's verdict comes in: held back by the operator until then.
            for (int i = 6; i <= 9; i++)
            {
                daemon.drain().pauseSource(FLOOD + i);
                send(daemon, FLOOD + i, "offer" + i + "@shop.example", "user" + i + "@relay.test");
            }
            SpoolAwait.until(() -> daemon.drain().status().paused() == 4);
            for (int i = 1; i <= 5; i++)
            {
                send(daemon, FLOOD + i, "offer" + i + "@shop.example", "policy" + i + "@relay.test");
            }
            SpoolAwait.until(() -> daemon.drain().counters().get(DrainCounter.QUARANTINED) == 4, 30_000);
            for (int i = 6; i <= 9; i++)
            {
                daemon.drain().resumeSource(FLOOD + i);
            }
            // While the network stays demoted, its new mail is quarantined as it reaches the drain; another network's flows.
            send(daemon, FLOOD + 77, "offer77@shop.example", "user77@relay.test");
            send(daemon, PARTNER + 1, "orders@partner.example", "buyer@relay.test");
            SpoolAwait.until(() -> delivered("buyer@relay.test") == 1 && daemon.quarantine().waiting() == 5, 30_000);
            assertThat(daemon.drain().counters().get(DrainCounter.QUARANTINED)).isEqualTo(5);
            assertThat(daemon.bounces().policy().counters().get(BounceCounter.QUARANTINED)).isEqualTo(5);
            held = quarantinedIds(daemon);
            assertThat(daemon.quarantine().list()).allSatisfy(row -> assertThat(row.getReason())
                .isEqualTo("network 127.0.13.0/24 demoted after 5 policy rejections (5.7.x) upstream"));
        }

        try (SluiceDaemon daemon = daemon(Map.of()))
        {
            assertThat(quarantinedIds(daemon)).as("the quarantine survives a restart").isEqualTo(held);
            final Run list = sluice("quarantine", "list");
            assertThat(list.exit()).isZero();
            assertThat(list.out()).startsWith("5 quarantined messages").contains(held.get(0))
                .contains("network 127.0.13.0/24 demoted");
            assertThat(sluice("--json", "quarantine").out()).contains("\"quarantined\":5");
            try (JMXConnector jmx = ConsoleClient.connect(ConsoleClient.socketOf(dir.resolve("spool"))))
            {
                assertThat(jmx.getMBeanServerConnection().getAttribute(ControlPlane.name("Spool"), "QuarantinedMessages"))
                    .isEqualTo(5L);
            }

            // Bad input: a clear message, an exit code, nothing changed.
            final Run unknown = sluice("quarantine", "release", held.get(0), "00000000000000AB");
            assertThat(unknown.exit()).isEqualTo(SluiceCommand.EXIT_REFUSED);
            assertThat(unknown.err()).contains("no quarantined message 00000000000000AB");
            assertThat(sluice("quarantine", "release", "not-an-id").err()).contains("not a queue id: 'not-an-id'");
            assertThat(sluice("quarantine", "delete", held.get(1)).exit()).isEqualTo(SluiceCommand.EXIT_USAGE);
            assertThat(sluice("quarantine", "release").exit()).isEqualTo(SluiceCommand.EXIT_USAGE);
            assertThat(sluice("quarantine", "release", "--all", held.get(0)).exit()).isEqualTo(SluiceCommand.EXIT_USAGE);
            assertThat(sluice("quarantine", "shred").exit()).isEqualTo(SluiceCommand.EXIT_USAGE);
            assertThat(quarantinedIds(daemon)).isEqualTo(held);

            final Run release = sluice("quarantine", "release", held.get(0));
            assertThat(release.out()).isEqualTo("released 1 quarantined messages to the drain\n");
            final Run delete = sluice("quarantine", "delete", held.get(1), "--confirm");
            assertThat(delete.out()).isEqualTo("deleted 1 quarantined messages (PURGED)\n");
            SpoolAwait.until(() -> delivered("user6@relay.test") == 1 && daemon.quarantine().waiting() == 3, 30_000);
            SpoolAwait.until(() -> daemon.spool().pendingCount() == 3, 30_000);
            assertThat(delivered("user7@relay.test")).as("deleted, never sent").isZero();

            // A week later the rest fails, through the bounce policy.
            clock.advance(Duration.ofDays(7).plusMinutes(1));
            SpoolAwait.until(() -> daemon.spool().pendingCount() == 0, 30_000);
            final BounceCounters counters = new BounceCounters(daemon);
            assertThat(counters.get(BounceCounter.QUARANTINE_RELEASED)).isEqualTo(1);
            assertThat(counters.get(BounceCounter.QUARANTINE_DELETED)).isEqualTo(1);
            assertThat(counters.get(BounceCounter.QUARANTINE_EXPIRED)).isEqualTo(3);
            assertThat(counters.get(BounceCounter.QUARANTINE_WAITING)).isZero();
        }
        assertThat(delivered("user8@relay.test") + delivered("user9@relay.test") + delivered("user77@relay.test"))
            .as("nothing quarantined reached the upstream unreleased").isZero();
        final List<String> lines = mailLog.lines();
        assertThat(lines).filteredOn(line -> line.contains(": quarantined (network 127.0.13.0/24")).hasSize(5);
        assertThat(lines).filteredOn(line -> line.contains(": quarantine released by an operator")).hasSize(1);
        assertThat(lines).filteredOn(line -> line.contains(": quarantine deleted by an operator (PURGED)")).hasSize(1);
        assertThat(lines).filteredOn(line -> line.contains(": quarantine expired after")).hasSize(3);
        assertThat(lines).as("the bounce policy's decision for each expired recipient: a policy failure, no backscatter")
            .filteredOn(line -> line.contains("dsn=") && line.matches(".*orig_to=<user(8|9|77)@relay.test>.*"))
            .hasSize(3).allSatisfy(line -> assertThat(line).contains("dsn=suppressed (POLICY_FAILURE)", "status=5.7.1"));
    }

    @Test
    void shouldAcceptSpoofedMailIntoTheQuarantineWithTheQuarantineAction() throws Exception
    {
        try (SluiceDaemon daemon = daemon(Map.of("admission.spoof.defaultAction", "QUARANTINE")))
        {
            send(daemon, "127.0.20.5", "victim@relay.test", "victim@relay.test");
            SpoolAwait.until(() -> daemon.quarantine().waiting() == 1, 30_000);
            assertThat(daemon.admission().counters().get(AdmissionCounter.SPOOF_QUARANTINED)).isEqualTo(1);
            assertThat(daemon.quarantine().list()).singleElement().satisfies(row ->
            {
                assertThat(row.getReason()).startsWith("spoof pattern");
                assertThat(row.getSender()).isEqualTo("victim@relay.test");
            });
            assertThat(delivered("victim@relay.test")).isZero();

            assertThat(sluice("quarantine", "release", "--all").out())
                .isEqualTo("released 1 quarantined messages to the drain\n");
            SpoolAwait.until(() -> delivered("victim@relay.test") == 1, 30_000);
        }
    }

    /** The bounce policy's counters of a daemon. */
    private record BounceCounters(SluiceDaemon daemon)
    {
        long get(final BounceCounter counter)
        {
            return daemon.bounces().policy().counters().get(counter);
        }
    }
}
