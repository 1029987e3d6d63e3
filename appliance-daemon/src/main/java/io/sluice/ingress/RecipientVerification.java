package io.sluice.ingress;

import java.util.concurrent.CompletionStage;

/**
 * Asks whether a recipient in a relay domain exists, before RCPT is answered, so an unknown user is refused in-session
 * ({@code 550 5.1.1}) and never needs a DSN. The daemon answers it with a callout to the upstream of the route the mail
 * would leave by; a route that does not verify recipients (the default) answers null, and the session goes on at once.
 */
@FunctionalInterface
public interface RecipientVerification
{
    /** Verifies nobody: every recipient goes on as if no verification were configured. */
    RecipientVerification NONE = (tenant, lane, recipient) -> null;

    /** What the upstream said about the recipient. */
    enum Verdict
    {
        /** The mailbox exists: the recipient is taken. */
        EXISTS,
        /** The upstream refused the mailbox: {@code 550 5.1.1}. */
        UNKNOWN,
        /** The upstream answered {@code 4xx}: {@code recipients.verify.onTempfail} decides. */
        TEMPFAIL,
        /** No verdict (unreachable, too slow, over the probe budget): {@code recipients.verify.onUnreachable} decides. */
        UNAVAILABLE
    }

    /**
     * Called on the session's event loop; must not block.
     *
     * @param tenant    the client's tenant.
     * @param lane      the lane the message would be spooled on.
     * @param recipient the address from RCPT TO, in a relay domain.
     * @return null if this recipient is not verified; otherwise its verdict, possibly completed already. It never
     *         completes exceptionally, and always completes (a probe has a timeout).
     */
    CompletionStage<Verdict> verify(String tenant, String lane, String recipient);
}
