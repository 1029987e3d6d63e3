package io.sluice.daemon;

import io.sluice.spool.Disposition;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;

/** What the daemon's own holds (deferred DSNs, quarantine) have in common: they are told apart by a detail prefix. */
final class HeldMail
{
    private HeldMail()
    {
    }

    /** @return true if the message has an open recipient and every open one is {@code HELD} with the detail prefix. */
    static boolean isHeldAs(final PendingMessage message, final String detailPrefix)
    {
        boolean held = false;
        for (final RecipientStatus status : message.recipients())
        {
            if (!status.isFinal())
            {
                if (status.disposition() != Disposition.HELD || !status.detail().startsWith(detailPrefix))
                {
                    return false;
                }
                held = true;
            }
        }
        return held;
    }
}
