package io.sluice.daemon;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.sluice.bounce.BounceCounter;
import io.sluice.config.InvalidSettingException;
import io.sluice.delivery.DeliveryCounter;
import io.sluice.delivery.TestSmtpSink;
import io.sluice.ingress.SmtpTestClient;
import io.sluice.spool.SpoolAwait;
import io.sluice.spool.SpoolCounter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recipient verification through the whole daemon: a client on an outside address talks to the real listener, whose
 * route {@code default} asks the upstream ({@link TestSmtpSink}, which refuses {@code reject...} users {@code 550 5.1.1})
 * before answering RCPT. An unknown user is refused in-session and nothing of it reaches the spool, so no DSN can ever be
 * made for it; a known one is delivered; pipelined RCPTs keep their order while their probes are out; an unreachable
 * upstream leaves recipients accepted or tempfailed as set; off by default.
 */
class RecipientVerificationDaemonTest
{
    private static final String CLIENT = "127.0.0.9";

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

    private Map<String, String> verifying(final String... more)
    {
        final Map<String, String> settings = new HashMap<>(DaemonOnTestClocks.settings(dir, upstream));
        settings.put("recipients.verify.routes", "default");
        for (int i = 0; i < more.length; i += 2)
        {
            settings.put(more[i], more[i + 1]);
        }
        return settings;
    }

    private static SluiceDaemon start(final Map<String, String> settings) throws IOException
    {
        return SluiceDaemon.start(SluiceDaemon.Configuration.of(DaemonSettings.load(null, settings)));
    }

    private static SmtpTestClient session(final SluiceDaemon daemon) throws IOException
    {
        final SmtpTestClient client = SmtpTestClient.connect(daemon.smtp().localAddress(), CLIENT);
        expect(client.reply(), "220");
        expect(client.command("EHLO outside.example"), "250");
        return client;
    }

    private static String rcpt(final SluiceDaemon daemon, final String to) throws IOException
    {
        try (SmtpTestClient client = session(daemon))
        {
            expect(client.command("MAIL FROM:<ann@outside.test>"), "250");
            return client.command("RCPT TO:<" + to + ">");
        }
    }

    private static long counter(final SluiceDaemon daemon, final DeliveryCounter counter)
    {
        return daemon.delivery().counters().get(counter);
    }

    @Test
    void shouldRefuseAnUnknownUserInSessionSoNoDsnIsEverNeededAndDeliverAKnownOne() throws Exception
    {
        try (SluiceDaemon daemon = start(verifying()))
        {
            assertThat(rcpt(daemon, "reject-bob@relay.test"))
                .isEqualTo("550 5.1.1 <reject-bob@relay.test>: Recipient address rejected: unknown user");
            try (SmtpTestClient client = session(daemon))
            {
                expect(client.sendMessage("ann@outside.test", "alice@relay.test", "Subject: known\r\n\r\nhello"), "250 2.0.0");
            }
            SpoolAwait.until(() -> !upstream.received().isEmpty() && daemon.spool().pendingCount() == 0, 30_000);
            assertThat(upstream.received()).singleElement().satisfies(r ->
            {
                assertThat(r.recipients()).containsExactly("alice@relay.test");
                assertThat(r.text()).contains("Subject: known");
            });

            assertThat(rcpt(daemon, "reject-bob@relay.test")).as("from the cache").startsWith("550 5.1.1");
            assertThat(counter(daemon, DeliveryCounter.RECIPIENT_PROBES)).as("bob and alice, each once").isEqualTo(2);
            assertThat(counter(daemon, DeliveryCounter.RECIPIENT_CACHE_HITS)).isEqualTo(1);
            assertThat(counter(daemon, DeliveryCounter.RECIPIENTS_UNKNOWN)).isEqualTo(2);
            assertThat(daemon.spool().counters().get(SpoolCounter.MESSAGES_APPENDED)).as("alice's message only").isEqualTo(1);
            assertThat(daemon.bounces().policy().counters().get(BounceCounter.DECISIONS)).as("nothing failed").isZero();
            assertThat(daemon.bounces().dsnsAppended()).isZero();
            assertThat(daemon.delivery().verifierStates()).singleElement().asString().startsWith("default: verifying");
        }
    }

    @Test
    void shouldAnswerPipelinedRecipientsInOrderWhileTheirProbesAreOut() throws Exception
    {
        try (SluiceDaemon daemon = start(verifying());
             SmtpTestClient client = session(daemon))
        {
            client.send("MAIL FROM:<ann@outside.test>\r\nRCPT TO:<alice@relay.test>\r\nRCPT TO:<reject-x@relay.test>\r\n"
                + "RCPT TO:<carol@relay.test>\r\nRCPT TO:<reject-x@relay.test>\r\nDATA\r\n"
                + "Subject: pipelined\r\n\r\nbody\r\n.\r\n");
            assertThat(List.of(client.reply(), client.reply(), client.reply(), client.reply(), client.reply(), client.reply(),
                client.reply())).satisfiesExactly(
                    mail -> assertThat(mail).startsWith("250 2.1.0"),
                    alice -> assertThat(alice).startsWith("250 2.1.5"),
                    unknown -> assertThat(unknown).startsWith("550 5.1.1 <reject-x@relay.test>"),
                    carol -> assertThat(carol).startsWith("250 2.1.5"),
                    again -> assertThat(again).startsWith("550 5.1.1 <reject-x@relay.test>"),
                    data -> assertThat(data).startsWith("354"),
                    queued -> assertThat(queued).startsWith("250 2.0.0 Ok: queued as"));
            SpoolAwait.until(() -> !upstream.received().isEmpty(), 30_000);
            assertThat(upstream.received()).singleElement()
                .satisfies(r -> assertThat(r.recipients()).containsExactly("alice@relay.test", "carol@relay.test"));
            assertThat(counter(daemon, DeliveryCounter.RECIPIENT_PROBES)).isEqualTo(3);
        }
    }

