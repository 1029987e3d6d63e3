package io.sluice.outcome;

import java.util.List;

import io.sluice.drain.ReplyOutcome;
import io.sluice.drain.SmtpReply;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;

/**
 * What the {@link OutcomeStage} asks and tells about each classified reply, before its status is journaled: the bounce
 * policy decides the final status of every recipient that failed for good ({@link BounceStep}: it journals
 * {@code SUPPRESSED} instead of {@code FAILED} when it sends no DSN, and needs the message's content, which the spool no
 * longer returns once the last recipient is final, to build one); containment and admission's reputation hear each
 * reply's signal ({@link #onReply}).
 *
 * <p>{@link #onFailed} is called on the outcome stage's own thread (never the journal writer's), {@link #onReply} on
 * the delivery thread that reported the reply: implementations must be quick and must not block. What either throws
 * is logged, and the status journaled as the classifier made it, so an outcome is never lost.
 */
public interface OutcomeListener
{
    OutcomeListener NONE = (message, recipientIndex, reply, status) -> status;

    /**
     * @param message        the message as it was dispatched (envelope, size, statuses at dispatch).
     * @param recipientIndex the failed recipient's index in the envelope.
     * @param reply          the upstream's reply (or the synthetic one for a failure below SMTP).
     * @param status         the FAILED status the classifier made, its detail the reply or the expiry note.
     * @return the status to journal instead: {@code status} itself, or e.g. {@code SUPPRESSED} with a reason.
     */
    RecipientStatus onFailed(PendingMessage message, int recipientIndex, SmtpReply reply, RecipientStatus status);

    /**
     * Told of every classified reply (delivered, deferred, failed) on the delivery thread that got it, before it is
     * journaled. Must be cheap and must not block.
     */
    default void onReply(final PendingMessage message, final int recipientIndex, final ReplyOutcome outcome)
    {
    }

    /**
     * @param first  asked first about a failure; its answer is what the later ones are asked about.
     * @param others told of every reply after {@code first}, in order; asked about failures in turn.
     * @return one listener that asks and tells each in order.
     */
    static OutcomeListener of(final OutcomeListener first, final OutcomeListener... others)
    {
        final List<OutcomeListener> all = new java.util.ArrayList<>();
        all.add(first);
        all.addAll(List.of(others));
        return new OutcomeListener()
        {
            @Override
            public RecipientStatus onFailed(
                final PendingMessage message, final int recipientIndex, final SmtpReply reply, final RecipientStatus status)
            {
                RecipientStatus decided = status;
                for (final OutcomeListener listener : all)
                {
                    final RecipientStatus next = listener.onFailed(message, recipientIndex, reply, decided);
                    decided = next != null ? next : decided;
                }
                return decided;
            }

            @Override
            public void onReply(final PendingMessage message, final int recipientIndex, final ReplyOutcome outcome)
            {
                for (final OutcomeListener listener : all)
                {
                    listener.onReply(message, recipientIndex, outcome);
                }
            }
        };
    }
}
