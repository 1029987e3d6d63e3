package io.sluice.ingress.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.file.Path;

import io.sluice.ingress.IngressFixture;
import io.sluice.ingress.SmtpTestClient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The submission listeners beside {@code smtp.listen}: port 587 style with STARTTLS, port 465 style with TLS from the
 * first byte; both refuse MAIL until the client has authenticated, while the SMTP listener takes it as before.
 */
class SubmissionListenersTest
{
    @TempDir
    Path dir;

    private PemCertificates certificates;
    private TlsContext tls;

    @BeforeEach
    void makeCertificate() throws Exception
    {
        certificates = new PemCertificates(dir);
        final PemCertificates.Pair pair = certificates.valid("submit.sluice.test");
        tls = pair.settings().submissionListen(new InetSocketAddress("127.0.0.1", 0))
            .submissionTlsListen(new InetSocketAddress("127.0.0.1", 0));
    }

    @Test
    void submissionOffersStartTlsAndRefusesMailWithoutAuthentication() throws Exception
    {
        try (IngressFixture fixture = IngressFixture.startWithTls(dir, tls);
             SmtpTestClient client = SmtpTestClient.connect(fixture.server().localAddress("submission")))
        {
            SmtpTestClient.expect(client.reply(), "220");
            assertThat(client.command("EHLO client.example")).contains("250-STARTTLS");
            assertThat(client.command("MAIL FROM:<a@outside.test>")).isEqualTo("530 5.7.0 Authentication required");
            client.startTls(certificates.clientContext());
            SmtpTestClient.expect(client.command("EHLO client.example"), "250");
            assertThat(client.command("MAIL FROM:<a@outside.test>")).isEqualTo("530 5.7.0 Authentication required");
        }
    }

    @Test
    void implicitTlsListenerHandshakesFirstThenRefusesMailWithoutAuthentication() throws Exception
    {
        try (IngressFixture fixture = IngressFixture.startWithTls(dir, tls);
             SmtpTestClient client = SmtpTestClient.connectTls(fixture.server().localAddress("submissions"),
                 certificates.clientContext()))
        {
            SmtpTestClient.expect(client.reply(), "220 sluice.test ESMTP");
            assertThat(client.command("EHLO client.example")).startsWith("250-").doesNotContain("STARTTLS");
            assertThat(client.command("MAIL FROM:<a@outside.test>")).isEqualTo("530 5.7.0 Authentication required");
            assertThat(fixture.server().tls().handshakes()).isEqualTo(1);
        }
    }

    @Test
    void theSmtpListenerBesideThemStillTakesMailWithoutAuthentication() throws Exception
    {
        try (IngressFixture fixture = IngressFixture.startWithTls(dir, tls);
             SmtpTestClient client = SmtpTestClient.connect(fixture.address()))
        {
            SmtpTestClient.expect(client.reply(), "220");
            SmtpTestClient.expect(client.command("EHLO client.example"), "250");
            SmtpTestClient.expect(client.sendMessage("a@outside.test", "b@relay.test", "Subject: s\r\n\r\nx"), "250 2.0.0 Ok");
        }
    }

    @Test
    void anImplicitTlsClientThatNeverHandshakesIsClosedAtTheTimeout() throws Exception
    {
        try (IngressFixture fixture = IngressFixture.startWithTls(dir, tls.handshakeTimeoutMs(200));
             SmtpTestClient client = SmtpTestClient.connect(fixture.server().localAddress("submissions")))
        {
            // Neither a ClientHello nor a greeting: the greeting waits for a handshake that never comes.
            assertThat(client.reply()).isNull();
            assertThat(fixture.server().tls().handshakeTimeouts()).isEqualTo(1);
        }
    }
}
