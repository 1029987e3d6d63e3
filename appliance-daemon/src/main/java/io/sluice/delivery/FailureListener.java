package io.sluice.delivery;

import io.sluice.drain.SmtpReply;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;

/**
 * Told of every recipient that failed for good ({@code 5xx}, or a temporary failure past the queue lifetime), once
 * that outcome is durable in the journal. The bounce policy (RFC 3464 DSNs, never to a null or forged sender) plugs in
 * here; until it does, {@link #NONE} ignores them and the failure is only logged and journaled.
 *
 * <p>Called once per failed recipient, on a delivery thread: implementations must be quick, must not block, and must
 * not throw (what they throw is logged and dropped). A crash between the journal write and this call loses the call,
 * not the failure: the journal says FAILED with the upstream's reply.
 */
@FunctionalInterface
public interface FailureListener
{
    FailureListener NONE = (message, recipientIndex, reply, status) ->
    {
    };

    /**
     * @param message        the message as it was dispatched (envelope, size, statuses at dispatch).
     * @param recipientIndex the failed recipient's index in the envelope.
     * @param reply          the upstream's reply (or the synthetic one for a failure below SMTP).
     * @param status         the FAILED status as journaled, its detail the reply or the expiry note.
     */
    void onFailed(PendingMessage message, int recipientIndex, SmtpReply reply, RecipientStatus status);
}
