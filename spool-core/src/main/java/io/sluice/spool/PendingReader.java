package io.sluice.spool;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;

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
 *
 * <p>The last few thousand snapshots built are kept, each with the entry state it was built from (head record, outcome
 * records, overflow), and given out again while the entry still says the same: the drain reads a message by id to
 * dispatch it, then the journal writer builds its snapshot after the outcome for the listener, from the same records.
 */
final class PendingReader
{
    private static final Logger LOG = LoggerFactory.getLogger(PendingReader.class);
    private static final int ATTEMPTS = 4;
    /**
     * A power of two. It saves the writer one journal read per outcome after a dispatch (counted by construction); its
     * effect on time could not be resolved on the loaded VM (benchmarks/results/2026-12-06-vm-session5-offheap/).
     */
    private static final int CACHED_SNAPSHOTS = 4096;

    /** A snapshot and the entry state it was built from. */
    private record Cached(PendingMessage message, long headIndex, long outcome0, long outcome1, PendingOverflow overflow)
    {
        boolean matches(final PendingSlot slot)
        {
            return message.messageId() == slot.messageId && headIndex == slot.headIndex
                && outcome0 == slot.inlineOutcomes[0] && outcome1 == slot.inlineOutcomes[1] && overflow == slot.overflow;
        }
    }

    private final Journal journal;
    private final PendingIndex index;
    private final AtomicCounter unreadable;
    private final AtomicReferenceArray<Cached> cache = new AtomicReferenceArray<>(CACHED_SNAPSHOTS);

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
        return snapshot(slot, true);
    }

    /**
     * As {@link #snapshot(PendingSlot)}; with {@code keep} false the snapshot built is not kept in the cache: a walk of
     * the whole backlog would only push out the snapshots the drain is about to need, and with large envelopes (thousands
     * of recipients) the cache's 4,096 would hold a good part of the heap.
     */
    PendingMessage snapshot(final PendingSlot slot, final boolean keep)
    {
        final int at = cacheSlot(slot.messageId);
        final Cached cached = cache.get(at);
        if (cached != null && cached.matches(slot))
        {
            return cached.message();
        }
        IOException failure = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++)
        {
            try
            {
                final PendingMessage message = build(slot);
                if (keep)
                {
                    remember(message, slot);
                }
                return message;
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

    /**
     * Keeps a snapshot the journal writer made by applying an outcome, if the message is still pending: it is what
     * reading the entry back would build.
     */
    void remember(final PendingMessage message)
    {
        final PendingSlot slot = new PendingSlot();
        if (index.read(message.messageId(), slot))
        {
            remember(message, slot);
        }
    }

    private void remember(final PendingMessage message, final PendingSlot slot)
    {
        cache.lazySet(cacheSlot(message.messageId()), new Cached(message, slot.headIndex, slot.inlineOutcomes[0],
            slot.inlineOutcomes[1], slot.overflow));
    }

    private static int cacheSlot(final long messageId)
    {
        return (int)(messageId ^ messageId >>> 17) & (CACHED_SNAPSHOTS - 1);
    }

    private PendingMessage build(final PendingSlot slot) throws IOException
    {
        final PendingMessage resident = slot.resident();
        if (resident != null)
        {
            return resident;
        }
        final JournalRecordCodec.MessageRecord head = journal.readHead(slot.messageId, slot.headIndex, slot.headPosition);
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
