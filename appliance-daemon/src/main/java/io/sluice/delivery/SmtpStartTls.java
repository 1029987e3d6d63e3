package io.sluice.delivery;

import io.netty.handler.codec.smtp.SmtpCommand;
import io.netty.handler.ssl.SslHandler;
import io.sluice.drain.SmtpReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * STARTTLS (RFC 3207) on one {@link SmtpConnection}: asks for it after EHLO when the route wants TLS and the server
 * offers it, puts a Netty {@link SslHandler} (JDK provider) at the head of the pipeline, and says EHLO again, since
 * what the server offers may change. With {@code tls=required} the connection is never used in clear: a server that
 * does not offer STARTTLS or refuses it ends the session before any MAIL ({@link SmtpConnection#refuse}); a failed
 * handshake ends it as a failure of the {@code SECURING} state. An opportunistic route whose server declines goes on
 * in clear.
 *
 * <p>Threads: confined to its connection's event loop.
 */
final class SmtpStartTls
{
    /** The connection's own log category: one session, one place to read it. */
    private static final Logger LOG = LoggerFactory.getLogger(SmtpConnection.class);

    private final SmtpConnection connection;
    private final boolean wanted;
    private final boolean required;
    private boolean secured;
    private boolean declined;

    /**
     * @param wanted   whether to ask for STARTTLS at all.
     * @param required whether the route's {@code tls} is {@code required}: then a session without TLS is refused.
     */
    SmtpStartTls(final SmtpConnection connection, final boolean wanted, final boolean required)
    {
        this.connection = connection;
        this.wanted = wanted || required;
        this.required = required;
    }

    /** @return true once the TLS handshake has succeeded. */
    boolean isSecured()
    {
        return secured;
    }

    /**
     * After EHLO/HELO: sends STARTTLS if it is wanted, offered and not done or declined yet.
     *
     * @return true if the session now waits for the reply to STARTTLS or was refused for want of it; false if it goes
     *         on as it is (already secured, not wanted, declined, or opportunistic and not offered).
     */
    boolean begin()
    {
        if (secured || !wanted || declined)
        {
            return false;
        }
        if (connection.extensions().offers("STARTTLS"))
        {
            connection.state(SmtpConnection.State.SECURING);
            connection.command(SmtpCommand.valueOf("STARTTLS"));
            connection.flush();
            connection.expect("STARTTLS", connection.context().commandTimeoutMs(), this::onReply);
            return true;
        }
        if (required)
        {
            connection.counters().increment(DeliveryCounter.TLS_FAILURES);
            connection.refuse(SmtpReply.routeProblem("4.7.10", connection.peer() + " does not offer STARTTLS;"
                + " nothing sent in clear (" + connection.key(RouteSecurity.TLS_SUFFIX) + "=required)"));
            return true;
        }
        return false;
    }

    private void onReply(final UpstreamReply reply)
    {
        if (reply.code() != 220)
        {
            if (required)
            {
                connection.counters().increment(DeliveryCounter.TLS_FAILURES);
                connection.refuse(SmtpReply.routeProblem("4.7.10", connection.peer() + " answered STARTTLS with " + reply
                    + "; nothing sent in clear (" + connection.key(RouteSecurity.TLS_SUFFIX) + "=required)"));
                return;
            }
            // Opportunistic: the session goes on in clear, as it was.
            LOG.debug("{} declined STARTTLS: {}", connection.peer(), reply);
            declined = true;
            connection.afterHello();
            return;
        }
        final SmtpReplyDecoder decoder = connection.channel().pipeline().get(SmtpReplyDecoder.class);
        if (decoder != null && decoder.hasBufferedBytes())
        {
            // RFC 3207 §4: bytes after the 220 in clear text would be read as if they came over TLS (command injection).
            connection.fail(connection.peer() + " sent data after its 220 to STARTTLS, before the TLS handshake");
            return;
        }
        handshake();
    }

    private void handshake()
    {
        final RouteTarget.Smtp target = connection.target();
        final SslHandler tls = connection.security().sslContext()
            .newHandler(connection.channel().alloc(), target.host(), target.port());
        tls.setHandshakeTimeoutMillis(connection.context().commandTimeoutMs());
        connection.channel().pipeline().addFirst("tls", tls);
        tls.handshakeFuture().addListener(f ->
        {
            if (connection.state() != SmtpConnection.State.SECURING)
            {
                return;
            }
            if (!f.isSuccess())
            {
                connection.fail("TLS handshake with " + connection.peer() + " failed: " + SmtpConnection.describe(f.cause()));
                return;
            }
            secured = true;
            connection.counters().increment(DeliveryCounter.TLS_SESSIONS);
            LOG.debug("TLS with {}: {} {}", connection.peer(), tls.engine().getSession().getProtocol(),
                tls.engine().getSession().getCipherSuite());
            // RFC 3207 §4.2: forget what the server said before TLS and ask again.
            connection.ehlo("EHLO after STARTTLS");
        });
    }
}
