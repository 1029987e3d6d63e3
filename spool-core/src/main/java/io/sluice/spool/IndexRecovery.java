package io.sluice.spool;

import io.sluice.config.AtomicFiles;
import io.sluice.counters.EnumCounters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.NavigableSet;

import org.agrona.collections.LongArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the pending index at start-up: from the checkpoint and the journal written after it when the checkpoint is
 * there, whole and matches the journal; else, counted ({@link SpoolCounter#FULL_REPLAYS}) and logged, by replaying the
 * whole journal as before checkpoints existed. The journal stays the truth: a checkpoint only saves replaying what it
 * already reflects, and any doubt about it costs time, never mail.
 */
final class IndexRecovery
{
    private static final Logger LOG = LoggerFactory.getLogger(IndexRecovery.class);

    /** The index and what its recovery found. */
    record Result(PendingIndex index, JournalRecovery.Report report, long checkpointPosition)
    {
    }

    private IndexRecovery()
    {
    }

    static Path checkpointFile(final SpoolContext context)
    {
        return context.directory().resolve(IndexCheckpoint.FILE_NAME);
    }

    static Result recover(final SpoolContext context, final Journal journal, final EnumCounters<SpoolCounter> counters,
        final JournalSalvage salvage)
    {
        final Attempt attempt = fromCheckpoint(context, journal, counters, salvage);
        return attempt.result() != null ? attempt.result() : fullReplay(context, journal, counters, salvage, attempt.why());
    }

    /** A start from the checkpoint: its result, or why there is none (null: no journal and no checkpoint, nothing). */
    record Attempt(Result result, String why)
    {
    }

    /** Starts from the checkpoint and the journal after it, if there is one and it can be used. */
    static Attempt fromCheckpoint(final SpoolContext context, final Journal journal, final EnumCounters<SpoolCounter> counters,
        final JournalSalvage salvage)
    {
        final Path file = checkpointFile(context);
        final boolean journalHasRecords = !journal.cyclesOnDisk().isEmpty();
        if (salvage != null && !salvage.files().isEmpty())
        {
            return new Attempt(null, "damaged journal files were set aside, and only a full replay salvages their mail");
        }
        if (!Files.exists(file))
        {
            return new Attempt(null, journalHasRecords ? "there is no checkpoint " + file : null);
        }
        final PendingIndex index = new PendingIndex();
        try
        {
            final long startNs = System.nanoTime();
            final IndexCheckpoint.Loaded loaded = IndexCheckpoint.load(file, index);
            check(loaded, index, journal);
            LOG.info("pending-index checkpoint {} loaded in {} ms: {} pending messages up to journal index {}", file,
                (System.nanoTime() - startNs) / 1_000_000, loaded.entries(), Long.toHexString(loaded.position()));
            final JournalRecovery.Report report = recovery(context, journal, index, counters, salvage)
                .replayAfter(loaded.position(), loaded.maxMessageId());
            dropDeleted(index, journal);
            return new Attempt(new Result(index, report, loaded.position()), null);
        }
        catch (final IOException ex)
        {
            AtomicFiles.setAside(file, "spool", LOG);
            return new Attempt(null, ex.getMessage());
        }
    }

    /** Replays the whole journal, as before checkpoints existed; counted unless there was nothing to replay. */
    static Result fullReplay(final SpoolContext context, final Journal journal, final EnumCounters<SpoolCounter> counters,
        final JournalSalvage salvage, final String why)
    {
        if (why != null)
        {
            counters.counter(SpoolCounter.FULL_REPLAYS).increment();
            LOG.warn("spool {}: replaying the whole journal: {}", context.directory(), why);
        }
        final PendingIndex index = new PendingIndex();
        return new Result(index, recovery(context, journal, index, counters, salvage).replay(), Long.MIN_VALUE);
    }

    private static JournalRecovery recovery(final SpoolContext context, final Journal journal, final PendingIndex index,
        final EnumCounters<SpoolCounter> counters, final JournalSalvage salvage)
    {
        return new JournalRecovery(journal, index, counters, context.allowMissingCycles(), salvage, context.chunkBytes());
    }

    /**
     * The checkpoint must describe this journal: the record it ends with is there, with the same CRC, or its file was
     * deleted by retention; and every file its messages are in is there, or was deleted by retention (they finished).
     */
    private static void check(final IndexCheckpoint.Loaded loaded, final PendingIndex index, final Journal journal)
        throws IOException
    {
        final NavigableSet<Long> onDisk = journal.cyclesOnDisk();
        final long lastDeleted = journal.lastDeletedCycle();
        if (loaded.position() < 0)
        {
            if (index.size() > 0)
            {
                throw new IOException("the checkpoint holds messages but names no journal record");
            }
            return;
        }
        final int cycle = journal.cycleOf(loaded.position());
        if (onDisk.contains((long)cycle))
        {
            final int crc;
            try
            {
                crc = journal.recordCrc(loaded.position());
            }
            catch (final IOException ex)
            {
                throw new IOException("the checkpoint ends at a journal record that is not there: " + ex.getMessage(), ex);
            }
            if (crc != loaded.positionCrc())
            {
                throw new IOException("the checkpoint belongs to another journal: the record at index "
                    + Long.toHexString(loaded.position()) + " differs");
            }
        }
        else if (cycle > lastDeleted)
        {
            throw new IOException("the checkpoint ends in journal cycle " + cycle + ", which is missing and was never"
                + " deleted by retention");
        }
        final long[] missing = {Long.MIN_VALUE};
        index.ledger().forEach((c, written, live, liveBytes) ->
        {
            if (live > 0 && c > lastDeleted && !onDisk.contains((long)c))
            {
                missing[0] = c;
            }
        });
        if (missing[0] != Long.MIN_VALUE)
        {
            throw new IOException("the checkpoint has messages in journal cycle " + missing[0]
                + ", which is missing and was never deleted by retention");
        }
    }

    /**
     * Retention deletes a file only once nothing in it is pending, so a checkpointed message still in a deleted file
     * finished after the checkpoint, by an outcome that went with a deleted file too (or it was carried forward, and
     * the tail replay moved it already).
     */
    private static void dropDeleted(final PendingIndex index, final Journal journal)
    {
        final NavigableSet<Long> onDisk = journal.cyclesOnDisk();
        final int first = onDisk.isEmpty() ? Integer.MAX_VALUE : onDisk.first().intValue();
        final LongArrayList finished = index.before(first);
        for (int i = 0; i < finished.size(); i++)
        {
            index.forget(finished.getLong(i));
        }
        index.ledger().forgetBefore(first);
        if (!finished.isEmpty())
        {
            LOG.info("{} checkpointed messages finished in journal files retention has deleted since", finished.size());
        }
    }
}
