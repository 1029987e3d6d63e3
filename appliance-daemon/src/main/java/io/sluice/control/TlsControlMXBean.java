package io.sluice.control;

/** The listeners' certificate: which one is served, its reloads, the handshakes; and reloading it now. */
@Description("The listeners' TLS certificate (smtp.tls.certificate): what is served, reloads, handshakes")
@Requires(Role.OPERATOR)
public interface TlsControlMXBean
{
    @Description("The certificate file, or empty when no certificate is configured (no STARTTLS, no implicit TLS)")
    String getCertificateFile();

    @Description("The served certificate's subject, e.g. CN=mx.example.net")
    String getSubject();

    @Description("When the served certificate expires (ISO-8601 UTC)")
    String getNotAfter();

    @Description("New pairs taken since the start, from a file change or reloadCertificate")
    long getReloads();

    @Description("New pairs refused (unreadable, key not the certificate's, expired); the old pair stayed in use")
    long getReloadFailures();

    @Description("Why the last reload was refused; empty when the last one succeeded")
    String getLastReloadFailure();

    @Description("TLS handshakes completed (STARTTLS and implicit TLS)")
    long getHandshakes();

    @Description("TLS handshakes that failed (client refused the certificate, no common protocol or cipher, garbage)")
    long getHandshakeFailures();

    @Description("TLS handshakes not done within smtp.tls.handshakeTimeoutMs; the connection was closed")
    long getHandshakeTimeouts();

    @Description("Sessions ended because commands followed STARTTLS in clear text (CVE-2011-0411 probes)")
    long getClearTextInjections();

    @Description("Reads the certificate and key files again now and serves them if they are a valid pair; refused"
        + " (with the reason) otherwise, and the pair in use stays")
    String reloadCertificate();
}
