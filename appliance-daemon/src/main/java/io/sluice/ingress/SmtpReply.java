package io.sluice.ingress;

import java.util.List;

import io.sluice.admission.Decision;
import io.sluice.spool.AppendResult;

/**
 * Every reply the server sends, in one place, each with its RFC 3463 enhanced status code. Temporary trouble
 * is {@code 4xx} so the sending MTA keeps the mail and retries; only a definite verdict is {@code 5xx}.
 *
 * @param text  the full reply line(s) without the final CRLF
 * @param close whether the server closes the connection after sending it
 */
record SmtpReply(String text, boolean close)
{
    static final SmtpReply OK = of("250 2.0.0 Ok");
    static final SmtpReply SENDER_OK = of("250 2.1.0 Ok");
    static final SmtpReply RECIPIENT_OK = of("250 2.1.5 Ok");
    static final SmtpReply RESET_OK = of("250 2.0.0 Reset");
    static final SmtpReply VRFY = of("252 2.5.2 Cannot VRFY user, but will accept message and attempt delivery");
    static final SmtpReply HELP = of("214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP");
    static final SmtpReply START_DATA = of("354 End data with <CR><LF>.<CR><LF>");
    static final SmtpReply BYE = closing("221 2.0.0 Bye");

    static final SmtpReply LINE_TOO_LONG = of("500 5.5.2 Line too long");
    static final SmtpReply UNRECOGNIZED = of("500 5.5.2 Command unrecognized");
    static final SmtpReply SYNTAX = of("501 5.5.4 Syntax error in parameters or arguments");
    static final SmtpReply BAD_ADDRESS = of("501 5.1.3 Bad address syntax");
    static final SmtpReply BAD_SENDER_ADDRESS = of("501 5.1.7 Bad sender address syntax");
    static final SmtpReply UNKNOWN_PARAMETER = of("555 5.5.4 Unsupported MAIL or RCPT parameter");
    static final SmtpReply HELO_FIRST = of("503 5.5.1 Send EHLO or HELO first");
    static final SmtpReply NESTED_MAIL = of("503 5.5.1 Sender already given");
    static final SmtpReply MAIL_FIRST = of("503 5.5.1 Need MAIL command first");
    static final SmtpReply NO_VALID_RECIPIENTS = of("554 5.5.1 No valid recipients");
    static final SmtpReply TOO_MANY_RECIPIENTS = of("452 4.5.3 Too many recipients");
    static final SmtpReply SIZE_EXCEEDED = of("552 5.3.4 Message size exceeds fixed limit");
    static final SmtpReply RELAY_DENIED = of("554 5.7.1 Relay access denied");
    static final SmtpReply SPOOF_REFUSED = of("550 5.7.1 Sender address not accepted from this source");
    static final SmtpReply SENDER_BLOCKED = of("550 5.7.1 Sender address rejected: blocked by policy");
    static final SmtpReply RECIPIENT_UNKNOWN = of("550 5.1.1 Recipient address rejected: no such user here");
    static final SmtpReply BARE_NEWLINE =
        of("554 5.6.0 Bare CR or LF in message content is not allowed (RFC 5321 section 2.3.8)");
    static final SmtpReply UTF8_NOT_REQUESTED = of("553 5.6.7 Non-ASCII address needs the SMTPUTF8 parameter");

    /** RFC 3207 section 4: {@code smtp.tls.mode=require} and the client has not started TLS. */
    static final SmtpReply STARTTLS_FIRST = of("530 5.7.0 Must issue a STARTTLS command first");
    /** RFC 4954 section 6: the submission listeners take mail from authenticated clients only. */
    static final SmtpReply AUTHENTICATION_REQUIRED = of("530 5.7.0 Authentication required");

    /** The EHLO keyword (RFC 3207 section 4). */
    static final String STARTTLS_KEYWORD = "STARTTLS";
    static final SmtpReply READY_FOR_TLS = of("220 2.0.0 Ready to start TLS");
    static final SmtpReply TLS_ALREADY_ACTIVE = of("503 5.5.1 TLS already active");
    /** CVE-2011-0411: commands pipelined after STARTTLS in clear text are discarded unanswered, and the session ends. */
    static final SmtpReply CLEAR_TEXT_AFTER_STARTTLS =
        closing("554 5.5.1 Commands after STARTTLS before the TLS handshake are not allowed, closing connection");

    static final SmtpReply TOO_MANY_BAD_COMMANDS = closing("421 4.7.0 Too many errors, closing connection");
    static final SmtpReply TOO_MANY_COMMANDS = closing("421 4.7.0 Too many commands in one session, closing connection");
    static final SmtpReply TOO_MANY_CONNECTIONS = closing("421 4.7.0 Too many connections, try again later");
    static final SmtpReply IDLE_TIMEOUT = closing("421 4.4.2 Idle timeout, closing connection");
    static final SmtpReply DATA_TIMEOUT = closing("421 4.4.2 Message took too long to send, closing connection");
    static final SmtpReply SHUTTING_DOWN = closing("421 4.3.2 Service shutting down, try again later");
    static final SmtpReply PAUSED = closing("421 4.3.2 Service paused by the operator, try again later");
    static final SmtpReply PAUSED_TRANSACTION = of("452 4.3.1 Service paused by the operator, try again later");

