package io.sluice.daemon;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import io.sluice.admission.AdmissionCounter;
import io.sluice.admission.SourceClass;
import io.sluice.admission.SourceReputation;
import io.sluice.delivery.TestSmtpSink;
import io.sluice.ingress.SmtpTestClient;
import io.sluice.spool.SpoolAwait;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Admission at the shipped defaults, in real SMTP dialogues with the whole daemon and a real upstream: only
 * {@code relay.domains} and the routes are set, no bucket is opened. A partner's twenty relays in one /24, one
 * connection per message, get past what the old per-/24 buckets allowed (150 connections, 300 messages) once its
 * first deliveries have made the network clean; a spoof is refused in-session and never reaches the upstream; a
 * network whose mail the upstream refuses for policy is tempfailed in-session from its fifth rejection on.
 */
class AdmissionDaemonTest
{
    @TempDir
    Path dir;

    private TestSmtpSink upstream;
    private SluiceDaemon daemon;

    @BeforeEach
    void start() throws IOException
    {
        upstream = TestSmtpSink.start();
        final Map<String, String> settings = new HashMap<>(Map.of(
            "spool.directory", dir.resolve("spool").toString(),
            "smtp.listen", "127.0.0.1:0",
            "relay.domains", "relay.test",
            "jmx.enabled", "false",
            "delivery.route.default.target", upstream.target(),
            "delivery.route.notifications.target", "dir:" + dir.resolve("notifications")));
        daemon = SluiceDaemon.start(SluiceDaemon.Configuration.of(DaemonSettings.load(null, settings)));
    }

    @AfterEach
    void stop() throws IOException
    {
        daemon.close();
        upstream.close();
    }

    /** One connection, one message; @return the first reply that is not a success, or the reply to the data. */
    private String send(final String client, final String from, final String to) throws IOException
    {
        try (SmtpTestClient smtp = SmtpTestClient.connect(daemon.smtp().localAddress(), client))
        {
            final String greeting = smtp.reply();
            if (!greeting.startsWith("220"))
            {
                return greeting;
            }
            expect(smtp.command("EHLO " + client.replace('.', '-') + ".example"), "250");
            final String mail = smtp.command("MAIL FROM:<" + from + ">");
            if (!mail.startsWith("250"))
            {
                return mail;
            }
            final String rcpt = smtp.command("RCPT TO:<" + to + ">");
            if (!rcpt.startsWith("250"))
            {
                return rcpt;
            }
            expect(smtp.command("DATA"), "354");
            smtp.send("Subject: test\r\n\r\nhello\r\n.\r\n");
            final String reply = smtp.reply();
            smtp.command("QUIT");
            return reply;
        }
    }

    private int sendFromPartner(final int first, final int count) throws IOException
    {
        int refused = 0;
        for (int i = first; i < first + count; i++)
        {
            final String reply = send("127.20.20." + (i % 20 + 1), "orders" + i + "@partner.example", "sales@relay.test");
            refused += reply.startsWith("250") ? 0 : 1;
        }
        return refused;
    }

    @Test
    void shouldLetAPartnersTwentyRelaysInOneNetworkSendPastTheOldPerNetworkLimits() throws IOException
    {
        assertThat(sendFromPartner(0, 100)).as("within the unknown network's burst").isZero();
        SpoolAwait.until(() -> isClean("127.20.20.0/24"), 30_000);
        assertThat(sendFromPartner(100, 300)).as("400 messages on 400 connections in all, none refused").isZero();
        assertThat(daemon.admission().count(AdmissionCounter.RATE_LIMITED)).isZero();
    }

    private boolean isClean(final String network)
    {
        final SourceReputation reputation = daemon.admission().reputation(network);
        return reputation != null && reputation.sourceClass() == SourceClass.CLEAN;
    }

    @Test
    void shouldRefuseASpoofInSessionAndNeverForwardIt() throws IOException
    {
        assertThat(send("127.30.30.1", "ceo@relay.test", "ceo@relay.test")).startsWith("550 5.7.1");
        assertThat(send("127.30.30.2", "ceo@relay.test", "finance@relay.test")).startsWith("550 5.7.1");
        assertThat(daemon.admission().count(AdmissionCounter.SPOOF_REFUSED)).isEqualTo(2);
        assertThat(daemon.spool().pendingMessages()).as("nothing spooled, nothing for the provider").isEmpty();
        assertThat(upstream.received()).isEmpty();
    }

    @Test
    void shouldTempfailANetworkInSessionOnceTheUpstreamRefusesItsMailForPolicy() throws IOException
    {
        for (int i = 1; i <= 5; i++)
        {
            assertThat(send("127.40.40." + i, "sender" + i + "@shop" + i + ".example", "malware" + i + "@relay.test"))
                .startsWith("250");
        }
        SpoolAwait.until(() -> upstream.contentRejections() >= 5, 30_000);
        SpoolAwait.until(() -> daemon.admission().classOf(address("127.40.40.99"), false) == SourceClass.DEMOTED, 30_000);

        final String refused = send("127.40.40.99", "someone@shop99.example", "sales@relay.test");
        assertThat(refused).startsWith("450 4.7.1").contains("demoted by reputation");
        assertThat(daemon.admission().reputation("127.40.40.0/24").why()).contains("5 policy rejection");
        assertThat(send("127.41.41.1", "someone@elsewhere.example", "sales@relay.test")).as("another network")
            .startsWith("250");
    }

    private static InetAddress address(final String literal)
    {
        try
        {
            return InetAddress.getByName(literal);
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalArgumentException(literal, ex);
        }
    }
}
