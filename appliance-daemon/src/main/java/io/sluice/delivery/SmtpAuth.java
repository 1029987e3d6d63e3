package io.sluice.delivery;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.smtp.SmtpCommand;
import io.sluice.drain.SmtpReply;

/**
 * SMTP AUTH (RFC 4954) on one {@link SmtpConnection}, for a route with credentials: PLAIN if the server offers it,
 * else LOGIN; never over a clear connection unless the route allows it ({@code allowPlaintextAuth}). Refused
 * credentials, or a server that offers neither mechanism, end the session before any MAIL
 * ({@link SmtpConnection#refuse}), so the route hears why.
 *
 * <p>Threads: confined to its connection's event loop.
 */
final class SmtpAuth
{
    private final SmtpConnection connection;
    private final RouteSecurity security;

    SmtpAuth(final SmtpConnection connection, final RouteSecurity security)
    {
        this.connection = connection;
        this.security = security;
    }

    /** @param secured whether the connection runs over TLS. */
    void begin(final boolean secured)
    {
        if (!secured && !security.allowPlaintextAuth())
        {
            connection.counters().increment(DeliveryCounter.AUTH_FAILURES);
            connection.refuse(SmtpReply.routeProblem("4.7.11", "not sending the password of " + security.username()
                + " to " + connection.peer() + " over a clear connection (no STARTTLS; "
                + connection.key(RouteSecurity.ALLOW_PLAINTEXT_AUTH_SUFFIX) + "=false)"));
            return;
        }
        final String offered = " " + connection.extensions().parameters("AUTH").toUpperCase(Locale.ROOT) + " ";
        connection.state(SmtpConnection.State.AUTHENTICATING);
        final long timeoutMs = connection.context().commandTimeoutMs();
        if (offered.contains(" PLAIN "))
        {
            final String response = base64("\0" + security.username() + "\0" + security.password());
            connection.command(SmtpCommand.AUTH, "PLAIN", response);
            connection.flush();
            connection.expect("AUTH PLAIN", timeoutMs, this::onAuthenticated);
        }
        else if (offered.contains(" LOGIN "))
        {
            connection.command(SmtpCommand.AUTH, "LOGIN");
            connection.flush();
            connection.expect("AUTH LOGIN", timeoutMs, reply -> onLoginChallenge(reply, security.username(), false));
        }
        else
        {
            connection.counters().increment(DeliveryCounter.AUTH_FAILURES);
            connection.refuse(SmtpReply.routeProblem("4.7.0", connection.peer() + (offered.isBlank()
                ? " does not offer AUTH" : " offers AUTH" + offered + "but neither PLAIN nor LOGIN") + ", and "
                + connection.key(RouteSecurity.USERNAME_SUFFIX) + " is set"));
        }
    }

    /** AUTH LOGIN: the server asks (334) for the user name, then the password, each sent base64 on a line of its own. */
    private void onLoginChallenge(final UpstreamReply reply, final String answer, final boolean last)
    {
        if (reply.code() != 334)
        {
            refused(reply);
            return;
        }
        connection.channel().writeAndFlush(Unpooled.copiedBuffer(base64(answer) + "\r\n", StandardCharsets.US_ASCII));
        connection.expect("AUTH LOGIN", connection.context().commandTimeoutMs(),
            last ? this::onAuthenticated : next -> onLoginChallenge(next, security.password(), true));
    }

    private void onAuthenticated(final UpstreamReply reply)
    {
        if (reply.code() != 235)
        {
            refused(reply);
            return;
        }
        connection.counters().increment(DeliveryCounter.AUTHENTICATED);
        connection.ready();
    }

    private void refused(final UpstreamReply reply)
    {
        connection.counters().increment(DeliveryCounter.AUTH_FAILURES);
        connection.refuse(SmtpReply.routeProblem("4.7.8", "authentication as " + security.username() + " to "
            + connection.peer() + " refused: " + reply + " (" + connection.key(RouteSecurity.USERNAME_SUFFIX) + ", "
            + connection.key(RouteSecurity.PASSWORD_FILE_SUFFIX) + ")"));
    }

    private static String base64(final String text)
    {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
