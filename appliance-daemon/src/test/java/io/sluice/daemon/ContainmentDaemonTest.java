package io.sluice.daemon;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.management.MBeanServerConnection;
import javax.management.RuntimeMBeanException;
import javax.management.remote.JMXConnector;

import io.sluice.bounce.BounceCounter;
import io.sluice.bounce.BouncePolicy;
import io.sluice.containment.Containment;
import io.sluice.containment.HoldReason;
import io.sluice.containment.TenantState;
import io.sluice.control.ControlPlane;
import io.sluice.control.ConsoleClient;
import io.sluice.delivery.TestSmtpSink;
import io.sluice.ingress.SmtpTestClient;
import io.sluice.spool.Disposition;
import io.sluice.spool.JournalOutcomes;
import io.sluice.spool.SpoolAwait;
import io.sluice.testing.TestClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Containment end to end, automatically: the running daemon, delivering over SMTP to a real server, holds a
 * tenant that turns abusive, within the window, while another tenant's mail keeps flowing throughout, and tells the
 * operator through the notifications lane. Two ways to turn abusive: a volume surge over SMTP after a normal rate was
 * learned, and a run of upstream {@code 5.7.x} rejections over the minimum number of verdicts. Then across a restart:
 * held mail is still held, a release sends it, and a confirmed purge journals it {@code PURGED} and it never arrives.
 *
 * <p>Containment's windows run on a clock the test moves ({@link ContainmentSettings#context(DaemonSettings,
 * java.time.Clock, org.agrona.concurrent.NanoClock)}), so minutes of history pass in a moment; everything else is the
 * real daemon on real time: sockets, journal, drain, delivery, and the maintenance thread that evaluates every second.
 */
