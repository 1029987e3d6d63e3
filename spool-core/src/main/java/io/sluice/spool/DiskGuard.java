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
 * under the reserve: the spool is then under <em>disk pressure</em>, which the journal writer works to end
 * (see {@link SpaceReclaimer}), and which ends by itself once free space is back above the reserve by a
 * margin, so that a full disk alternates between accepting and refusing in steps rather than per message.
 *
 * <p>The reserve is shared out in tiers, so what frees space always finds room: new messages stop at the
 * reserve, the spool's own maintenance (an early roll, carried-forward copies) at half of it, outcome records
 * at a quarter of it. Past that even outcomes wait, because a crashed JVM frees nothing.
 *
 * <p>Free space is asked of the filesystem at most once per check interval; in between, what the writer
 * wrote since is subtracted, so a burst cannot overrun the reserve between two checks. Writer thread only,
 * except the volatile readers {@link #isAcceptingMessages()} and {@link #usableBytes()}.
 */
final class DiskGuard
{
    /** Free space must be back above the reserve by this share of it (an eighth) before new mail is taken again. */
    private static final int RESUME_MARGIN_SHIFT = 3;

    private final FileStore store;
    private final long reserveBytes;
    private final long resumeBytes;
    private final long checkIntervalNs;
    private long usableAtCheck;
    private long writtenSinceCheck;
    private long lastCheckNs;
    private volatile long usableBytes;
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
        this.resumeBytes = reserveBytes + (reserveBytes >> RESUME_MARGIN_SHIFT);
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
        usableBytes = usableAtCheck;
        acceptingMessages = acceptingMessages ? usableAtCheck > reserveBytes : usableAtCheck >= resumeBytes;
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

    /** Re-reads free space now: the writer has just deleted a file, so the figure is stale. */
    void refreshNow()
    {
        refresh(System.nanoTime());
    }

    /** @return true if a new message of {@code bytes} may be written without cutting into the reserve. */
    boolean admitMessage(final long bytes)
    {
        poll();
        final boolean admit = acceptingMessages && usableAtCheck - writtenSinceCheck - bytes >= reserveBytes;
        if (!admit)
        {
            acceptingMessages = false;
        }
        return admit;
    }

    /** @return true if something the spool can do without (a checkpoint) may take {@code bytes}: never the reserve. */
    boolean admitOptional(final long bytes)
    {
        return acceptingMessages && admitAbove(bytes, reserveBytes);
    }

    /** The spool's own maintenance (an early roll, carried-forward copies) may use the upper half of the reserve. */
    boolean admitMaintenance(final long bytes)
    {
        return admitAbove(bytes, reserveBytes / 2);
    }

    /**
     * Outcome records are what let a full spool drain, and so free space: they may go down to a quarter of the
     * reserve, below what maintenance may use, so carrying messages forward can never take their room.
     */
    boolean admitOutcome(final long bytes)
    {
        return admitAbove(bytes, reserveBytes / 4);
    }

    private boolean admitAbove(final long bytes, final long floorBytes)
    {
        poll();
        return usableAtCheck - writtenSinceCheck - bytes >= floorBytes;
    }

    void written(final long bytes)
    {
        writtenSinceCheck += bytes;
    }

    /** @return bytes that must become free before new mail is taken again; 0 while it is taken. */
    long shortfallBytes()
    {
        return acceptingMessages ? 0 : Math.max(0, resumeBytes - (usableAtCheck - writtenSinceCheck));
    }

    long reserveBytes()
    {
        return reserveBytes;
    }

    /** @return free space at the last check, readable from any thread. */
    long usableBytes()
    {
        return usableBytes;
    }

    /** @return false while free space is under the reserve (disk pressure); readable from any thread (SMTP backpressure). */
    boolean isAcceptingMessages()
    {
        return acceptingMessages;
    }
}
