package io.sluice.ingress.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;

import io.netty.buffer.UnpooledByteBufAllocator;
import io.sluice.ingress.IngressFixture;
import io.sluice.ingress.SmtpTestClient;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.QueueIds;
import io.sluice.spool.SpoolAwait;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * STARTTLS on the SMTP listener over real sockets, with certificates the test makes: the handshake, the session reset
 * after it, the trace header, {@code require}, the clear-text injection probe and a handshake that never completes.
 */
class StartTlsTest
{
    @TempDir
    Path dir;

    private PemCertificates certificates;
    private PemCertificates.Pair pair;

    @BeforeEach
    void makeCertificate() throws Exception
    {
        certificates = new PemCertificates(dir);
        pair = certificates.valid("mx.sluice.test");
    }

    private TlsContext tls()
    {
        return pair.settings();
    }

    /** @return a client connected to {@code fixture}'s SMTP listener, greeted, after its EHLO. */
    private static SmtpTestClient greeted(final IngressFixture fixture) throws IOException
    {
        final SmtpTestClient client = SmtpTestClient.connect(fixture.address());
        try
        {
            SmtpTestClient.expect(client.reply(), "220");
            SmtpTestClient.expect(client.command("EHLO client.example"), "250");
            return client;
        }
        catch (final IOException | AssertionError ex)
        {
            client.close();
            throw ex;
        }
    }

    @Test
    void mailAfterStartTlsIsQueuedAndItsReceivedHeaderSaysEsmtpsWithTheCipher() throws Exception
    {
        try (IngressFixture fixture = IngressFixture.startWithTls(dir, tls());
             SmtpTestClient client = SmtpTestClient.connect(fixture.address()))
        {
            SmtpTestClient.expect(client.reply(), "220");
            assertThat(client.command("EHLO client.example")).contains("250-STARTTLS");
            final SSLSession session = client.startTls(certificates.clientContext());
            assertThat(session.getProtocol()).isIn("TLSv1.3", "TLSv1.2");
            // RFC 3207 section 4.2: the EHLO before TLS is forgotten, and STARTTLS is not offered again.
            assertThat(client.command("MAIL FROM:<a@outside.test>")).startsWith("503 5.5.1");
            assertThat(client.command("EHLO client.example")).startsWith("250-").doesNotContain("STARTTLS");
            assertThat(client.command("STARTTLS")).startsWith("503 5.5.1 TLS already active");
            final String reply = client.sendMessage("a@outside.test", "b@relay.test", "Subject: over TLS\r\n\r\nhello");
            SmtpTestClient.expect(reply, "250 2.0.0 Ok: queued as ");

            final PendingMessage pending = fixture.spool().pending(QueueIds.parse(reply.substring(reply.lastIndexOf(' ') + 1)));
            final String content = StandardCharsets.UTF_8.decode(fixture.spool().readContent(pending.messageId())).toString();
            assertThat(content).startsWith("Received: from client.example ([127.0.0.1])\r\n\t(using "
                + session.getProtocol() + " with cipher " + session.getCipherSuite() + ")\r\n\tby sluice.test (Sluice) with "
                + "ESMTPS id ");
            assertThat(fixture.server().tls().handshakes()).isEqualTo(1);
        }
    }

    @Test
    void onlyTls12And13AndForwardSecretAeadSuitesAreEnabled() throws Exception
    {
        try (IngressFixture fixture = IngressFixture.startWithTls(dir, tls()))
        {
            final SSLEngine engine = fixture.server().tls().newHandler(UnpooledByteBufAllocator.DEFAULT, false).engine();
            assertThat(engine.getEnabledProtocols()).containsExactlyInAnyOrder("TLSv1.3", "TLSv1.2");
            assertThat(engine.getEnabledCipherSuites()).isNotEmpty().allMatch(CertificatePair.CIPHERS::contains)
                .allMatch(suite -> suite.startsWith("TLS_AES_") || suite.startsWith("TLS_CHACHA20_")
                    || suite.startsWith("TLS_ECDHE_"));
        }
    }