class ContainmentDaemonTest
{
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
        settings.putAll(Map.of(
            "tenant.acme.networks", "127.0.1.0/24",
            "tenant.spammy.networks", "127.0.2.0/24",
            "tenant.other.networks", "127.0.3.0/24",
            "containment.operatorAddress", "ops@relay.test"));
        // The tenants are customers of a shared relay: their networks may send anywhere, so their mail is their own.
        settings.put("relay.trustedNetworks", "127.0.1.0/24,127.0.2.0/24,127.0.3.0/24");
        // One journal file: the journal read back at the end needs each message's record beside its outcomes.
        settings.put("spool.rollCycle", "FAST_DAILY");
        // A one-minute window in 10 s slots; the surge rule after five minutes of history; ratios over 30 verdicts.
        settings.putAll(Map.of(
            "containment.windowMs", "60000",
            "containment.windowSlots", "6",
            "containment.surgeWarmupMs", "300000",
            "containment.normalRateFloorPerMinute", "1",
            "containment.minSurgeMessages", "50",
            "containment.baselineHalfLifeMs", "3600000",
            "containment.minVerdicts", "30"));
        return DaemonOnTestClocks.start(settings, clock, null);
    }

    private static void send(final SluiceDaemon daemon, final String tenant, final String from, final String to,
        final int count) throws IOException
    {
        final String network = switch (tenant)
        {
            case "acme" -> "127.0.1.5";
            case "spammy" -> "127.0.2.5";
            default -> "127.0.3.5";
        };
        try (SmtpTestClient client = SmtpTestClient.connect(daemon.smtp().localAddress(), network))
        {
            expect(client.reply(), "220");
            expect(client.command("EHLO " + tenant + ".example"), "250");
            for (int i = 0; i < count; i++)
            {
                expect(client.sendMessage(from, to, "Subject: " + tenant + " mailing " + i + "\r\n\r\nbody " + i), "250 2.0.0");
            }
        }
    }

    /** @return messages the upstream took from this tenant's sender. */
    private long deliveredFrom(final String tenant)
    {
        return upstream.received().stream().filter(r -> r.from().endsWith("@" + tenant + ".example")).count();
    }

    private long pending(final SluiceDaemon daemon, final String tenant)
    {
        return daemon.spool().pendingMessages().stream().filter(m -> m.envelope().tenant().equals(tenant)).count();
    }

    /** @return the notices delivered to the notifications route's folder. */
    private List<String> notices()
    {
        return DeliveredFolder.texts(dir.resolve("notifications"));
    }

    /**
     * Containment marks a tenant held (and saves that) before its listener journals its mail held, so mail sent in
     * between may still leave: the notice, spooled after the held statuses are queued, says the hold is in force.
     */
    private void awaitHeldInTheDrain(final Containment containment, final String tenant)
    {
        SpoolAwait.until(() -> containment.state(tenant) == TenantState.HELD, 30_000);
        SpoolAwait.until(() -> notices().stream().anyMatch(n -> n.contains("tenant " + tenant + " held")), 10_000);
    }

    /** Whatever of a surge the drain sent before the hold is out; the rest, and all that came after, waits. */
    private void awaitEveryMessageAccountedFor(final SluiceDaemon daemon, final BouncePolicy bounces)
    {
        try
        {
            SpoolAwait.until(() -> deliveredFrom("other") == 11 && deliveredFrom("acme") + pending(daemon, "acme") == 79
                && bounces.counters().get(BounceCounter.DECISIONS) + pending(daemon, "spammy") == 43
                && notices().size() == 2);
        }
        catch (final AssertionError ex)
        {
            throw new AssertionError("other delivered " + deliveredFrom("other") + " (11), acme delivered "
                + deliveredFrom("acme") + " + pending " + pending(daemon, "acme") + " (79), bounce decisions "
                + bounces.counters().get(BounceCounter.DECISIONS) + " + spammy pending " + pending(daemon, "spammy")
                + " (43), notices " + notices().size() + " (2)", ex);
        }
    }

    @Test
    void shouldHoldAbusiveTenantsAutomaticallyKeepOthersFlowingAndReleaseOrPurgeAcrossARestart() throws Exception
    {
        final long heldAcme;
        final long heldSpammy;
        try (SluiceDaemon daemon = start())
        {
            final Containment containment = daemon.containment();
            // Seven minutes of ordinary traffic: acme's normal rate (2 a minute) is learned past its warm-up.
            for (int minute = 0; minute < 7; minute++)
            {
                send(daemon, "acme", "news@acme.example", "user@relay.test", 2);
                send(daemon, "other", "billing@other.example", "user@relay.test", 1);
                clock.advance(Duration.ofMinutes(1));
            }
            SpoolAwait.until(() -> deliveredFrom("acme") == 14 && deliveredFrom("other") == 7);
            assertThat(containment.view("acme").figures().baselineEstablished()).isTrue();
            assertThat(containment.holdingTenants()).isEmpty();

            // acme surges to 30x its normal rate within one simulated minute: held by the running daemon's evaluation.
            send(daemon, "acme", "news@acme.example", "user@relay.test", 60);
            awaitHeldInTheDrain(containment, "acme");
            assertThat(containment.view("acme").reason()).isEqualTo(HoldReason.VOLUME_SURGE);
            send(daemon, "other", "billing@other.example", "user@relay.test", 2);
            send(daemon, "acme", "news@acme.example", "user@relay.test", 5);

            // spammy's mail draws 5.7.1 from the upstream: held for its policy rejections after the minimum of 30.
            send(daemon, "spammy", "promo@spammy.example", "policy@relay.test", 40);
            awaitHeldInTheDrain(containment, "spammy");
            assertThat(containment.view("spammy").reason()).isEqualTo(HoldReason.POLICY_REJECTIONS);
            assertThat(containment.view("spammy").figures().verdicts()).isGreaterThanOrEqualTo(30);
            send(daemon, "spammy", "promo@spammy.example", "user@relay.test", 3);
            send(daemon, "other", "billing@other.example", "user@relay.test", 2);

            // Whatever of a surge the drain sent before the hold is out; the rest, and all that came after, waits.
            final BouncePolicy bounces = daemon.bounces().policy();
            awaitEveryMessageAccountedFor(daemon, bounces);
            heldAcme = pending(daemon, "acme");
            heldSpammy = pending(daemon, "spammy");
            assertThat(heldAcme).as("at least what acme sent after its hold").isGreaterThanOrEqualTo(5);
            assertThat(heldSpammy).as("at least what spammy sent after its hold").isGreaterThanOrEqualTo(3);
            assertThat(deliveredFrom("spammy")).isZero();
            assertThat(notices()).as("one notice per hold, to the operator")
                .allSatisfy(n -> assertThat(n).contains("To: <ops@relay.test>"))
                .anySatisfy(n -> assertThat(n).contains("Subject: [sluice] tenant acme held: VOLUME_SURGE"))
                .anySatisfy(n -> assertThat(n).contains("Subject: [sluice] tenant spammy held: POLICY_REJECTIONS"));

            try (JMXConnector jmx = ConsoleClient.connect(ConsoleClient.socketOf(dir.resolve("spool"))))
            {
                final MBeanServerConnection mbeans = jmx.getMBeanServerConnection();
                assertThat((String[])mbeans.getAttribute(ControlPlane.name("Tenants"), "HeldTenants"))
                    .containsExactly("acme", "spammy");
                final String[] samples = (String[])mbeans.invoke(ControlPlane.name("Tenants"), "samples",
                    new Object[] {"acme", 3}, new String[] {"java.lang.String", "int"});
                assertThat(samples).hasSize(3).allSatisfy(line -> assertThat(line)
                    .matches("[0-9A-F]{16} <news@acme\\.example> -> \\[user@relay\\.test\\], \\d+ bytes, \\d+ s old, .*")
                    .contains("subject \"acme mailing "));
            }
        }

        // Restart: the holds and the held mail survive; the others still flow.
        try (SluiceDaemon daemon = start();
             JMXConnector jmx = ConsoleClient.connect(ConsoleClient.socketOf(dir.resolve("spool"))))
        {
            final MBeanServerConnection mbeans = jmx.getMBeanServerConnection();
            assertThat(daemon.containment().holdingTenants()).containsExactly("acme", "spammy");
            assertThat(daemon.spool().pendingMessages()).hasSize((int)(heldAcme + heldSpammy)).allSatisfy(message ->
                assertThat(message.recipients().get(0).disposition()).isEqualTo(Disposition.HELD));
            send(daemon, "other", "billing@other.example", "user@relay.test", 1);
            SpoolAwait.until(() -> deliveredFrom("other") == 12);
            assertThat(deliveredFrom("acme")).as("nothing held went out").isEqualTo(79 - heldAcme);

            assertThat(mbeans.invoke(ControlPlane.name("Tenants"), "release", new Object[] {"acme"},
                new String[] {"java.lang.String"})).isEqualTo(true);
            SpoolAwait.until(() -> deliveredFrom("acme") == 79 && pending(daemon, "acme") == 0);

            assertThatThrownBy(() -> mbeans.invoke(ControlPlane.name("Tenants"), "purge", new Object[] {"spammy", "yes"},
                new String[] {"java.lang.String", "java.lang.String"}))
                .isInstanceOf(RuntimeMBeanException.class).hasRootCauseInstanceOf(IllegalArgumentException.class);
            assertThat(pending(daemon, "spammy")).as("no purge without its confirmation").isEqualTo(heldSpammy);
            mbeans.invoke(ControlPlane.name("Tenants"), "purge", new Object[] {"spammy", "spammy"},
                new String[] {"java.lang.String", "java.lang.String"});
            SpoolAwait.until(() -> pending(daemon, "spammy") == 0);
            assertThat(daemon.containment().state("spammy")).as("purged, still held").isEqualTo(TenantState.HELD);
        }

        final List<JournalOutcomes.Outcome> journal = JournalOutcomes.read(dir.resolve("spool"));
        final List<JournalOutcomes.Outcome> purged = journal.stream()
            .filter(o -> o.status().disposition() == Disposition.PURGED).toList();
        assertThat(purged).hasSize((int)heldSpammy).allSatisfy(o ->
        {
            assertThat(o.envelope().tenant()).isEqualTo("spammy");
            assertThat(o.status().detail()).isEqualTo("containment: purged by an operator, confirmed");
        });
        assertThat(journal).as("the purged mail was never delivered")
            .noneMatch(o -> purged.stream().anyMatch(p -> p.messageId() == o.messageId())
                && o.status().disposition() == Disposition.DELIVERED);
        assertThat(deliveredFrom("spammy")).isZero();
    }
}
