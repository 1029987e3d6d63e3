package io.sluice.spool;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds the index of unfinished messages by replaying the journal from its oldest file. After a
 * {@code kill -9} at any instant, every message whose append was acknowledged is found again, and every
 * recipient journaled as final stays final, so it is never delivered twice.
 *
 * <p>A record that fails its checksum is skipped with a warning and counted; a message whose body records
 * stop short (the process died while writing it, before it was acknowledged) is discarded with a warning.
 */
final class JournalRecovery
{
    private static final Logger LOG = LoggerFactory.getLogger(JournalRecovery.class);

    private final Journal journal;
    private final PendingIndex index;
    private final AtomicCounter corruptRecords;
    private final JournalRecordCodec codec = new JournalRecordCodec();
    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(64 * 1024);
    private final Map<Long, Partial> partials = new HashMap<>();
    private long maxMessageId;
    private long records;
    private final long lastDeletedCycle;
    private final boolean allowMissingCycles;
    private final List<Long> missingCycles = new ArrayList<>();
    private int previousCycle = Journal.NO_CYCLE;

    /** What recovery found, for the start-up log line. */
    record Report(
        long records, int pendingMessages, long pendingBytes, long corruptRecords, int incompleteMessages, long maxMessageId)
    {
    }

    /** A message whose head is read but not all of its chunks. */
    private static final class Partial
    {
        final JournalRecordCodec.MessageRecord head;
        final List<Long> indexes = new ArrayList<>();
        long received;
        long recordBytes;

        Partial(final JournalRecordCodec.MessageRecord head, final long index, final long recordBytes)
        {
            this.head = head;
            this.indexes.add(index);
            this.received = head.partLength();
            this.recordBytes = recordBytes;
        }
    }

    JournalRecovery(
        final Journal journal, final PendingIndex index, final SpoolCounters counters, final boolean allowMissingCycles)
    {
        this.journal = journal;
        this.index = index;
        this.corruptRecords = counters.counter(SpoolCounter.CORRUPT_RECORDS_SKIPPED);
        this.lastDeletedCycle = journal.lastDeletedCycle();
        this.allowMissingCycles = allowMissingCycles;
    }

    Report replay()
    {
        try (ExcerptTailer tailer = journal.queue().createTailer())
        {
            tailer.toStart();
            while (true)
            {
                final long recordIndex;
                final int length;
                try (DocumentContext dc = tailer.readingDocument())
                {
                    if (!dc.isPresent())
                    {
                        break;
                    }
                    recordIndex = dc.index();
                    length = Journal.copy(dc.wire().bytes(), buffer);
                }
                replayRecord(recordIndex, length);
            }
        }
        if (!missingCycles.isEmpty())
        {
            final String message = "journal file(s) for cycle(s) " + missingCycles + " are missing from "
                + journal.queue().file() + " but were never deleted by retention: pending mail in them would be lost";
            if (!allowMissingCycles)
            {
                throw new SpoolRecoveryException(message + ". Restore the file(s), or set " + SpoolContext.ALLOW_MISSING_CYCLES
                    + "=true to start without them.");
            }
            LOG.error("{}; starting anyway because {}=true", message, SpoolContext.ALLOW_MISSING_CYCLES);
        }
        for (final Partial partial : partials.values())
        {
            final String what = partial.head.carried()
                ? "its earlier copy is kept" : "it was never acknowledged, so it is discarded";
            LOG.warn("message {} has {} of {} body bytes at the end of the journal: {}",
                QueueIds.format(partial.head.messageId()), partial.received, partial.head.contentLength(), what);
        }
        return new Report(records, index.size(), index.pendingBytes(), corruptRecords.get(), partials.size(), maxMessageId);
    }

    private void replayRecord(final long recordIndex, final int length)
    {
        records++;
        final int cycle = journal.cycleOf(recordIndex);
        index.ledger().written(cycle, length);
        try
        {
            replayRecord(recordIndex, length, cycle);
        }
        finally
        {
            previousCycle = cycle;
        }
    }

    /**
     * A file's marker names the file written before it. That file must be the one replayed just before, or,
     * for the oldest file on disk, one retention deleted; anything else was lost outside Sluice.
     */
    private void checkContinuity(final long markedPrevious, final int cycle)
    {
        final boolean expected = previousCycle == Journal.NO_CYCLE
            ? markedPrevious <= lastDeletedCycle
            : markedPrevious == previousCycle || previousCycle == cycle;
        if (!expected && markedPrevious > previousCycle)
        {
            missingCycles.add(markedPrevious);
        }
    }

    private void replayRecord(final long recordIndex, final int length, final int cycle)
    {
        try
        {
            final byte type = codec.verify(buffer, length);
            if (type == JournalRecordCodec.TYPE_CYCLE_MARKER)
            {
                checkContinuity(JournalRecordCodec.messageId(buffer), cycle);
                return;
            }
            final long messageId = JournalRecordCodec.messageId(buffer);
            maxMessageId = Math.max(maxMessageId, messageId);
            switch (type)
            {
                case JournalRecordCodec.TYPE_MESSAGE -> onMessage(codec.decodeMessage(buffer, length), recordIndex, length);
                case JournalRecordCodec.TYPE_CHUNK -> onChunk(codec.decodeChunk(buffer, length), recordIndex, length);
                case JournalRecordCodec.TYPE_OUTCOME -> onOutcome(codec.decodeOutcome(buffer, length));
                default -> throw new CorruptRecordException("unknown type " + type);
            }
        }
        catch (final CorruptRecordException | RuntimeException ex)
        {
            corruptRecords.increment();
            LOG.warn("skipping journal record at index {} ({} bytes): {}",
                Long.toHexString(recordIndex), length, ex.getMessage());
        }
    }

    private void onMessage(final JournalRecordCodec.MessageRecord head, final long recordIndex, final int length)
    {
        if (head.partLength() == head.contentLength())
        {
            install(head, new long[] {recordIndex}, journal.cycleOf(recordIndex), length);
        }
        else
        {
            partials.put(head.messageId(), new Partial(head, recordIndex, length));
        }
    }

    private void onChunk(final JournalRecordCodec.ChunkRecord chunk, final long recordIndex, final int length)
    {
        final Partial partial = partials.get(chunk.messageId());
        if (partial == null || chunk.contentOffset() != partial.received)
        {
            return;
        }
        partial.indexes.add(recordIndex);
        partial.received += chunk.partLength();
        partial.recordBytes += length;
        if (partial.received == partial.head.contentLength())
        {
            partials.remove(chunk.messageId());
            final long[] indexes = partial.indexes.stream().mapToLong(Long::longValue).toArray();
            install(partial.head, indexes, journal.cycleOf(indexes[0]), partial.recordBytes);
        }
    }

    private void install(final JournalRecordCodec.MessageRecord head, final long[] indexes, final int cycle, final long bytes)
    {
        final PendingMessage snapshot =
            new PendingMessage(head.messageId(), head.envelope(), head.contentLength(), head.statuses());
        if (!snapshot.isFinished())
        {
            index.add(new SpooledMessage(snapshot, indexes, cycle, bytes));
        }
    }

    private void onOutcome(final JournalRecordCodec.OutcomeRecord outcome)
    {
        // An outcome for an unknown id concerns a message that finished, or was carried forward into a later
        // file whose copy already includes it: either way there is nothing to apply.
        index.apply(outcome.messageId(), outcome.recipientIndex(), outcome.status());
    }
}
