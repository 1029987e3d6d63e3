package io.sluice.control;

import io.sluice.ingress.tls.ServerTlsContext;

/**
 * The listeners' certificate over JMX. Registered whether or not a certificate is configured, so consoles always find
 * it; without one, its attributes are empty and a reload is refused saying so.
 */
public final class TlsControl implements TlsControlMXBean
{
    private final ServerTlsContext tls;

    /** @param tls the listeners' certificate, or null when none is configured. */
    public TlsControl(final ServerTlsContext tls)
    {
        this.tls = tls;
    }

    @Override
    public String getCertificateFile()
    {
        return tls == null ? "" : tls.certificateFile().toString();
    }

    @Override
    public String getSubject()
    {
        return tls == null ? "" : tls.current().subject();
    }

    @Override
    public String getNotAfter()
    {
        return tls == null ? "" : tls.current().notAfter().toString();
    }

    @Override
    public long getReloads()
    {
        return tls == null ? 0 : tls.reloads();
    }

    @Override
    public long getReloadFailures()
    {
        return tls == null ? 0 : tls.reloadFailures();
    }

    @Override
    public String getLastReloadFailure()
    {
        return tls == null ? "" : tls.lastFailure();
    }

    @Override
    public long getHandshakes()
    {
        return tls == null ? 0 : tls.handshakes();
    }

    @Override
    public long getHandshakeFailures()
    {
        return tls == null ? 0 : tls.handshakeFailures();
    }

    @Override
    public long getHandshakeTimeouts()
    {
        return tls == null ? 0 : tls.handshakeTimeouts();
    }

    @Override
    public long getClearTextInjections()
    {
        return tls == null ? 0 : tls.clearTextInjections();
    }

    @Override
    public String reloadCertificate()
    {
        if (tls == null)
        {
            throw new IllegalStateException("no certificate is configured: set smtp.tls.certificate and smtp.tls.key");
        }
        if (!tls.reload())
        {
            throw new IllegalArgumentException("reload refused: " + tls.lastFailure() + "; still serving "
                + tls.current().subject() + ", valid until " + tls.current().notAfter());
        }
        return "serving " + tls.current().subject() + " from " + tls.certificateFile() + ", valid until "
            + tls.current().notAfter();
    }
}
