package io.sluice.drain;

import io.sluice.spool.Disposition;
import io.sluice.spool.RecipientStatus;

/**
 * A classified reply: the recipient status to journal, and what the reply signals to the scheduler.
 *
 * @param status   the status to pass to {@code Spool.recordOutcome}
 * @param signal   what the reply says about the route and the source
 * @param requeued a throttle reply that spends no attempt: the recipient goes back to the head of its queue for the
 *                 route's next token ({@code status} is then a deferral to now with the attempts unchanged, journaled
 *                 only when other recipients of the same dispatch have outcomes to journal)
 */
public record ReplyOutcome(RecipientStatus status, ReplySignal signal, boolean requeued)
{
    /** An outcome that is not a requeue. */
    public ReplyOutcome(final RecipientStatus status, final ReplySignal signal)
    {
        this(status, signal, false);
    }

    /** @return true when a transient failure failed the recipient because its queue lifetime is over. */
    public boolean expired()
    {
        return status.disposition() == Disposition.FAILED && (signal == ReplySignal.DEFERRED || signal == ReplySignal.THROTTLED);
    }
}
