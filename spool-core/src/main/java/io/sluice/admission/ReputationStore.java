package io.sluice.admission;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

import io.sluice.config.AtomicFiles;
import org.agrona.concurrent.status.AtomicCounter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the {@link ReputationTable} across restarts in its own file ({@link ReputationStateFile}), apart from the
 * bucket state: reputation is learnt over hours and worth more than a bucket's few seconds, and a table of a million
 * networks is too big to write every few seconds with the buckets. A file that cannot be read is reported, counted,
 * moved aside to {@code <name>.corrupt}, and reputation starts clean: a bad file never stops the appliance.
 */
final class ReputationStore
{
    private static final Logger LOG = LoggerFactory.getLogger(ReputationStore.class);
    /** Written at most this often (and at close): at a million keys the file is some 55 MB. */
    static final long SAVE_INTERVAL_MS = 60_000;

    private final ReputationTable table;
    private final Path file;
    private final Clock clock;
    private final AtomicCounter failures;
    /** Guarded by the caller's snapshot lock. */
    private long lastSaveMillis = Long.MIN_VALUE;

    ReputationStore(final ReputationTable table, final Path file, final Clock clock, final AtomicCounter failures)
    {
        this.table = table;
        this.file = file;
        this.clock = clock;
        this.failures = failures;
    }

    ReputationTable table()
    {
        return table;
    }

    void restore()
    {
        if (file == null || !Files.exists(file))
        {
            return;
        }
        final List<ReputationStateFile.SavedEntry> saved;
        try
        {
            saved = ReputationStateFile.read(file);
        }
        catch (final IOException | RuntimeException ex)
        {
            failures.increment();
            LOG.warn("admission: reputation file {} is unreadable ({}); starting with no reputation, file moved to {}",
                file, ex.toString(), file.resolveSibling(file.getFileName() + ".corrupt"));
            AtomicFiles.setAside(file, "admission", LOG);
            return;
        }
        final int restored = table.restore(saved);
        LOG.info("admission: restored the reputation of {} addresses and networks from {}{}", restored, file,
            restored < saved.size() ? " (" + (saved.size() - restored) + " of another network prefix length skipped)" : "");
    }

    /**
     * Writes the file if {@link #SAVE_INTERVAL_MS} passed since the last write, or if {@code force}; without a file,
     * drops entries decayed to nothing. Call under the snapshot lock.
     *
     * @throws UncheckedIOException if the file could not be written; the previous one is left as it was.
     */
    void snapshot(final boolean force)
    {
        final long nowMillis = clock.millis();
        if (file == null)
        {
            table.sweep(nowMillis);
            return;
        }
        if (!force && lastSaveMillis != Long.MIN_VALUE && nowMillis - lastSaveMillis < SAVE_INTERVAL_MS)
        {
            return;
        }
        try
        {
            table.save(file, nowMillis);
            lastSaveMillis = nowMillis;
        }
        catch (final IOException ex)
        {
            failures.increment();
            LOG.warn("admission: cannot write reputation file {}: {}", file, ex.toString());
            throw new UncheckedIOException(ex);
        }
    }
}
