package io.sluice.spool;

import io.sluice.config.AtomicFiles;
import io.sluice.counters.EnumCounters;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.status.AtomicCounter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the pending-index checkpoint for the journal writer: every {@code spool.checkpointIntervalMs} when the journal
 * has moved, and at a clean stop. Called on the writer thread only.
 *
 * <p>The writer does not wait while the entries are written: between two batches it takes down the journal position
 * and the bytes written per file ({@link IndexCheckpoint.Header}), and a short-lived thread copies the entries chunk
 * by chunk under their sequence locks into a temporary file while the writer goes on (see
 * {@link IndexCheckpoint#writeTemporary}). Once that file is whole and fsynced, the writer says at its next
 * maintenance whether its syncs since have all succeeded (every entry then reflects records that are durable), and the
 * thread moves the file into place, or deletes it.
 * Before, the writer waited for the whole write: about 0.1 s per million entries on the quiet VM, 0.9 s loaded
 * (benchmarks/results/2026-12-06-vm-session5-offheap/). At a clean stop the writer has ended and the checkpoint is
 * written directly.
 *
 * <p>A checkpoint is skipped, never half-written, when the last msync failed (the journal may not hold what the index
 * reflects), when a message's state is only on the heap (salvaged from a damaged file, until it is written forward),
 * and when free space would fall under the disk reserve.
 */
final class IndexCheckpointer
{
    private static final Logger LOG = LoggerFactory.getLogger(IndexCheckpointer.class);

    /**
     * A checkpoint on its own thread: it copies the entries into the temporary file, then waits for the writer's word
     * ({@link #confirm}) and moves the file into place, or deletes it. The rename and the directory's fsync are off
     * the writer's thread too.
     */
    private static final class Copy implements Runnable
    {
        final Path temporary;
        final Path file;
        final PendingIndex index;
        final IndexCheckpoint.Header header;
        final long startNs;
        final long writerNs;
        final Thread thread;
        private final CountDownLatch confirmed = new CountDownLatch(1);
        private volatile boolean placed;
        volatile IndexCheckpoint.Written written;
        volatile Throwable failure;
        /** The temporary file is whole (or failed): the writer may confirm. */
        volatile boolean copied;
        /** Moved into place, or given up. */
        volatile boolean done;
        long confirmNs;

        Copy(final Path temporary, final Path file, final PendingIndex index, final IndexCheckpoint.Header header,
            final long startNs, final long writerNs)
        {
            this.temporary = temporary;
            this.file = file;
            this.index = index;
            this.header = header;
            this.startNs = startNs;
            this.writerNs = writerNs;
            this.thread = new Thread(this, "sluice-index-checkpoint");
            this.thread.setDaemon(true);
        }

        /** Writer: every entry copied reflects durable records (the syncs since all succeeded), or not. */
        void confirm(final boolean durable)
        {
            placed = durable;
            confirmed.countDown();
        }

        @Override
        public void run()
        {
            try
            {
                written = IndexCheckpoint.writeTemporary(temporary, index, header);
                copied = true;
                confirmed.await();
                if (!placed)
                {
                    throw new IOException("a journal sync failed while it was copied");
                }
                AtomicFiles.moveIntoPlace(temporary, file);
            }
            catch (final IOException | RuntimeException ex)
            {
                failure = ex;
            }
            catch (final InterruptedException ex)
            {
                failure = ex;
                Thread.currentThread().interrupt();
            }
            finally
            {
                copied = true;
                done = true;
            }
        }
    }

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
    private Copy copy;

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

    /** Confirms or finishes a checkpoint copied meanwhile, or starts one if one is due. Between batches. */
    void maybeWrite(final long nowNs, final long recoveredPosition, final long maxMessageId, final boolean lastSyncOk)
    {
        if (copy != null)
        {
            if (copy.done)
            {
                finish();
            }
            else if (copy.copied && copy.confirmNs == 0)
            {
                final long confirmStartNs = System.nanoTime();
                copy.confirm(lastSyncOk);
                copy.confirmNs = System.nanoTime() - confirmStartNs;
            }
            return;
        }
        if (intervalNs > 0 && nowNs - lastNs >= intervalNs)
        {
            lastNs = nowNs;
            final long startNs = System.nanoTime();
            final IndexCheckpoint.Header header = header(recoveredPosition, maxMessageId, lastSyncOk);
            if (header != null)
            {
                copy = new Copy(AtomicFiles.temporarySibling(file), file, index, header, startNs, System.nanoTime() - startNs);
                copy.thread.start();
            }
        }
    }

    /** @return true while a checkpoint is being copied or placed (tests). */
    boolean isCopying()
    {
        return copy != null;
    }

    private void finish()
    {
        final Copy done = copy;
        copy = null;
        if (done.failure != null)
        {
            failed(done.failure);
            return;
        }
        written(done.header.position(), done.written, done.startNs, done.writerNs + done.confirmNs);
    }

    /**
     * Writes a checkpoint now unless the journal has not moved since the last one; with the writer stopped (a clean
     * stop, or tests), so the entries are exactly the journal up to the position. A copy still running is awaited and
     * dropped first.
     *
     * @return true if one was written.
     */
    boolean write(final long recoveredPosition, final long maxMessageId, final boolean lastSyncOk)
    {
        if (copy != null)
        {
            try
            {
                // Dropped: this checkpoint is newer.
                copy.confirm(false);
                copy.thread.join();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return false;
            }
            copy = null;
        }
        final long startNs = System.nanoTime();
        final IndexCheckpoint.Header header = header(recoveredPosition, maxMessageId, lastSyncOk);
        if (header == null)
        {
            return false;
        }
        final Path temporary = AtomicFiles.temporarySibling(file);
        try
        {
            final IndexCheckpoint.Written done = IndexCheckpoint.writeTemporary(temporary, index, header);
            AtomicFiles.moveIntoPlace(temporary, file);
            written(header.position(), done, startNs, -1);
            return true;
        }
        catch (final IOException | UncheckedIOException | IllegalStateException ex)
        {
            failed(ex);
            return false;
        }
    }

    /** @return what a checkpoint now would cover, or null if none is to be written. */
    private IndexCheckpoint.Header header(final long recoveredPosition, final long maxMessageId, final boolean lastSyncOk)
    {
        final long position = position(recoveredPosition);
        if (position == lastPosition || !lastSyncOk)
        {
            return null;
        }
        if (index.residents() > 0)
        {
            if (!warnedResident)
            {
                warnedResident = true;
                LOG.warn("pending-index checkpoint skipped while {} messages salvaged from damaged journal files are held"
                    + " on the heap; the next start replays the whole journal", index.residents());
            }
            return null;
        }
        final long estimate = 4096 + (long)index.size() * IndexChunk.ENTRY_BYTES;
        if (!diskGuard.admitOptional(estimate))
        {
            LOG.info("pending-index checkpoint skipped: {} bytes would cut into the disk reserve", estimate);
            return null;
        }
        try
        {
            return IndexCheckpoint.Header.of(index, position, position < 0 ? 0 : journal.recordCrc(position), maxMessageId);
        }
        catch (final IOException | RuntimeException ex)
        {
            failed(ex);
            return null;
        }
    }

    /** @param writerWaitNs what the writer spent on it, or -1 when the writer had stopped (a clean stop). */
    private void written(final long position, final IndexCheckpoint.Written done, final long startNs,
        final long writerWaitNs)
    {
        diskGuard.written(done.bytes());
        lastPosition = position;
        written.increment();
        LOG.info("pending-index checkpoint written: {} messages, {} bytes, in {} ms; {}", done.entries(), done.bytes(),
            (System.nanoTime() - startNs) / 1_000_000, writerWaitNs < 0 ? "the journal writer had stopped"
                : "the journal writer waited " + writerWaitNs / 1_000 + " us");
    }

    private void failed(final Throwable ex)
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
    }
}
