package io.sluice.ingress.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.Certificate;

import io.sluice.ingress.IngressFixture;
import io.sluice.ingress.SmtpTestClient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The certificate replaced without a restart, as a certbot renewal does it (new files moved into place): a good pair
 * is served to the next connections; an expired or mismatched one is refused, counted, and the old pair stays.
 */
class CertificateReloadTest
{
    @TempDir
    Path dir;

    private PemCertificates certificates;
    private PemCertificates.Pair served;

    @BeforeEach
    void makeCertificate() throws Exception
    {
        certificates = new PemCertificates(dir);
        served = certificates.valid("first.sluice.test");
    }

    private IngressFixture start()
    {
        return IngressFixture.startWithTls(dir, served.settings());
    }

    private Certificate presented(final IngressFixture fixture) throws Exception
    {
        try (SmtpTestClient client = SmtpTestClient.connect(fixture.address()))
        {
            SmtpTestClient.expect(client.reply(), "220");
            SmtpTestClient.expect(client.command("EHLO client.example"), "250");
            final Certificate certificate = client.startTls(certificates.clientContext()).getPeerCertificates()[0];
            SmtpTestClient.expect(client.command("QUIT"), "221");
            return certificate;
        }
    }

    @Test
    void aRenewedPairIsServedToNewConnectionsOnceItsFilesChange() throws Exception
    {
        final PemCertificates.Pair renewed = certificates.valid("renewed.sluice.test");
        try (IngressFixture fixture = start())
        {
            final ServerTlsContext tls = fixture.server().tls();
            assertThat(tls.reloadIfChanged()).as("nothing changed yet").isFalse();
            assertThat(served.isPresentedAs(presented(fixture))).isTrue();

            renewed.installAs(served);
            assertThat(tls.reloadIfChanged()).isTrue();
            assertThat(tls.reloadIfChanged()).as("read once per change").isFalse();

            assertThat(renewed.isPresentedAs(presented(fixture))).isTrue();
            assertThat(tls.reloads()).isEqualTo(1);
            assertThat(tls.reloadFailures()).isZero();
            assertThat(tls.current().subject()).isEqualTo("CN=renewed.sluice.test");
        }
    }

    @Test
    void anExpiredPairIsRefusedNamingTheFileAndTheOldOneStays() throws Exception
    {
        final PemCertificates.Pair expired = certificates.expired("expired.sluice.test");
        try (IngressFixture fixture = start())
        {
            final ServerTlsContext tls = fixture.server().tls();
            expired.installAs(served);
            assertThat(tls.reloadIfChanged()).isFalse();
            assertThat(tls.lastFailure()).startsWith(served.certificateFile() + ": the certificate expired on ");
            assertThat(tls.reloadFailures()).isEqualTo(1);
            assertThat(tls.reloadIfChanged()).as("a bad pair is reported once, not at every look").isFalse();
            assertThat(tls.reloadFailures()).isEqualTo(1);
            assertThat(served.isPresentedAs(presented(fixture))).isTrue();
        }
    }

    @Test
    void aKeyThatIsNotTheCertificatesIsRefusedAndTheOldPairStays() throws Exception
    {
        final PemCertificates.Pair other = certificates.valid("other.sluice.test");
        final PemCertificates.Pair third = certificates.valid("third.sluice.test");
        try (IngressFixture fixture = start())
        {
            final ServerTlsContext tls = fixture.server().tls();
            // A renewal caught half-way: the new certificate with some other key.
            new PemCertificates.Pair(other.certificateFile(), third.keyFile(), other.certificate()).installAs(served);
            assertThat(tls.reload()).isFalse();
            assertThat(tls.lastFailure())
                .isEqualTo(served.keyFile() + ": the key does not belong to the certificate in " + served.certificateFile());
            assertThat(served.isPresentedAs(presented(fixture))).isTrue();

            // The key arrives: the next look serves the renewed pair.
            new PemCertificates.Pair(other.certificateFile(), other.keyFile(), other.certificate()).installAs(served);
            assertThat(tls.reloadIfChanged()).isTrue();
            assertThat(tls.lastFailure()).isEmpty();
            assertThat(other.isPresentedAs(presented(fixture))).isTrue();
            assertThat(tls.reloads()).isEqualTo(1);
            assertThat(tls.reloadFailures()).isEqualTo(1);
        }
    }

    @Test
    void aFileThatIsNoPemIsRefusedNamingIt() throws Exception
    {
        try (IngressFixture fixture = start())
        {
            Files.writeString(served.keyFile(), "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n");
            assertThat(fixture.server().tls().reloadIfChanged()).isFalse();
            assertThat(fixture.server().tls().lastFailure()).isEqualTo(served.keyFile() + ": expected a PEM PKCS#8 key "
                + "(-----BEGIN PRIVATE KEY-----), found a PKCS#1 or SEC1 key; convert it with `openssl pkcs8 -topk8 -nocrypt`");
        }
    }
}
