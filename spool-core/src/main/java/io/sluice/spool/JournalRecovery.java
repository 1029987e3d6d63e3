package io.sluice.spool;

import io.sluice.counters.EnumCounters;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
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
 * <p>A message whose body records stop short (the process died while writing it, before it was acknowledged) is
 * discarded with a warning.
 *
 * <p>Damage (a bad block, bytes overwritten) costs only the records it touches. Before the journal opens,
 * {@link JournalSalvage} walks every file with {@link JournalFileScan} and moves the damaged ones aside; the
 * healthy files replay through Chronicle's tailer as always, and each damaged file replays from its good records
 * in its place in cycle order (outcomes in later files still find their messages). {@link SalvagedMessages}
 * then writes what is still pending in damaged files forward and reports each damaged span.
 */
final class JournalRecovery
{
    private static final Logger LOG = LoggerFactory.getLogger(JournalRecovery.class);
    /** {@link #replayAfter} without a checkpoint: the whole journal. */
    static final long NO_CHECKPOINT = Long.MIN_VALUE;

    private final Journal journal;
    private final PendingIndex index;
    private final AtomicCounter corruptRecords;
    private final EnumCounters<SpoolCounter> counters;
    private final JournalRecordCodec codec = new JournalRecordCodec();
    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(64 * 1024);
    private final Map<Long, Partial> partials = new HashMap<>();
    private long maxMessageId;
    private long lastRecordIndex = -1;
    private long records;
    private final long lastDeletedCycle;
    private final boolean allowMissingCycles;
    private final List<Long> missingCycles = new ArrayList<>();
    private int previousCycle = Journal.NO_CYCLE;
    private final JournalSalvage salvage;
    private final SalvagedMessages salvaged;
    private final PendingReader reader;
    private int nextSalvaged;
    /** The damaged file being replayed, or null while replaying through Chronicle. */
    private JournalSalvage.Quarantined current;
    /** Where the live journal's record being replayed starts in its cycle file: kept in the index as a read hint. */
    private long recordPosition;

    /** What recovery found, for the start-up log line. */
    record Report(
        long records, int pendingMessages, long pendingBytes, long corruptRecords, int incompleteMessages, long maxMessageId,
        int damagedFiles, int messagesLostToDamage, long lastRecordIndex)
    {
    }

    /** A message whose head is read but not all of its chunks. */
    private static final class Partial
    {
        final JournalRecordCodec.MessageRecord head;
        final List<Long> indexes = new ArrayList<>();
        /** Per part: the damaged file it was read from, or null for a Chronicle index. */
        final List<Path> sources = new ArrayList<>();
        final JournalSalvage.Quarantined headFile;
        /** Where the head record starts in its cycle file (0: not known), a hint for reading it back. */
        final long headPosition;
        long received;
        long recordBytes;

        Partial(final JournalRecordCodec.MessageRecord head, final long index, final long recordBytes,
            final JournalSalvage.Quarantined headFile, final long headPosition)
        {
            this.head = head;
            this.headFile = headFile;
            this.headPosition = headPosition;
            this.indexes.add(index);
            this.sources.add(headFile == null ? null : headFile.file());
            this.received = head.partLength();
            this.recordBytes = recordBytes;
        }
    }

    JournalRecovery(
        final Journal journal, final PendingIndex index, final EnumCounters<SpoolCounter> counters,
        final boolean allowMissingCycles)
    {
        this(journal, index, counters, allowMissingCycles, null, SpoolContext.CHUNK_BYTES.defaultValue());
    }

    /**
     * @param salvage    the damaged files taken out of the journal before it opened, or null for none.
     * @param chunkBytes how salvaged messages are split when written forward.
     */
    JournalRecovery(
        final Journal journal, final PendingIndex index, final EnumCounters<SpoolCounter> counters,
        final boolean allowMissingCycles, final JournalSalvage salvage, final int chunkBytes)
    {
        this.journal = journal;
        this.index = index;
        this.counters = counters;
        this.corruptRecords = counters.counter(SpoolCounter.CORRUPT_RECORDS_SKIPPED);
        this.lastDeletedCycle = journal.lastDeletedCycle();
        this.allowMissingCycles = allowMissingCycles;
        this.salvage = salvage;
        this.salvaged = new SalvagedMessages(journal, salvage, chunkBytes);
        this.reader = new PendingReader(journal, index, counters.counter(SpoolCounter.PENDING_UNREADABLE));
    }

