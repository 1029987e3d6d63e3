package io.sluice.outcome;

import io.sluice.containment.Containment;
import io.sluice.drain.ReplyOutcome;
import io.sluice.drain.SmtpReply;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;

/**
 * The outcome stage's word to containment: each reply's signal counts in its tenant's window (acceptances, deferrals,
 * rejections). Cheap and non-blocking, as {@link OutcomeListener#onReply} must be; it decides nothing about failures.
 */
public final class ContainmentFeed implements OutcomeListener
{
    private final Containment containment;

    public ContainmentFeed(final Containment containment)
    {
        this.containment = containment;
    }

    @Override
    public RecipientStatus onFailed(
        final PendingMessage message, final int recipientIndex, final SmtpReply reply, final RecipientStatus status)
    {
        return status;
    }

    @Override
    public void onReply(final PendingMessage message, final int recipientIndex, final ReplyOutcome outcome)
    {
        if (outcome.signal() != null)
        {
            containment.recordReply(message.envelope(), outcome.signal());
        }
    }
}
