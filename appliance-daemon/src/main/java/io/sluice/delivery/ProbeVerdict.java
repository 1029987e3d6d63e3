package io.sluice.delivery;

/** What a recipient probe learnt from a route's upstream about one recipient ({@link RecipientVerifier}). */
public enum ProbeVerdict
{
    /** The upstream took the RCPT ({@code 2xx}): the mailbox exists. Cached for the positive TTL. */
    EXISTS,
    /**
     * The upstream refused the RCPT as a bad mailbox ({@code 5xx} with RFC 3463 {@code 5.1.x}, or {@code 550}, {@code 551}
     * or {@code 553} without an enhanced code). Cached for the negative TTL.
     */
    UNKNOWN,
    /** The upstream answered the RCPT {@code 4xx} (but 421): it cannot say now. Not cached. */
    TEMPFAIL,
    /**
     * No answer about the mailbox: the upstream is unreachable, too slow, over the probe budget, closing ({@code 421}),
     * or refused the probe for another reason (a {@code 5.7.x} policy refusal says nothing about the mailbox). Not cached.
     */
    UNAVAILABLE
}
