package io.sluice.ingress.tls;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import io.sluice.config.Setting;

/**
 * The listeners' TLS and the submission listeners: each key declared once with its default, checked in
 * {@link #conclude()} with errors naming the key.
 *
 * <p>{@code smtp.tls.mode}'s default depends on another key: like every derived default in the reference, it is
 * declared as the empty value with {@link Setting.Builder#derivedFrom}, and {@link #mode()} resolves it ({@code offer}
 * once {@code smtp.tls.certificate} is set, else {@code off}). So a certificate alone turns STARTTLS on, and an
 * explicit {@code off} still turns it off.
 */
public final class TlsContext
{
    private static final Set<String> MODES = Set.of("", "off", "offer", "require");

    public static final Setting<String> CERTIFICATE = Setting.ofString("smtp.tls.certificate", "")
        .expecting("a PEM file: the server certificate, then its intermediates; empty for no TLS")
        .doc("The listeners' certificate chain (PEM), e.g. certbot's `fullchain.pem`. Read again when it changes.")
        .build();
    public static final Setting<String> KEY = Setting.ofString("smtp.tls.key", "")
        .expecting("a PEM PKCS#8 key file (`BEGIN PRIVATE KEY`); set with `smtp.tls.certificate`")
        .doc("The certificate's private key, PEM PKCS#8, unencrypted (certbot's `privkey.pem`). Read again when it "
            + "changes.")
        .build();
    public static final Setting<String> MODE = Setting.ofString("smtp.tls.mode", "")
        .check(m -> MODES.contains(m.trim().toLowerCase(Locale.ROOT)), "off, offer or require")
        .derivedFrom("`offer` when `smtp.tls.certificate` is set, else `off`")
        .doc("STARTTLS on `smtp.listen` (RFC 3207): `offer` it, `require` it before MAIL (`530 5.7.0`), or `off`.")
        .build();
    /** Long enough for a slow client over a long path, short enough that a stalled handshake frees its slot soon. */
    public static final Setting<Long> HANDSHAKE_TIMEOUT_MS = Setting.ofLong("smtp.tls.handshakeTimeoutMs", 10_000)
        .range(100, 300_000)
        .doc("A TLS handshake not done by then closes the connection (counted as a handshake timeout).")
        .build();
    public static final Setting<String> SUBMISSION_LISTEN = Setting.ofString("submission.listen", "")
        .expecting("address:port, or empty for none")
        .doc("Message submission (port 587 style, RFC 6409): STARTTLS offered, AUTH required before MAIL. Off "
            + "when empty.")
        .build();
    public static final Setting<String> SUBMISSION_TLS_LISTEN = Setting.ofString("submission.tlsListen", "")
        .expecting("address:port, or empty for none")
        .checkedWith("needs `smtp.tls.certificate`")
        .doc("Submission over implicit TLS (port 465 style, RFC 8314): TLS from the first byte, AUTH required. "
            + "Off when empty.")
        .build();

    /** Every declaration above, in the order the configuration reference lists them. */
    public static final List<Setting<?>> SETTINGS = List.of(CERTIFICATE, KEY, MODE, HANDSHAKE_TIMEOUT_MS, SUBMISSION_LISTEN,
        SUBMISSION_TLS_LISTEN);

    private String certificate = CERTIFICATE.defaultValue();
    private String key = KEY.defaultValue();
    private String mode = MODE.defaultValue();
    private long handshakeTimeoutMs = HANDSHAKE_TIMEOUT_MS.defaultValue();
    /** Null when off; the daemon parses the text as {@code smtp.listen}'s, naming its own key. */
    private InetSocketAddress submissionListen;
    private InetSocketAddress submissionTlsListen;

    /** Checks the values together; the files themselves are read when the listeners start. */
    public TlsContext conclude()
    {
        if (certificate.isBlank() != key.isBlank())
        {
            throw (certificate.isBlank() ? CERTIFICATE : KEY).invalid("", "set together with "
                + (certificate.isBlank() ? KEY : CERTIFICATE));
        }
        MODE.validate(mode);
        if (!configured() && mode() != TlsMode.OFF)
        {
            throw MODE.invalid(mode, "off unless " + CERTIFICATE + " is set");
        }
        HANDSHAKE_TIMEOUT_MS.validate(handshakeTimeoutMs);
        if (submissionTlsListen != null && !configured())
        {
            throw SUBMISSION_TLS_LISTEN.invalid(submissionTlsListen, "empty unless " + CERTIFICATE + " is set");
        }
        return this;
    }

    /** @return true when a certificate and key are set. */
    public boolean configured()
    {
        return !certificate.isBlank();
    }

    /** @return the STARTTLS mode of {@code smtp.listen}, the empty default resolved. */
    public TlsMode mode()
    {
        if (mode.isBlank())
        {
            return configured() ? TlsMode.OFFER : TlsMode.OFF;
        }
        return TlsMode.valueOf(mode.trim().toUpperCase(Locale.ROOT));
    }

    public TlsContext mode(final String mode)
    {
        this.mode = mode;
        return this;
    }

    public TlsContext certificate(final String certificate)
    {
        this.certificate = certificate;
        return this;
    }

    public Path certificate()
    {
        return Path.of(certificate);
    }

    public TlsContext key(final String key)
    {
        this.key = key;
        return this;
    }

    public Path key()
    {
        return Path.of(key);
    }

    public TlsContext handshakeTimeoutMs(final long handshakeTimeoutMs)
    {
        this.handshakeTimeoutMs = handshakeTimeoutMs;
        return this;
    }

    public long handshakeTimeoutMs()
    {
        return handshakeTimeoutMs;
    }

    /** @param submissionListen the port 587 style listener's address, or null for none. */
    public TlsContext submissionListen(final InetSocketAddress submissionListen)
    {
        this.submissionListen = submissionListen;
        return this;
    }

    /** @return the port 587 style listener's address, or null when there is none. */
    public InetSocketAddress submissionListen()
    {
        return submissionListen;
    }

    /** @param submissionTlsListen the port 465 style listener's address, or null for none. */
    public TlsContext submissionTlsListen(final InetSocketAddress submissionTlsListen)
    {
        this.submissionTlsListen = submissionTlsListen;
        return this;
    }

    /** @return the port 465 style listener's address, or null when there is none. */
    public InetSocketAddress submissionTlsListen()
    {
        return submissionTlsListen;
    }
}
