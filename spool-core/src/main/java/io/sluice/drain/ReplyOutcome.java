package io.sluice.drain;

import io.sluice.spool.Disposition;
import io.sluice.spool.RecipientStatus;

/**
 * A classified reply: the recipient status to journal, and what the reply signals to the scheduler.
 *
 * @param status the status to pass to {@code Spool.recordOutcome}
 * @param signal what the reply says about the route and the source
 */
public record ReplyOutcome(RecipientStatus status, ReplySignal signal)
{
    /** @return true when a transient failure failed the recipient because its queue lifetime is over. */
    public boolean expired()
    {
        return status.disposition() == Disposition.FAILED && (signal == ReplySignal.DEFERRED || signal == ReplySignal.THROTTLED);
    }
}
