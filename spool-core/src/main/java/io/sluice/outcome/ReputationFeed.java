package io.sluice.outcome;

import io.sluice.admission.Admission;
import io.sluice.admission.ReputationEvent;
import io.sluice.drain.ReplyOutcome;
import io.sluice.drain.ReplySignal;
import io.sluice.drain.SmtpReply;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;

/**
 * The outcome stage's word to admission's reputation: tells admission what each classified reply says about the
 * message's source: a delivery is clean, a {@code 5.7.x} is a policy rejection, a {@code 5.1.1} an unknown recipient.
 * Cheap and non-blocking, as {@link OutcomeListener#onReply} must be; it decides nothing about failures.
 */
public final class ReputationFeed implements OutcomeListener
{
    private final Admission admission;

    public ReputationFeed(final Admission admission)
    {
        this.admission = admission;
    }

    @Override
    public RecipientStatus onFailed(final PendingMessage message, final int recipientIndex, final SmtpReply reply,
        final RecipientStatus status)
    {
        return status;
    }

    @Override
    public void onReply(final PendingMessage message, final int recipientIndex, final ReplyOutcome outcome)
    {
        final ReputationEvent event = eventOf(outcome);
        if (event != null)
        {
            admission.learn(message.envelope().sourceKey(), event);
        }
    }

    /** @return what the outcome says of the source, or null for nothing (a deferral says nothing about it). */
    static ReputationEvent eventOf(final ReplyOutcome outcome)
    {
        final ReplySignal signal = outcome.signal();
        if (signal == ReplySignal.ACCEPTED)
        {
            return ReputationEvent.CLEAN_DELIVERY;
        }
        if (signal == ReplySignal.POLICY_REJECTED)
        {
            return ReputationEvent.POLICY_REJECTION;
        }
        if (signal == ReplySignal.REJECTED && isUnknownUser(outcome.status().detail()))
        {
            return ReputationEvent.UNKNOWN_RECIPIENT;
        }
        return null;
    }

    /** @return whether a journaled reply ({@code "550 5.1.1 ..."}) says the mailbox does not exist (RFC 3463). */
    private static boolean isUnknownUser(final String detail)
    {
        return detail != null && detail.length() >= 9 && detail.charAt(0) == '5' && detail.startsWith("5.1.1", 4);
    }
}
