package io.sluice.ingress.tls;

import javax.net.ssl.SSLSession;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;

/**
 * One connection's TLS state, read from its pipeline: secure once a TLS handshake has completed on it, whether
 * after STARTTLS or from the first byte on the implicit-TLS listener. What AUTH asks before it takes a password
 * in the clear, and what the {@code Received:} header records (RFC 3848).
 */
public final class SessionTls
{
    /** The pipeline name the TLS handler takes, first, before every SMTP handler. */
    public static final String HANDLER_NAME = "tls";

    private final Channel channel;

    public SessionTls(final Channel channel)
    {
        this.channel = channel;
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