    Report replay()
    {
        return replayAfter(NO_CHECKPOINT, 0);
    }

    /**
     * Replays the journal after a checkpoint's last record (or all of it, for {@link #NO_CHECKPOINT}) into an index
     * that holds the checkpoint's entries.
     *
     * @param position       the index of the last record the checkpoint covers, or {@link #NO_CHECKPOINT}
     * @param checkpointMaxId the largest message id the checkpoint knew of
     */
    Report replayAfter(final long position, final long checkpointMaxId)
    {
        maxMessageId = Math.max(maxMessageId, checkpointMaxId);
        try (ExcerptTailer tailer = journal.queue().createTailer())
        {
            tailer.toStart();
            if (position != NO_CHECKPOINT && tailer.moveToIndex(position))
            {
                // The checkpoint covers the record at its position: step over it.
                try (DocumentContext dc = tailer.readingDocument())
                {
                    previousCycle = dc.isPresent() ? journal.cycleOf(dc.index()) : Journal.NO_CYCLE;
                    lastRecordIndex = dc.isPresent() ? dc.index() : lastRecordIndex;
                }
            }
            else if (position != NO_CHECKPOINT)
            {
                // Retention deleted the checkpoint's file since: everything on disk comes after it.
                tailer.toStart();
            }
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
                    lastRecordIndex = recordIndex;
                    // As on append: the store's bytes are the cycle file's, so this is the record's offset in its file.
                    recordPosition = dc.wire().bytes().readPosition();
                    length = Journal.copy(dc.wire().bytes(), buffer, recordIndex);
                }
                catch (final IOException ex)
                {
                    // The files replayed here were checked for damage at start, which sets a bad header aside: one
                    // met here anyway stops the start with its record named rather than guessing where the next begins.
                    throw new SpoolRecoveryException("cannot replay the journal in " + journal.queue().file() + ": "
                        + ex.getMessage(), ex);
                }
                replaySalvagedUpTo(journal.cycleOf(recordIndex));
                replayRecord(recordIndex, length);
            }
        }
        replaySalvagedUpTo(Integer.MAX_VALUE);
        if (!missingCycles.isEmpty())
        {
            final String message = "journal file(s) for cycle(s) " + missingCycles + " are missing from "
                + journal.queue().file() + " but were never deleted by retention: pending mail in them would be lost";
            if (!allowMissingCycles)
            {
                throw new SpoolRecoveryException(message + ". Restore the file(s), or set " + SpoolContext.ALLOW_MISSING_CYCLES
                    + "=true to start without them.");
            }
            LOG.error("{}; starting anyway because {}=true", message, SpoolContext.ALLOW_MISSING_CYCLES.key());
        }
        int incomplete = 0;
        for (final Partial partial : partials.values())
        {
            if (partial.headFile != null)
            {
                salvaged.incomplete(partial.headFile, partial.head.messageId(), partial.indexes.get(0), true);
                continue;
            }
            final String what = partial.head.carried()
                ? "its earlier copy is kept" : "it was never acknowledged, so it is discarded";
            LOG.warn("message {} has {} of {} body bytes at the end of the journal: {}",
                QueueIds.format(partial.head.messageId()), partial.received, partial.head.contentLength(), what);
            incomplete++;
        }
        final int damagedFiles = salvage == null ? 0 : salvage.files().size();
        final int lost = damagedFiles == 0 ? 0 : salvaged.writeForward(index, counters);
        return new Report(records, index.size(), index.pendingBytes(), corruptRecords.get(), incomplete,
            maxMessageId, damagedFiles, lost, lastRecordIndex);
    }

    /** Replays each damaged file whose cycle comes before (or is) {@code cycle}, from its good records. */
    private void replaySalvagedUpTo(final int cycle)
    {
        while (salvage != null && nextSalvaged < salvage.files().size() && salvage.files().get(nextSalvaged).cycle() <= cycle)
        {
            current = salvage.files().get(nextSalvaged++);
            final int fileCycle = current.cycle();
            try
            {
                final JournalFileScan.Result scan = JournalFileScan.scan(current.file(),
                    journal.queue().rollCycle().defaultIndexCount(), journal.queue().rollCycle().defaultIndexSpacing(),
                    (position, bytes, offset, length) ->
                    {
                        buffer.checkLimit(length);
                        buffer.putBytes(0, bytes, offset, length);
                        records++;
                        try
                        {
                            replayRecord(position, length, fileCycle);
                        }
                        finally
                        {
                            previousCycle = fileCycle;
                        }
                    });
                salvaged.scanned(current, scan);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("cannot read the damaged journal file " + current.file(), ex);
            }
            finally
            {
                current = null;
            }
        }
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
        final boolean expected = (previousCycle == Journal.NO_CYCLE
            ? markedPrevious <= lastDeletedCycle
            : markedPrevious == previousCycle || previousCycle == cycle) || wasQuarantined(markedPrevious);
        if (!expected && markedPrevious > previousCycle)
        {
            missingCycles.add(markedPrevious);
        }
    }

    /** A file moved aside as damaged went on purpose: its good records were replayed then, or are replayed now. */
    private boolean wasQuarantined(final long cycle)
    {
        return salvage != null && salvage.wasQuarantined(cycle)
            || journal.queue().tableStoreGet(JournalSalvage.QUARANTINED_KEY + cycle) != Long.MIN_VALUE;
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
                case JournalRecordCodec.TYPE_OUTCOME -> onOutcome(codec.decodeOutcome(buffer, length), recordIndex);
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
            install(head, new long[] {recordIndex}, new Path[] {current == null ? null : current.file()},
                current == null ? journal.cycleOf(recordIndex) : current.cycle(), length, current == null ? recordPosition : 0);
        }
        else
        {
            partials.put(head.messageId(),
                new Partial(head, recordIndex, length, current, current == null ? recordPosition : 0));
        }
    }

    private void onChunk(final JournalRecordCodec.ChunkRecord chunk, final long recordIndex, final int length)
    {
        final Partial partial = partials.get(chunk.messageId());
        if (partial == null || chunk.contentOffset() != partial.received)
        {
            if (current != null && partial == null && !index.contains(chunk.messageId()))
            {
                // A chunk whose head the damage took: it still names the message.
                salvaged.incomplete(current, chunk.messageId(), recordIndex, false);
            }
            return;
        }
        partial.indexes.add(recordIndex);
        partial.sources.add(current == null ? null : current.file());
        partial.received += chunk.partLength();
        partial.recordBytes += length;
        if (partial.received == partial.head.contentLength())
        {
            partials.remove(chunk.messageId());
            final long[] indexes = partial.indexes.stream().mapToLong(Long::longValue).toArray();
            install(partial.head, indexes, partial.sources.toArray(new Path[0]),
                partial.headFile == null ? journal.cycleOf(indexes[0]) : partial.headFile.cycle(), partial.recordBytes,
                partial.headPosition);
        }
    }

    private void install(
        final JournalRecordCodec.MessageRecord head, final long[] indexes, final Path[] sources, final int cycle,
        final long bytes, final long headPosition)
    {
        final PendingMessage snapshot =
            new PendingMessage(head.messageId(), head.envelope(), head.contentLength(), head.statuses());
        if (snapshot.isFinished())
        {
            return;
        }
        boolean damagedFile = false;
        for (final Path source : sources)
        {
            damagedFile |= source != null;
        }
        if (damagedFile)
        {
            // Its records are no longer in the live journal: indexed, whole, under a placeholder until written forward.
            index.add(head.messageId(), salvaged.add(head.messageId(), indexes, sources), cycle, bytes,
                head.contentLength(), head.envelope().receivedAtMillis(), head.statuses(), snapshot);
            return;
        }
        index.add(head.messageId(), indexes, cycle, bytes, head.contentLength(), head.envelope().receivedAtMillis(),
            head.statuses(), null, headPosition);
    }

    private void onOutcome(final JournalRecordCodec.OutcomeRecord outcome, final long recordIndex)
    {
        // An outcome for an unknown id concerns a message that finished, or was carried forward into a later
        // file whose copy already includes it: either way there is nothing to apply.
        if (current != null && index.changes(outcome.messageId(), outcome.recipientIndex()))
        {
            // Read from a damaged file, this record will not be readable in the live journal: the message's state
            // stays whole on the heap from now on.
            final PendingMessage snapshot = reader.read(outcome.messageId());
            if (snapshot != null)
            {
                index.makeResident(outcome.messageId(), snapshot);
            }
        }
        index.apply(outcome.messageId(), outcome.recipientIndex(), outcome.status(), recordIndex);
    }
}