    /**
     * The backlog at its hard limit: RFC 3463's 4.3.1 "mail system full" at MAIL FROM (4.3.2 "not accepting messages"
     * at connect), with the reason in words, so a sender's postmaster reads why without asking; no figures (the
     * backlog's size is the appliance's business).
     */
    static final SmtpReply BACKLOG_FULL = of("452 4.3.1 Spool backlog over its limit, try again later");
    static final SmtpReply BACKLOG_FULL_AT_CONNECT = closing("421 4.3.2 Spool backlog over its limit, try again later");

    private static SmtpReply of(final String text)
    {
        return new SmtpReply(text, false);
    }

    private static SmtpReply closing(final String text)
    {
        return new SmtpReply(text, true);
    }

    static SmtpReply greeting(final String hostname)
    {
        return of("220 " + hostname + " ESMTP Sluice");
    }

    /** @param extensions keywords this session offers beyond the fixed ones (STARTTLS while it may start TLS). */
    static SmtpReply ehlo(final String hostname, final String client, final long maxMessageBytes,
        final List<String> extensions)
    {
        final StringBuilder text = new StringBuilder(256).append("250-").append(hostname).append(" Hello ").append(client)
            .append("\r\n250-PIPELINING\r\n250-SIZE ").append(maxMessageBytes)
            .append("\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250-SMTPUTF8");
        for (final String extension : extensions)
        {
            text.append("\r\n250-").append(extension);
        }
        return of(text.append("\r\n250 HELP").toString());
    }

    static SmtpReply helo(final String hostname)
    {
        return of("250 " + hostname);
    }

    static SmtpReply queued(final String queueId)
    {
        return of("250 2.0.0 Ok: queued as " + queueId);
    }

    /**
     * @param verdict what recipient verification said; null (it failed) counts as no verdict.
     * @return the refusal of the recipient, or null to take it: only the upstream's refusal of the mailbox is a
     *         {@code 550}; no verdict is taken or tempfailed as the operator set.
     */
    static SmtpReply forVerdict(final RecipientVerification.Verdict verdict, final IngressContext context, final String address)
    {
        return switch (verdict == null ? RecipientVerification.Verdict.UNAVAILABLE : verdict)
        {
            case EXISTS -> null;
            case UNKNOWN -> unknownAtUpstream(address);
            case TEMPFAIL -> context.verifyOnTempfail() == IngressContext.UnverifiedAction.TEMPFAIL
                ? unverifiedTempfail(address) : null;
            case UNAVAILABLE -> context.verifyOnUnreachable() == IngressContext.UnverifiedAction.TEMPFAIL
                ? verificationUnavailable(address) : null;
        };
    }

    /** The route's upstream refused the mailbox when asked (recipient verification): the client learns it in-session. */
    static SmtpReply unknownAtUpstream(final String address)
    {
        return of("550 5.1.1 <" + address + ">: Recipient address rejected: unknown user");
    }

    /** The upstream answered the probe {@code 4xx}, and {@code recipients.verify.onTempfail=tempfail}. */
    static SmtpReply unverifiedTempfail(final String address)
    {
        return of("450 4.1.1 <" + address + ">: Recipient address rejected: the upstream cannot confirm it now, try again"
            + " later");
    }

    /** No verdict (upstream unreachable, too slow, over budget) and {@code recipients.verify.onUnreachable=tempfail}. */
    static SmtpReply verificationUnavailable(final String address)
    {
        return of("450 4.4.3 <" + address + ">: Recipient address verification unavailable, try again later");
    }

    /** The reply for an admission refusal at connection time: the connection is closed after it. */
    static SmtpReply refuseConnection(final Decision decision)
    {
        return switch (decision.verdict())
        {
            case BLOCKED -> closing("554 5.7.1 Access denied" + detail(decision));
            case RATE_LIMITED -> closing("421 4.7.0 Too many connections from your address, try again later" + retry(decision));
            case BACKLOG_FULL -> BACKLOG_FULL_AT_CONNECT;
            default -> closing("421 4.3.2 System busy, try again later" + retry(decision));
        };
    }

    /** The reply for an admission refusal of a message at MAIL FROM, or of a recipient at RCPT TO. */
    static SmtpReply refuseTransaction(final Decision decision)
    {
        return switch (decision.verdict())
        {
            case BLOCKED -> of("554 5.7.1 Access denied" + detail(decision));
            case RATE_LIMITED -> of("450 4.7.1 Rate limit exceeded" + detail(decision) + ", try again later" + retry(decision));
            case DISK_FULL -> of("452 4.3.1 Insufficient system storage, try again later");
            case BACKPRESSURE -> of("452 4.3.1 System busy, try again later" + retry(decision));
            case BACKLOG_FULL -> BACKLOG_FULL;
            case PROJECTED_DELAY -> of("451 4.3.2 Queue too long for timely delivery, try again later" + retry(decision));
            default -> of("451 4.3.0 Try again later");
        };
    }

    /** The reply once the spool has answered for a message that arrived whole. */
    static SmtpReply forAppend(final AppendResult result)
    {
        return switch (result.status())
        {
            case ACCEPTED -> queued(result.queueId());
            case REFUSED_DISK_FULL -> of("452 4.3.1 Insufficient system storage, try again later");
            case REFUSED_TOO_LARGE -> SIZE_EXCEEDED;
            case REFUSED_CLOSED -> SHUTTING_DOWN;
            default -> of("451 4.3.0 Temporary local problem, try again later");
        };
    }

    private static String detail(final Decision decision)
    {
        return decision.detail().isEmpty() ? "" : " (" + decision.detail() + ")";
    }

    private static String retry(final Decision decision)
    {
        return decision.retryAfterMillis() > 0 ? " in " + Math.max(1, decision.retryAfterMillis() / 1000) + " s" : "";
    }
}
