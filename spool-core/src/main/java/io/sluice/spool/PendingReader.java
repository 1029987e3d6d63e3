package io.sluice.spool;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.agrona.concurrent.status.AtomicCounter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a {@link PendingIndex} entry back into a {@link PendingMessage}: the envelope and the statuses written with it
 * come from the message's head record, and each recipient an outcome has changed since takes its status from that
 * outcome's record. Any thread; the journal serialises the reads.
 *
 * <p>The records are where the entry says for as long as the message is pending: retention deletes only files with
 * nothing pending, and an outcome record is never older than the head it follows. A read can still race the writer
 * (retention carried the message forward and deleted the old file in between), so a failed read is retried on a fresh
 * entry; only a read that fails against an entry that did not change is damage.
 */
final class PendingReader
{
    private static final Logger LOG = LoggerFactory.getLogger(PendingReader.class);
    private static final int ATTEMPTS = 4;

    private final Journal journal;
    private final PendingIndex index;
    private final AtomicCounter unreadable;

    PendingReader(final Journal journal, final PendingIndex index, final AtomicCounter unreadable)
    {
        this.journal = journal;
        this.index = index;
        this.unreadable = unreadable;
    }

    /** @return the message's snapshot, or null if it is not pending or its records are unreadable (logged, counted). */
    PendingMessage read(final long messageId)
    {
        final PendingSlot slot = new PendingSlot();
        if (!index.read(messageId, slot))
        {
            return null;
        }
        return snapshot(slot);
    }

    /**
     * @param slot an entry just read; it is refreshed if its records moved meanwhile
     * @return the snapshot, or null if the message finished meanwhile or its records are unreadable (logged, counted).
     */
    PendingMessage snapshot(final PendingSlot slot)
    {
        IOException failure = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++)
        {
            try
            {
                return build(slot);
            }
            catch (final IOException ex)
            {
                failure = ex;
                final long headBefore = slot.headIndex;
                final PendingOverflow overflowBefore = slot.overflow;
                final long outcome0 = slot.inlineOutcomes[0];
                final long outcome1 = slot.inlineOutcomes[1];
                if (!index.read(slot.messageId, slot))
                {
                    return null;
                }
                if (slot.headIndex == headBefore && slot.overflow == overflowBefore && slot.inlineOutcomes[0] == outcome0
                    && slot.inlineOutcomes[1] == outcome1)
                {
                    break;
                }
            }
        }
        unreadable.increment();
        LOG.error("pending message {} cannot be read back from the journal; it stays pending", QueueIds.format(
            slot.messageId), failure);
        return null;
    }

    private PendingMessage build(final PendingSlot slot) throws IOException
    {
        final PendingMessage resident = slot.resident();
        if (resident != null)
        {
            return resident;
        }
        final JournalRecordCodec.MessageRecord head = journal.readHead(slot.messageId, slot.headIndex);
        final List<RecipientStatus> statuses = new ArrayList<>(head.statuses());
        long lastIndex = 0;
        JournalRecordCodec.OutcomeRecord last = null;
        for (int i = 0; i < slot.recipients; i++)
        {
            final long outcomeIndex = slot.outcomeIndex(i);
            if (outcomeIndex != 0)
            {
                if (outcomeIndex != lastIndex)
                {
                    // An outcome for every recipient is one record: read it once.
                    last = journal.readOutcome(slot.messageId, outcomeIndex);
                    lastIndex = outcomeIndex;
                }
                statuses.set(i, last.status());
            }
        }
        return new PendingMessage(slot.messageId, head.envelope(), head.contentLength(), statuses);
    }

    /**
     * @return {@code message} with the outcome applied to the recipient it names (or to every one not yet final), or
     *         null if it changes nothing.
     */
    static PendingMessage applied(final PendingMessage message, final int recipientIndex, final RecipientStatus status)
    {
        final List<RecipientStatus> statuses = new ArrayList<>(message.recipients());
        boolean changed = false;
        for (int i = 0; i < statuses.size(); i++)
        {
            if ((recipientIndex == JournalRecordCodec.ALL_RECIPIENTS || recipientIndex == i) && !statuses.get(i).isFinal())
            {
                statuses.set(i, status);
                changed = true;
            }
        }
        return changed ? new PendingMessage(message.messageId(), message.envelope(), message.contentLength(), statuses)
            : null;
    }
}
