package io.sluice.spool;

import java.util.List;

/**
 * An immutable snapshot of one unfinished message in the spool: its envelope, its size and where each
 * recipient stands. The drain takes its work from these; a newer snapshot replaces it after each outcome.
 *
 * @param messageId     the spool id
 * @param envelope      sender, recipients, tenant, lane
 * @param contentLength the raw message size in bytes
 * @param recipients    one status per envelope recipient, in envelope order
 */
public record PendingMessage(long messageId, Envelope envelope, long contentLength, List<RecipientStatus> recipients)
{
    public PendingMessage
    {
        recipients = List.copyOf(recipients);
        if (recipients.size() != envelope.recipients().size())
        {
            throw new IllegalArgumentException(
                "statuses (" + recipients.size() + ") do not match recipients (" + envelope.recipients().size() + ")");
        }
    }

    public String queueId()
    {
        return QueueIds.format(messageId);
    }

    /** @return true when every recipient is final: the message no longer needs the spool. */
    public boolean isFinished()
    {
        for (final RecipientStatus status : recipients)
        {
            if (!status.isFinal())
            {
                return false;
            }
        }
        return true;
    }
}
