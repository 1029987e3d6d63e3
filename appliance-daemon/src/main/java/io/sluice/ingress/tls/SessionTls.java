package io.sluice.ingress.tls;

import javax.net.ssl.SSLSession;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;

/**
 * One connection's TLS: whether STARTTLS is offered or required on it, starting it, and its state, read from the
 * pipeline: secure once a TLS handshake has completed, whether after STARTTLS or from the first byte on the
 * implicit-TLS listener. What AUTH asks before it takes a password, and what the {@code Received:} header records
 * (RFC 3848).
 */
public final class SessionTls
{
    /** The pipeline name the TLS handler takes, first, before every SMTP handler. */
    public static final String HANDLER_NAME = "tls";

    /** How a STARTTLS command went. */
    public enum Start
    {
        /** The handler is in place: answer {@code 220}, which still leaves in clear text, then the handshake. */
        STARTED,
        /** This listener has no STARTTLS (or no certificate): the command is unknown here. */
        NOT_OFFERED,
        /** TLS is on already (RFC 3207 section 4.2: no second STARTTLS). */
        ALREADY_ACTIVE,
        /** Commands followed STARTTLS in clear text (CVE-2011-0411): they are discarded and the session ends. */
        CLEAR_TEXT_BEHIND
    }

    private final Channel channel;
    private final TlsMode startTls;
    private final ServerTlsContext server;

    /**
     * @param startTls the listener's STARTTLS mode ({@link TlsMode#OFF} on the implicit-TLS listener).
     * @param server   the listeners' certificate, or null when none is configured.
     */
    public SessionTls(final Channel channel, final TlsMode startTls, final ServerTlsContext server)
    {
        this.channel = channel;
        this.startTls = startTls;
        this.server = server;
    }

    /** @return true while STARTTLS is advertised and accepted: on a listener that has it, until TLS is started. */
    public boolean offered()
    {
        return startTls != TlsMode.OFF && server != null && !started();
    }

    /** @return true when MAIL must wait for STARTTLS ({@code smtp.tls.mode=require}, not yet encrypted). */
    public boolean required()
    {
        return startTls == TlsMode.REQUIRE && !secure();
    }

    /**
     * Starts TLS after a STARTTLS command, unless the client wrote more behind it in clear text.
     *
     * @param clearTextBehind bytes or commands the client sent after the STARTTLS line, not yet read as commands.
     * @param onSecure        run on the event loop once the handshake has completed.
     */
    public Start start(final boolean clearTextBehind, final Runnable onSecure)
    {
        if (!offered())
        {
            return started() ? Start.ALREADY_ACTIVE : Start.NOT_OFFERED;
        }
        if (clearTextBehind)
        {
            server.clearTextInjection();
            return Start.CLEAR_TEXT_BEHIND;
        }
        StartTlsUpgrade.insert(channel.pipeline(), server, onSecure);
        return Start.STARTED;
    }

    /** @return true once this connection's TLS handshake has completed: every byte since is encrypted. */
    public boolean secure()
    {
        final SslHandler handler = channel.pipeline().get(SslHandler.class);
        return handler != null && handler.handshakeFuture().isSuccess();
    }

    /** @return true while a TLS handler is in the pipeline, its handshake done or not: no second STARTTLS. */
    public boolean started()
    {
        return channel.pipeline().get(SslHandler.class) != null;
    }

    /** @return the negotiated protocol, e.g. {@code TLSv1.3}, or null before the handshake completed. */
    public String protocol()
    {
        final SSLSession session = session();
        return session == null ? null : session.getProtocol();
    }

    /** @return the negotiated cipher suite, e.g. {@code TLS_AES_128_GCM_SHA256}, or null before the handshake. */
    public String cipherSuite()
    {
        final SSLSession session = session();
        return session == null ? null : session.getCipherSuite();
    }

    /**
     * @return the comment the {@code Received:} header carries for a TLS session, as Postfix words it
     *         ({@code (using TLSv1.3 with cipher TLS_AES_128_GCM_SHA256)}), or empty in clear text.
     */
    public String receivedComment()
    {
        final SSLSession session = session();
        return session == null ? "" : "(using " + session.getProtocol() + " with cipher " + session.getCipherSuite() + ")";
    }

    private SSLSession session()
    {
        final SslHandler handler = channel.pipeline().get(SslHandler.class);
        if (handler == null || !handler.handshakeFuture().isSuccess())
        {
            return null;
        }
        return handler.engine().getSession();
    }
}
