package io.sluice.spool;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Every unfinished message, keyed by id. Ids grow with time, so the first entry is the oldest pending
 * message and iteration is arrival order. Changed only by the journal writer (and by recovery before the
 * writer starts); read by any thread.
 */
final class PendingIndex
{
    private final ConcurrentSkipListMap<Long, SpooledMessage> messages = new ConcurrentSkipListMap<>();
    private final CycleLedger ledger = new CycleLedger();
    private long pendingBytes;

    CycleLedger ledger()
    {
        return ledger;
    }

    void add(final SpooledMessage message)
    {
        final SpooledMessage previous = messages.put(message.messageId(), message);
        if (previous != null)
        {
            ledger.dead(previous.cycle(), previous.recordBytes());
            pendingBytes -= previous.snapshot().contentLength();
        }
        ledger.live(message.cycle(), message.recordBytes());
        pendingBytes += message.snapshot().contentLength();
    }

    SpooledMessage get(final long messageId)
    {
        return messages.get(messageId);
    }

    /**
     * Applies one recipient outcome (or one to every unfinished recipient when {@code recipientIndex} is
     * {@link JournalRecordCodec#ALL_RECIPIENTS}), removing the message once nothing is left to do.
     *
     * @return the new snapshot, or null if the message is unknown or the outcome changed nothing.
     */
    PendingMessage apply(final long messageId, final int recipientIndex, final RecipientStatus status)
    {
        final SpooledMessage message = messages.get(messageId);
        if (message == null)
        {
            return null;
        }
        final PendingMessage before = message.snapshot();
        final List<RecipientStatus> statuses = new ArrayList<>(before.recipients());
        boolean changed = false;
        for (int i = 0; i < statuses.size(); i++)
        {
            if ((recipientIndex == JournalRecordCodec.ALL_RECIPIENTS || recipientIndex == i) && !statuses.get(i).isFinal())
            {
                statuses.set(i, status);
                changed = true;
            }
        }
        if (!changed)
        {
            return null;
        }
        final PendingMessage after = new PendingMessage(before.messageId(), before.envelope(), before.contentLength(), statuses);
        message.snapshot(after);
        if (after.isFinished())
        {
            remove(message);
        }
        return after;
    }

    private void remove(final SpooledMessage message)
    {
        messages.remove(message.messageId());
        ledger.dead(message.cycle(), message.recordBytes());
        pendingBytes -= message.snapshot().contentLength();
    }

    /** Moves a message's records to a new cycle after retention carried it forward. */
    void relocate(final SpooledMessage message, final long[] recordIndexes, final int cycle, final long recordBytes)
    {
        ledger.dead(message.cycle(), message.recordBytes());
        message.relocate(recordIndexes, cycle, recordBytes);
        ledger.live(cycle, recordBytes);
    }

    List<SpooledMessage> inCycle(final int cycle)
    {
        final List<SpooledMessage> found = new ArrayList<>();
        for (final SpooledMessage message : messages.values())
        {
            if (message.cycle() == cycle)
            {
                found.add(message);
            }
        }
        return found;
    }

    Collection<SpooledMessage> all()
    {
        return messages.values();
    }

    /** @return a live view of the messages after {@code afterId} (exclusive), oldest first or newest first. */
    Collection<SpooledMessage> after(final long afterId, final boolean newestFirst)
    {
        return newestFirst ? messages.headMap(afterId, false).descendingMap().values()
            : messages.tailMap(afterId, false).values();
    }

    int size()
    {
        return messages.size();
    }

    long pendingBytes()
    {
        return pendingBytes;
    }

    /** @return the oldest pending message's receive time, or -1 when nothing is pending. */
    long oldestReceivedAtMillis()
    {
        final Map.Entry<Long, SpooledMessage> first = messages.firstEntry();
        return first == null ? -1 : first.getValue().snapshot().envelope().receivedAtMillis();
    }
}
