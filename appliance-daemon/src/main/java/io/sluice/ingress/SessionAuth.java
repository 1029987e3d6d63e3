package io.sluice.ingress;

import java.net.InetAddress;
import java.util.concurrent.CompletableFuture;

import io.sluice.admission.Decision;
import io.sluice.admission.Verdict;
import io.sluice.ingress.auth.AuthContext;
import io.sluice.ingress.auth.AuthCounter;
import io.sluice.ingress.auth.AuthExchange;
import io.sluice.ingress.auth.AuthUser;
import io.sluice.ingress.auth.Authenticator;

/**
 * One SMTP session's side of SMTP AUTH (RFC 4954): whether AUTH is offered, the exchange in progress, the check
 * pending off the loop, and the user once authenticated, with what that changes for the session's mail (its tenant,
 * relaying, the sender binding, the user's own bucket, the trace header and the mail log). The session asks it and
 * sends what it answers; all on the session's event loop.
 */
final class SessionAuth
{
    static final SmtpReply ALREADY_AUTHENTICATED = new SmtpReply("503 5.5.1 Already authenticated", false);
    static final SmtpReply NOT_IN_TRANSACTION =
        new SmtpReply("503 5.5.1 AUTH not permitted during a mail transaction", false);
    static final SmtpReply NOT_AVAILABLE = new SmtpReply("502 5.5.1 AUTH not available", false);
    /** The EHLO keyword (RFC 4954 section 3) with the mechanisms. */
    static final String KEYWORD = "AUTH " + AuthExchange.MECHANISMS;
    static final SmtpReply SENDER_NOT_OWNED =
        new SmtpReply("553 5.7.1 Sender address not owned by the authenticated user", false);

    /**
     * What to do after an AUTH line or a line of its exchange.
     *
     * @param reply   the reply to send now, or null when a check is pending
     * @param pending the password check running off the loop, or null
     */
    record Outcome(SmtpReply reply, CompletableFuture<Authenticator.Result> pending)
    {
        static Outcome now(final String reply)
        {
            return new Outcome(new SmtpReply(reply, false), null);
        }

        static Outcome now(final SmtpReply reply)
        {
            return new Outcome(reply, null);
        }
    }

    private final Authenticator authenticator;
    private AuthExchange exchange;
    private boolean checking;
    private AuthUser user;

    SessionAuth(final Authenticator authenticator)
    {
        this.authenticator = authenticator;
    }

    /** @return whether the EHLO reply lists {@link #KEYWORD}: AUTH is offered here and nobody authenticated yet. */
    boolean offered(final InetAddress client, final boolean underTls)
    {
        return user == null && authenticator.offers(client, underTls);
    }

    /** The AUTH command: refused, a challenge, or a check started. */
    Outcome command(final String argument, final InetAddress client, final boolean underTls, final boolean ehloDone,
        final boolean inTransaction)
    {
        if (!authenticator.isConfigured())
        {
            return Outcome.now(NOT_AVAILABLE);
        }
        if (!ehloDone)
        {
            return Outcome.now(SmtpReply.HELO_FIRST);
        }
        if (user != null)
        {
            return Outcome.now(ALREADY_AUTHENTICATED);
        }
        if (inTransaction)
        {
            return Outcome.now(NOT_IN_TRANSACTION);
        }
        if (!authenticator.offers(client, underTls))
        {
            authenticator.record(AuthCounter.CLEARTEXT_REFUSED);
            return Outcome.now(Authenticator.ENCRYPTION_REQUIRED);
        }
        if (authenticator.isLocked(client))
        {
            // Before any base64 is read or any hash computed: backing off costs us nothing.
            return Outcome.now(Authenticator.TEMPORARY_FAILURE);
        }
        return step(AuthExchange.start(argument), client);
    }

    /** @return whether the client's next line belongs to an exchange (it answered a {@code 334}). */
    boolean inExchange()
    {
        return exchange != null;
    }

    /** The client's line after a {@code 334}. */
    Outcome respond(final String line, final InetAddress client)
    {
        final AuthExchange current = exchange;
        exchange = null;
        return step(current.respond(line), client);
    }

    /** Ends an exchange the client broke off (a line too long). */
    void abandon()
    {
        exchange = null;
    }

    private Outcome step(final AuthExchange.Step step, final InetAddress client)
    {
        if (step.continues())
        {
            exchange = step.exchange();
            return Outcome.now(step.reply());
        }
        if (step.credentials() == null)
        {
            authenticator.record(AuthCounter.MALFORMED);
            return Outcome.now(step.reply());
        }
        checking = true;
        return new Outcome(null, authenticator.check(client, step.credentials()));
    }

    /**
     * Forgets the user and any exchange: after STARTTLS the server must discard what the client said in clear
     * (RFC 3207 section 4.2), an authentication included.
     */
    void forget()
    {
        exchange = null;
        user = null;
    }

    /** @return whether a password check is pending: the session's later commands wait for its reply. */
    boolean isChecking()
    {
        return checking;
    }

    /** The check's result, back on the loop: @return the reply to send. */
    SmtpReply checked(final Authenticator.Result result)
    {
        checking = false;
        user = result.user();
        return new SmtpReply(result.reply(), false);
    }

    /** @return the authenticated user, or null. */
    AuthUser user()
    {
        return user;
    }

    /** @return the tenant the session's mail belongs to: the user's once authenticated, else {@code tenant}. */
    String tenant(final String tenant)
    {
        return user == null ? tenant : user.tenant();
    }

    /**
     * At MAIL FROM of an authenticated session: the sender binding ({@code auth.senderBinding=domain}), then the
     * user's own bucket. @return the refusal, or null to go on.
     */
    SmtpReply refuseSender(final String sender)
    {
        if (user == null)
        {
            return null;
        }
        if (authenticator.context().senderBinding() == AuthContext.SenderBinding.DOMAIN && !user.ownsSender(sender))
        {
            authenticator.record(AuthCounter.SENDER_REFUSED);
            return SENDER_NOT_OWNED;
        }
        final long waitMs = authenticator.takeMessage(user);
        if (waitMs > 0)
        {
            return SmtpReply.refuseTransaction(new Decision(Verdict.RATE_LIMITED, waitMs,
                "user " + user.name() + " over its rate " + user.rate()));
        }
        return null;
    }

    /** @return the {@code Received:} header's comment naming the user, or empty. */
    String traceComment()
    {
        return user == null ? "" : "\r\n\t(authenticated as " + user.name() + ")";
    }

    /** @return the mail log's field naming the user, as Postfix names it, or empty. */
    String logField()
    {
        return user == null ? "" : ", sasl_username=" + user.name();
    }
}