    @Test
    void clearTextMailStillWorksWhenTlsIsOfferedAndSaysEsmtp() throws Exception
    {
        try (IngressFixture fixture = IngressFixture.startWithTls(dir, tls());
             SmtpTestClient client = greeted(fixture))
        {
            final String reply = client.sendMessage("a@outside.test", "b@relay.test", "Subject: clear\r\n\r\nhello");
            final PendingMessage pending = fixture.spool().pending(QueueIds.parse(reply.substring(reply.lastIndexOf(' ') + 1)));
            assertThat(StandardCharsets.UTF_8.decode(fixture.spool().readContent(pending.messageId())).toString())
                .startsWith("Received: from client.example ([127.0.0.1])\r\n\tby sluice.test (Sluice) with ESMTP id ");
        }
    }

    @Test
    void requireRefusesMailInClearTextAndTakesItAfterStartTls() throws Exception
    {
        try (IngressFixture fixture = IngressFixture.startWithTls(dir, tls().mode("require"));
             SmtpTestClient client = greeted(fixture))
        {
            assertThat(client.command("MAIL FROM:<a@outside.test>")).isEqualTo("530 5.7.0 Must issue a STARTTLS command first");
            client.startTls(certificates.clientContext());
            SmtpTestClient.expect(client.command("EHLO client.example"), "250");
            SmtpTestClient.expect(client.sendMessage("a@outside.test", "b@relay.test", "Subject: s\r\n\r\nx"), "250 2.0.0 Ok");
        }
    }

    @Test
    void offModeWithACertificateAdvertisesNoStartTls() throws Exception
    {
        try (IngressFixture fixture = IngressFixture.startWithTls(dir, tls().mode("off"));
             SmtpTestClient client = SmtpTestClient.connect(fixture.address()))
        {
            SmtpTestClient.expect(client.reply(), "220");
            assertThat(client.command("EHLO client.example")).doesNotContain("STARTTLS");
            assertThat(client.command("STARTTLS")).startsWith("500 5.5.2");
        }
    }

    /** CVE-2011-0411: a command written in clear text behind STARTTLS must never be answered inside TLS, nor at all. */
    @Test
    void commandsPipelinedAfterStartTlsInClearTextAreDiscardedAndTheSessionEnds() throws Exception
    {
        try (IngressFixture fixture = IngressFixture.startWithTls(dir, tls());
             SmtpTestClient client = greeted(fixture))
        {
            client.send("STARTTLS\r\nRSET\r\n");
            final List<String> replies = new ArrayList<>();
            for (String reply = client.reply(); reply != null; reply = client.reply())
            {
                replies.add(reply);
            }
            assertThat(replies).containsExactly(
                "554 5.5.1 Commands after STARTTLS before the TLS handshake are not allowed, closing connection");
            assertThat(fixture.server().tls().clearTextInjections()).isEqualTo(1);
            assertThat(fixture.server().tls().handshakes()).isZero();
        }
    }

    @Test
    void aHandshakeThatNeverCompletesTimesOutClosesAndIsCounted() throws Exception
    {
        try (IngressFixture fixture = IngressFixture.startWithTls(dir, tls().handshakeTimeoutMs(200));
             SmtpTestClient client = greeted(fixture))
        {
            SmtpTestClient.expect(client.command("STARTTLS"), "220 2.0.0");
            // No ClientHello ever comes: the server closes once smtp.tls.handshakeTimeoutMs has passed.
            assertThat(client.reply()).isNull();
            assertThat(fixture.server().tls().handshakeTimeouts()).isEqualTo(1);
            assertThat(fixture.server().tls().handshakes()).isZero();
        }
    }

    @Test
    void aClientThatTrustsAnotherCertificateFailsTheHandshakeAndItIsCounted() throws Exception
    {
        final SSLContext stranger = new PemCertificates(dir.resolve("..").normalize()).clientContext();
        try (IngressFixture fixture = IngressFixture.startWithTls(dir, tls());
             SmtpTestClient client = greeted(fixture))
        {
            try
            {
                client.startTls(stranger);
                throw new AssertionError("the handshake should fail: the client trusts no certificate");
            }
            catch (final javax.net.ssl.SSLException expected)
            {
                // The client refuses the server's certificate.
            }
            SpoolAwait.until(() -> fixture.server().tls().handshakeFailures() == 1);
        }
    }
}
