package io.sluice.drain;

import java.util.List;

import io.sluice.spool.Envelope;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;

/**
 * One unit of work for the delivery layer: send this message, to these of its recipients, by this route, now.
 * The route's, lane's and tenant's tokens are already spent on it.
 *
 * <p>Contract: every recipient listed must get exactly one outcome journaled through {@code Spool.recordOutcome}
 * (the delivery layer reports its replies to the outcome stage, which classifies and journals them), or the whole
 * dispatch must be handed back with {@code returnUndelivered} if nothing was attempted. Until then the scheduler keeps
 * the message in flight and never dispatches it again.
 *
 * @param route              the route to send by
 * @param lane               the lane it was scheduled in (the demotion lane if its source is demoted)
 * @param message            the snapshot it was scheduled from
 * @param recipientIndexes   the envelope indexes of the recipients to send to, ascending
 * @param dispatchedAtMillis when it was handed out
 * @param throttledInARow    throttle replies the message drew in a row before this dispatch, each of which put it back
 *                           at the head of its queue without spending an attempt ({@code drain.throttle.requeueLimit})
 */
public record Dispatch(String route, String lane, PendingMessage message, List<Integer> recipientIndexes, long dispatchedAtMillis,
    int throttledInARow)
{
    public Dispatch
    {
        recipientIndexes = List.copyOf(recipientIndexes);
    }

    /** A dispatch of a message that drew no throttle reply just before. */
    public Dispatch(final String route, final String lane, final PendingMessage message, final List<Integer> recipientIndexes,
        final long dispatchedAtMillis)
    {
        this(route, lane, message, recipientIndexes, dispatchedAtMillis, 0);
    }

    public long messageId()
    {
        return message.messageId();
    }

    public Envelope envelope()
    {
        return message.envelope();
    }

    /** @return the address of the envelope recipient at {@code recipientIndex}. */
    public String recipient(final int recipientIndex)
    {
        return message.envelope().recipients().get(recipientIndex);
    }

    /** @return the status the recipient had when dispatched (its attempt count is the base of the next). */
    public RecipientStatus statusAtDispatch(final int recipientIndex)
    {
        return message.recipients().get(recipientIndex);
    }
}
