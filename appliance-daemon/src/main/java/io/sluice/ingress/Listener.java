package io.sluice.ingress;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import io.sluice.ingress.tls.TlsContext;
import io.sluice.ingress.tls.TlsMode;

/**
 * One listening socket and what its sessions demand. All listeners run the same session code on the same event
 * loops, with the same admission and connection caps; they differ only here.
 *
 * @param name                   for logs: {@code smtp}, {@code submission} or {@code submissions}.
 * @param address                where it listens.
 * @param startTls               whether STARTTLS is offered or required (never on an implicit-TLS listener).
 * @param implicitTls            TLS from the first byte (RFC 8314 section 3, port 465).
 * @param authenticationRequired MAIL is refused until the client has authenticated (message submission, RFC 6409).
 */
public record Listener(String name, InetSocketAddress address, TlsMode startTls, boolean implicitTls,
    boolean authenticationRequired)
{
    /** @return every listener: {@code smtp.listen}, then each submission listener {@code tls} sets. */
    public static List<Listener> all(final InetSocketAddress smtpListen, final TlsContext tls)
    {
        final List<Listener> listeners = new ArrayList<>();
        listeners.add(smtp(smtpListen, tls.mode()));
        if (tls.submissionListen() != null)
        {
            listeners.add(submission(tls.submissionListen(), tls.configured()));
        }
        if (tls.submissionTlsListen() != null)
        {
            listeners.add(submissions(tls.submissionTlsListen()));
        }
        return listeners;
    }

    /** Port 25 style: mail from other MTAs, STARTTLS as {@code smtp.tls.mode} says, no authentication required. */
    public static Listener smtp(final InetSocketAddress address, final TlsMode startTls)
    {
        return new Listener("smtp", address, startTls, false, false);
    }

    /** Port 587 style (RFC 6409): STARTTLS offered when a certificate is configured, AUTH required before MAIL. */
    public static Listener submission(final InetSocketAddress address, final boolean certificate)
    {
        return new Listener("submission", address, certificate ? TlsMode.OFFER : TlsMode.OFF, false, true);
    }

    /** Port 465 style (RFC 8314): TLS from the first byte, AUTH required before MAIL. */
    public static Listener submissions(final InetSocketAddress address)
    {
        return new Listener("submissions", address, TlsMode.OFF, true, true);
    }
}
