package io.sluice.spool;

import io.sluice.config.AtomicFiles;
import io.sluice.counters.EnumCounters;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.status.AtomicCounter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the pending-index checkpoint for the journal writer: every {@code spool.checkpointIntervalMs} between batches
 * when the journal has moved, and at a clean stop. Writer thread only.
 *
 * <p>The writer waits while it writes (measured in benchmarks/results/2026-12-06-vm-session5-offheap/): appends queue
 * meanwhile, none is refused. A checkpoint is skipped, never half-written, when the last msync failed (the journal may
 * not hold what the index reflects), when a message's state is only on the heap (salvaged from a damaged file, until
 * it is written forward), and when free space would fall under the disk reserve.
 */
final class IndexCheckpointer
{
    private static final Logger LOG = LoggerFactory.getLogger(IndexCheckpointer.class);

    private final Path file;
    private final Journal journal;
    private final PendingIndex index;
    private final DiskGuard diskGuard;
    private final long intervalNs;
    private final AtomicCounter written;
    private final AtomicCounter failures;
    private long lastNs;
    private long lastPosition;
    private boolean warnedResident;

    IndexCheckpointer(final SpoolContext context, final Journal journal, final PendingIndex index, final DiskGuard diskGuard,
        final EnumCounters<SpoolCounter> counters, final long checkpointPosition)
    {
        this.file = IndexRecovery.checkpointFile(context);
        this.journal = journal;
        this.index = index;
        this.diskGuard = diskGuard;
        this.intervalNs = TimeUnit.MILLISECONDS.toNanos(context.checkpointIntervalMs());
        this.written = counters.counter(SpoolCounter.INDEX_CHECKPOINTS);
        this.failures = counters.counter(SpoolCounter.INDEX_CHECKPOINT_FAILURES);
        this.lastNs = System.nanoTime();
        // Long.MIN_VALUE after a full replay: the next checkpoint is written whatever the position.
        this.lastPosition = checkpointPosition;
    }

    /** @return the index of the last record in the journal (written now, or found by recovery). */
    private long position(final long recoveredPosition)
    {
        return journal.lastIndexAppended() >= 0 ? journal.lastIndexAppended() : recoveredPosition;
    }

    /** Writes a checkpoint if one is due. */
    void maybeWrite(final long nowNs, final long recoveredPosition, final long maxMessageId, final boolean lastSyncOk)
    {
        if (intervalNs > 0 && nowNs - lastNs >= intervalNs)
        {
            lastNs = nowNs;
            write(recoveredPosition, maxMessageId, lastSyncOk);
        }
    }

    /**
     * Writes a checkpoint now unless the journal has not moved since the last one.
     *
     * @return true if one was written.
     */
    boolean write(final long recoveredPosition, final long maxMessageId, final boolean lastSyncOk)
    {
        final long position = position(recoveredPosition);
        if (position == lastPosition || !lastSyncOk)
        {
            return false;
        }
        if (index.residents() > 0)
        {
            if (!warnedResident)
            {
                warnedResident = true;
                LOG.warn("pending-index checkpoint skipped while {} messages salvaged from damaged journal files are held"
                    + " on the heap; the next start replays the whole journal", index.residents());
            }
            return false;
        }
        final long estimate = 4096 + (long)index.size() * IndexChunk.ENTRY_BYTES;
        if (!diskGuard.admitOptional(estimate))
        {
            LOG.info("pending-index checkpoint skipped: {} bytes would cut into the disk reserve", estimate);
            return false;
        }
        final long startNs = System.nanoTime();
        try
        {
            final int crc = position < 0 ? 0 : journal.recordCrc(position);
            final long bytes = IndexCheckpoint.write(file, index, position, crc, maxMessageId);
            diskGuard.written(bytes);
            lastPosition = position;
            written.increment();
            LOG.info("pending-index checkpoint written: {} messages, {} bytes, in {} ms", index.size(), bytes,
                (System.nanoTime() - startNs) / 1_000_000);
            return true;
        }
        catch (final IOException | UncheckedIOException | IllegalStateException ex)
        {
            // The journal is the truth: without a checkpoint the next start only takes longer.
            failures.increment();
            LOG.error("pending-index checkpoint {} could not be written; the next start replays more journal", file, ex);
            try
            {
                Files.deleteIfExists(AtomicFiles.temporarySibling(file));
            }
            catch (final IOException ignored)
            {
                // Left for the next checkpoint to overwrite.
            }
            return false;
        }
    }
}