    @Test
    void shouldAcceptOrTempfailRecipientsWhenTheUpstreamIsUnreachableAsSet() throws Exception
    {
        upstream.close();
        try (SluiceDaemon daemon = start(verifying()))
        {
            assertThat(rcpt(daemon, "alice@relay.test")).as("accept by default: the spool rides out the outage")
                .startsWith("250 2.1.5");
            assertThat(counter(daemon, DeliveryCounter.RECIPIENTS_UNVERIFIED)).isEqualTo(1);
        }
        try (SluiceDaemon daemon = start(verifying("recipients.verify.onUnreachable", "tempfail")))
        {
            assertThat(rcpt(daemon, "alice@relay.test"))
                .isEqualTo("450 4.4.3 <alice@relay.test>: Recipient address verification unavailable, try again later");
            assertThat(daemon.spool().counters().get(SpoolCounter.MESSAGES_APPENDED)).isZero();
        }
    }

    @Test
    void shouldLeaveRecipientsOverTheProbeBudgetToTheUnreachableSetting() throws Exception
    {
        try (SluiceDaemon daemon = start(verifying("recipients.verify.probeBurst", "2", "recipients.verify.probesPerSecond",
            "0.01", "recipients.verify.onUnreachable", "tempfail")))
        {
            assertThat(rcpt(daemon, "reject-r1@relay.test")).startsWith("550 5.1.1");
            assertThat(rcpt(daemon, "reject-r2@relay.test")).startsWith("550 5.1.1");
            assertThat(rcpt(daemon, "reject-r3@relay.test")).startsWith("450 4.4.3");
            assertThat(rcpt(daemon, "reject-r1@relay.test")).as("known already: no budget needed").startsWith("550 5.1.1");
            assertThat(counter(daemon, DeliveryCounter.RECIPIENT_PROBES)).isEqualTo(2);
            assertThat(counter(daemon, DeliveryCounter.RECIPIENT_PROBES_OVER_BUDGET)).isEqualTo(1);
        }
    }

    @Test
    void shouldTempfailWhatTheUpstreamTempfailsOnlyWhenSet() throws Exception
    {
        try (SluiceDaemon daemon = start(verifying("recipients.verify.onTempfail", "tempfail")))
        {
            assertThat(rcpt(daemon, "defer-dan@relay.test")).startsWith("450 4.1.1 <defer-dan@relay.test>");
        }
        try (SluiceDaemon daemon = start(verifying()))
        {
            assertThat(rcpt(daemon, "defer-dan@relay.test")).startsWith("250 2.1.5");
        }
    }

    @Test
    void shouldNotAskTheUpstreamByDefault() throws Exception
    {
        try (SluiceDaemon daemon = start(DaemonOnTestClocks.settings(dir, upstream)))
        {
            assertThat(rcpt(daemon, "reject-bob@relay.test")).startsWith("250 2.1.5");
            assertThat(counter(daemon, DeliveryCounter.RECIPIENT_PROBES)).isZero();
            assertThat(daemon.delivery().verifierStates()).isEmpty();
        }
        assertThat(upstream.connections()).isZero();
    }

    @Test
    void shouldRefuseVerificationSettingsThatCannotWorkNamingTheKey()
    {
        assertThatThrownBy(() -> SluiceDaemon.Configuration.of(DaemonSettings.load(null,
            verifying("recipients.verify.routes", "notifications"))))
            .isInstanceOf(InvalidSettingException.class).hasMessageStartingWith("recipients.verify.routes=notifications: ");
        assertThatThrownBy(() -> SluiceDaemon.Configuration.of(DaemonSettings.load(null,
            verifying("recipients.verify.onUnreachable", "maybe"))))
            .isInstanceOf(InvalidSettingException.class)
            .hasMessage("recipients.verify.onUnreachable=maybe: expected accept or tempfail");
        assertThatThrownBy(() -> SluiceDaemon.Configuration.of(DaemonSettings.load(null,
            verifying("recipients.verify.probesPerSecond", "fast"))))
            .isInstanceOf(InvalidSettingException.class).hasMessageStartingWith("recipients.verify.probesPerSecond=fast: ");
        assertThatThrownBy(() -> SluiceDaemon.Configuration.of(DaemonSettings.load(null,
            verifying("recipients.verify.negativeTtlMs", "0"))))
            .isInstanceOf(InvalidSettingException.class).hasMessageStartingWith("recipients.verify.negativeTtlMs=0: ");
    }
}
