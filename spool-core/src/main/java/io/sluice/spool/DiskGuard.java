package io.sluice.spool;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Keeps Chronicle off a full disk. Chronicle maps its files and the JVM dies of SIGBUS when a mapped page
 * cannot be backed (Chronicle Queue issue #1282), so the spool refuses new messages while free space is
 * under the reserve, and resumes by itself when space returns.
 *
 * <p>Free space is asked of the filesystem at most once per check interval; in between, what the writer
 * wrote since is subtracted, so a burst cannot overrun the reserve between two checks. Writer thread only,
 * except {@link #isAcceptingMessages()}.
 */
final class DiskGuard
{
    private final FileStore store;
    private final long reserveBytes;
    private final long checkIntervalNs;
    private long usableAtCheck;
    private long writtenSinceCheck;
    private long lastCheckNs;
    private volatile boolean acceptingMessages = true;

    DiskGuard(final Path directory, final long reserveBytes, final long checkIntervalMs)
    {
        try
        {
            this.store = Files.getFileStore(directory);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot stat the spool filesystem at " + directory, ex);
        }
        this.reserveBytes = reserveBytes;
        this.checkIntervalNs = TimeUnit.MILLISECONDS.toNanos(checkIntervalMs);
        refresh(System.nanoTime());
    }

    private void refresh(final long nowNs)
    {
        try
        {
            usableAtCheck = store.getUsableSpace();
        }
        catch (final IOException ex)
        {
            // Unknown free space must not be read as plenty.
            usableAtCheck = 0;
        }
        writtenSinceCheck = 0;
        lastCheckNs = nowNs;
        acceptingMessages = usableAtCheck > reserveBytes;
    }

    /** Re-reads free space if the interval has passed; the writer calls this on each duty cycle. */
    void poll()
    {
        final long nowNs = System.nanoTime();
        if (nowNs - lastCheckNs >= checkIntervalNs)
        {
            refresh(nowNs);
        }
    }

    /** @return true if a new message of {@code bytes} may be written without cutting into the reserve. */
    boolean admitMessage(final long bytes)
    {
        poll();
        final boolean admit = usableAtCheck - writtenSinceCheck - bytes >= reserveBytes;
        if (!admit)
        {
            acceptingMessages = false;
        }
        return admit;
    }

    /**
     * Outcome and carry-forward records free space, so they may use the lower half of the reserve; past
     * that even they wait, because a crashed JVM frees nothing.
     */
    boolean admitMaintenance(final long bytes)
    {
        poll();
        return usableAtCheck - writtenSinceCheck - bytes >= reserveBytes / 2;
    }

    void written(final long bytes)
    {
        writtenSinceCheck += bytes;
    }

    /** @return false while free space is under the reserve; readable from any thread (SMTP backpressure). */
    boolean isAcceptingMessages()
    {
        return acceptingMessages;
    }
}
