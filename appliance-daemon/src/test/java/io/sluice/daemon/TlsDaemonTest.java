package io.sluice.daemon;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import javax.management.MBeanServerConnection;
import javax.management.RuntimeMBeanException;
import javax.management.remote.JMXConnector;

import io.sluice.control.ConsoleClient;
import io.sluice.control.ControlPlane;
import io.sluice.ingress.SmtpTestClient;
import io.sluice.ingress.tls.PemCertificates;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole daemon with a certificate: STARTTLS on {@code smtp.listen}, implicit TLS on {@code submission.tlsListen},
 * the operator's reload over the local console refusing a bad pair with its reason; a bad pair at start is a
 * configuration error naming the key and the file.
 */
class TlsDaemonTest
{
    @TempDir
    Path dir;

    private PemCertificates certificates;
    private PemCertificates.Pair served;

    @BeforeEach
    void makeCertificate() throws Exception
    {
        certificates = new PemCertificates(dir);
        served = certificates.valid("daemon.sluice.test");
    }

    private Map<String, String> settings(final PemCertificates.Pair pair)
    {
        final Map<String, String> settings = new HashMap<>(Map.of(
            "spool.directory", dir.resolve("spool").toString(),
            "smtp.listen", "127.0.0.1:0",
            "relay.domains", "relay.test",
            "smtp.tls.certificate", pair.certificateFile().toString(),
            "smtp.tls.key", pair.keyFile().toString()));
        settings.put("submission.tlsListen", "127.0.0.1:0");
        settings.put("metrics.listen", "127.0.0.1:0");
        return settings;
    }

    @Test
    void servesStartTlsAndImplicitTlsAndTheOperatorReloadsOverTheConsole() throws Exception
    {
        final PemCertificates.Pair expired = certificates.expired("expired.sluice.test");
        final PemCertificates.Pair renewed = certificates.valid("renewed.sluice.test");
        try (SluiceDaemon daemon = SluiceDaemon.start(SluiceDaemon.Configuration.of(DaemonSettings.load(null, settings(served))));
             JMXConnector console = ConsoleClient.connect(ConsoleClient.socketOf(dir.resolve("spool"))))
        {
            try (SmtpTestClient client = SmtpTestClient.connect(daemon.smtp().localAddress()))
            {
                expect(client.reply(), "220");
                assertThat(client.command("EHLO client.example")).contains("250-STARTTLS");
                assertThat(served.isPresentedAs(client.startTls(certificates.clientContext()).getPeerCertificates()[0])).isTrue();
                expect(client.command("EHLO client.example"), "250");
                expect(client.sendMessage("a@outside.test", "b@relay.test", "Subject: t\r\n\r\nhello"), "250 2.0.0 Ok");
            }
            try (SmtpTestClient client = SmtpTestClient.connectTls(daemon.smtp().localAddress("submissions"),
                certificates.clientContext()))
            {
                expect(client.reply(), "220");
                expect(client.command("EHLO client.example"), "250");
                assertThat(client.command("MAIL FROM:<a@outside.test>")).isEqualTo("530 5.7.0 Authentication required");
            }

            final MBeanServerConnection mbeans = console.getMBeanServerConnection();
            assertThat(mbeans.getAttribute(ControlPlane.name("Tls"), "Subject")).isEqualTo("CN=daemon.sluice.test");
            assertThat(mbeans.getAttribute(ControlPlane.name("Tls"), "Handshakes")).isEqualTo(2L);
            expired.installAs(served);
            assertThatThrownBy(() -> mbeans.invoke(ControlPlane.name("Tls"), "reloadCertificate", new Object[0], new String[0]))
                .isInstanceOf(RuntimeMBeanException.class)
                .hasStackTraceContaining("reload refused: " + served.certificateFile() + ": the certificate expired on ")
                .hasStackTraceContaining("still serving CN=daemon.sluice.test");
            assertThat(mbeans.getAttribute(ControlPlane.name("Tls"), "ReloadFailures")).isEqualTo(1L);

            renewed.installAs(served);
            assertThat((String)mbeans.invoke(ControlPlane.name("Tls"), "reloadCertificate", new Object[0], new String[0]))
                .startsWith("serving CN=renewed.sluice.test from " + served.certificateFile());
            assertThat(mbeans.getAttribute(ControlPlane.name("Tls"), "Reloads")).isEqualTo(1L);

            final InetSocketAddress metrics = daemon.metrics().address();
            final String scrape = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + metrics.getPort() + "/metrics")).build(), BodyHandlers.ofString()).body();
            assertThat(scrape).contains("sluice_tls_handshakes_total 2.0", "sluice_tls_certificate_reloads_total 1.0",
                "sluice_tls_certificate_reload_failures_total 1.0",
                "sluice_tls_certificate_expiry_seconds "
                    + (double)renewed.certificate().getNotAfter().toInstant().getEpochSecond());
        }
    }

    @Test
    void aBadPairAtStartIsAConfigurationErrorNamingTheKeyAndTheFile() throws Exception
    {
        final PemCertificates.Pair other = certificates.valid("other.sluice.test");
        final Path spool = dir.resolve("spool");
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final PrintStream original = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try
        {
            assertThat(SluiceDaemon.run("--set", "spool.directory=" + spool,
                "--set", "smtp.tls.certificate=" + served.certificateFile(), "--set", "smtp.tls.key=" + other.keyFile()))
                .isEqualTo(SluiceDaemon.EXIT_CONFIG);
        }
        finally
        {
            System.setErr(original);
        }
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("smtp.tls.certificate=" + served.certificateFile())
            .contains(other.keyFile() + ": the key does not belong to the certificate in " + served.certificateFile());
        assertThat(spool).doesNotExist();
    }
}
