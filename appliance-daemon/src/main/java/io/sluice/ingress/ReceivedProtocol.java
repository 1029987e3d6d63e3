package io.sluice.ingress;

/**
 * The protocol word of the {@code Received:} header's {@code with} clause, from the WITH protocol types registry:
 * RFC 3848 adds {@code S} for a session under TLS and {@code A} for an authenticated one, RFC 6531 the
 * {@code UTF8SMTP} family. A HELO session has no registered TLS or AUTH variant: it stays {@code SMTP}.
 */
final class ReceivedProtocol
{
    private ReceivedProtocol()
    {
    }

    static String of(final boolean esmtp, final boolean smtputf8, final boolean secure, final boolean authenticated)
    {
        if (!esmtp && !smtputf8)
        {
            return "SMTP";
        }
        return (smtputf8 ? "UTF8SMTP" : "ESMTP") + (secure ? "S" : "") + (authenticated ? "A" : "");
    }
}
