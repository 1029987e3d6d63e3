package io.sluice.delivery;

import io.sluice.drain.ReplyOutcome;
import io.sluice.drain.SmtpReply;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;

/**
 * Decides, for every recipient that failed for good ({@code 5xx}, or a temporary failure past the queue lifetime),
 * what its final status is, <em>before</em> that status is journaled: the bounce policy journals {@code SUPPRESSED}
 * instead of {@code FAILED} when it sends no DSN, and needs the message's content (which the spool no longer returns
 * once the last recipient is final) to build one. It is also told each reply's containment signal.
 *
 * <p>Called on the delivery outcomes thread (one thread, never the journal writer's): implementations must be quick
 * and must not throw; what {@link #onFailed} throws is logged and the FAILED status journaled as given, so an outcome
 * is never lost.
 */
public interface FailureListener
{
    FailureListener NONE = (message, recipientIndex, reply, status) -> status;

    /**
     * @param message        the message as it was dispatched (envelope, size, statuses at dispatch).
     * @param recipientIndex the failed recipient's index in the envelope.
     * @param reply          the upstream's reply (or the synthetic one for a failure below SMTP).
     * @param status         the FAILED status the drain's classifier made, its detail the reply or the expiry note.
     * @return the status to journal instead: {@code status} itself, or e.g. {@code SUPPRESSED} with a reason.
     */
    RecipientStatus onFailed(PendingMessage message, int recipientIndex, SmtpReply reply, RecipientStatus status);

    /**
     * Told of every classified reply (delivered, deferred, failed) on the delivery thread that got it, before it is
     * journaled; for containment's per-tenant view. Must be cheap and must not block.
     */
    default void onReply(final PendingMessage message, final int recipientIndex, final ReplyOutcome outcome)
    {
    }
}
