package io.sluice.bounce;

import java.util.Objects;

import io.sluice.spool.Disposition;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;

/**
 * What {@link BouncePolicy#decide} says about one permanently failed recipient: {@link Action#SEND} a DSN (build it
 * with {@link DsnBuilder#build(BounceDecision, java.nio.ByteBuffer)}), {@link Action#DEFER} it (build it the same way,
 * but the spool keeps it held until the bounce budget allows it or an operator releases it: reason
 * {@link SuppressionReason#BUDGET_EXCEEDED}, the only limit that defers), or {@link Action#SUPPRESS} it for a
 * {@link #reason()}. Either way {@link #journalStatus()} is the recipient's final status to journal.
 *
 * <p>Journaling a suppression: the spool's {@link Disposition#SUPPRESSED} is final like {@code FAILED} and exists
 * for exactly this ("dropped by policy with its reason journaled"), so a suppressed bounce needs no record of its
 * own: the recipient is journaled {@code SUPPRESSED} instead of {@code FAILED}, its detail keeping the upstream's
 * reply and naming the reason ({@link #suppressedDetail}). Decide before journaling: once a recipient is final the
 * spool ignores further outcomes for it.
 *
 * @param message      the failed message, as it was when the recipient failed
 * @param failure      the failure, read from {@code failedStatus}
 * @param failedStatus the recipient's {@code FAILED} status as the drain's classifier made it
 * @param reason       null to send a DSN, {@link SuppressionReason#BUDGET_EXCEEDED} to defer it, else why not
 * @param budgetAlert  true on the first {@link SuppressionReason#BUDGET_EXCEEDED} in a budget window: the caller
 *                     logs an alert and, if an operator address is set, sends {@link DsnBuilder#budgetNotice}
 */
public record BounceDecision(
    PendingMessage message, DeliveryFailure failure, RecipientStatus failedStatus, SuppressionReason reason,
    boolean budgetAlert)
{
    /** What to do about the bounce. */
    public enum Action
    {
        /** Build the DSN and append it to the spool in the bounces lane. */
        SEND,
        /**
         * Build the DSN and append it held: the budget is spent, and the budget exists to stop backscatter to forged
         * senders, which the verdicts before it already recognise; a legitimate sender's DSN waits, it is not dropped.
         */
        DEFER,
        /** Send nothing; journal the recipient {@code SUPPRESSED} with the reason. */
        SUPPRESS
    }

    private static final String SUPPRESSED_MARK = " [bounce suppressed: ";

    public BounceDecision
    {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(failure, "failure");
        Objects.requireNonNull(failedStatus, "failedStatus");
    }

    public Action action()
    {
        return reason == null ? Action.SEND : reason == SuppressionReason.BUDGET_EXCEEDED ? Action.DEFER : Action.SUPPRESS;
    }

    public boolean isSend()
    {
        return reason == null;
    }

    /** @return true if a DSN is to be built and spooled, now or deferred: {@link Action#SEND} or {@link Action#DEFER}. */
    public boolean needsDsn()
    {
        return action() != Action.SUPPRESS;
    }

    /** @return who the DSN goes to: the failed message's envelope sender (empty for the null sender). */
    public String bounceRecipient()
    {
        return message.envelope().sender();
    }

    /**
     * @return the recipient's final status to journal with {@code Spool.recordOutcome}: the {@code FAILED} status
     *         as given for {@link Action#SEND} and {@link Action#DEFER} (its DSN is in the spool); for
     *         {@link Action#SUPPRESS}, {@code SUPPRESSED} with the same attempts and the reply followed by
     *         {@code [bounce suppressed: REASON]}.
     */
    public RecipientStatus journalStatus()
    {
        if (needsDsn())
        {
            return failedStatus;
        }
        return new RecipientStatus(Disposition.SUPPRESSED, failedStatus.attempts(), 0,
            suppressedDetail(failedStatus.detail(), reason));
    }

    /** @return the journal detail of a suppressed bounce, e.g. {@code 554 5.7.1 Spam [bounce suppressed: SPOOF_PATTERN]}. */
    public static String suppressedDetail(final String failureDetail, final SuppressionReason reason)
    {
        return failureDetail + SUPPRESSED_MARK + reason.name() + "]";
    }

    /**
     * Reads a suppression back from the journal (after a restart, for a console).
     *
     * @return the reason a journaled status names, or null if it is not a suppressed bounce.
     */
    public static SuppressionReason suppressionOf(final RecipientStatus status)
    {
        if (status.disposition() != Disposition.SUPPRESSED)
        {
            return null;
        }
        final String detail = status.detail();
        final int mark = detail.lastIndexOf(SUPPRESSED_MARK);
        if (mark < 0 || !detail.endsWith("]"))
        {
            return null;
        }
        final String name = detail.substring(mark + SUPPRESSED_MARK.length(), detail.length() - 1);
        for (final SuppressionReason reason : SuppressionReason.values())
        {
            if (reason.name().equals(name))
            {
                return reason;
            }
        }
        return null;
    }
}
