package io.sluice.drain;

import java.util.Map;
import java.util.TreeMap;

import io.sluice.spool.PendingMessage;

/**
 * A simulated drain that reads its snapshots back from a map standing for the spool, as it reads the spool's: each
 * snapshot told is kept there (a finished one taken out) and handed to the scheduler, and a reply is journaled as the
 * outcome stage would.
 */
final class SpooledDrain
{
    final Map<Long, PendingMessage> spool = new TreeMap<>();
    final SimulatedDrain drain;
    final DrainScheduler scheduler;

    SpooledDrain(final SimulatedDrain drain)
    {
        this.drain = drain;
        this.scheduler = drain.scheduler;
        scheduler.readFrom(spool::get);
    }

    PendingMessage tell(final PendingMessage message)
    {
        if (message.isFinished())
        {
            spool.remove(message.messageId());
        }
        else
        {
            spool.put(message.messageId(), message);
        }
        scheduler.onSnapshot(message);
        return message;
    }

    /** Journals the upstream's reply to each recipient of the dispatch, as the outcome stage would. */
    PendingMessage reply(final Dispatch dispatch, final String reply)
    {
        PendingMessage outcome = spool.get(dispatch.messageId());
        for (final int index : dispatch.recipientIndexes())
        {
            outcome = Mail.with(outcome, index, Replies.onReply(scheduler, dispatch, index, SmtpReply.parse(reply)).status());
        }
        return tell(outcome);
    }
}
