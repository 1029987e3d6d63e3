package io.sluice.queue;

import io.sluice.spool.Disposition;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;

/**
 * The journal statuses of an operator's actions on one message ({@code sluice queue hold|release|delete}), told apart
 * from containment's holds ({@code containment: }), the quarantine's ({@code quarantine: }) and deferred DSNs
 * ({@code bounce: }) by their detail's prefix {@link #DETAIL_PREFIX}, and naming the principal who acted. A hold is
 * journaled per recipient, keeping its attempts, so a restart finds the message held by an operator and the drain
 * never picks it; nothing expires it while it is held.
 */
public final class OperatorHold
{
    /** Every journal detail of an operator's hold, release or delete starts with this. */
    public static final String DETAIL_PREFIX = "operator: ";

    private OperatorHold()
    {
    }

    /** @return the {@code HELD} status of an operator's hold, keeping the recipient's attempts. */
    public static RecipientStatus held(final int attempts, final String principal)
    {
        return new RecipientStatus(Disposition.HELD, attempts, 0, DETAIL_PREFIX + "held by " + principal);
    }

    /** @return the {@code RELEASED} status of an operator's release: ready to send at once, attempts kept. */
    public static RecipientStatus released(final int attempts, final String principal)
    {
        return new RecipientStatus(Disposition.RELEASED, attempts, 0, DETAIL_PREFIX + "released by " + principal);
    }

    /** @return the final {@code PURGED} status of an operator's delete: no DSN is sent for it. */
    public static RecipientStatus deleted(final String principal)
    {
        return new RecipientStatus(Disposition.PURGED, 0, 0, DETAIL_PREFIX + "deleted by " + principal);
    }

    /** @return true if the status is an operator's hold. */
    public static boolean isHold(final RecipientStatus status)
    {
        return status.disposition() == Disposition.HELD && status.detail().startsWith(DETAIL_PREFIX);
    }

    /** @return true if any open recipient of the message is held by an operator. */
    public static boolean isHeld(final PendingMessage message)
    {
        for (final RecipientStatus status : message.recipients())
        {
            if (isHold(status))
            {
                return true;
            }
        }
        return false;
    }

    /** @return true if the recipient waits to be sent (pending, deferred or released): what a hold keeps back. */
    public static boolean isHoldable(final RecipientStatus status)
    {
        final Disposition disposition = status.disposition();
        return disposition == Disposition.PENDING || disposition == Disposition.DEFERRED
            || disposition == Disposition.RELEASED;
    }
}
