package io.sluice.spool;

import io.sluice.counters.EnumCounters;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Locale;

import org.agrona.concurrent.status.AtomicCounter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the operator sees of disk pressure: a log line when it begins and when it ends, the time spent in it (a
 * counter over all episodes and a gauge for the current one), the free space, and an estimate of when new mail is
 * accepted again. Writer thread only; the figures are published through the spool's counters.
 *
 * <p>The estimate: the pending bytes the drain must still finish before retention can free enough (see
 * {@link #estimateMs}), divided by the rate at which it has finished pending bytes since the episode began. Unknown
 * (-1) until the drain has finished something; 0 once retention alone can reopen.
 */
final class DiskPressureMonitor
{
    private static final Logger LOG = LoggerFactory.getLogger(DiskPressureMonitor.class);

    private final Path directory;
    private final DiskGuard guard;
    private final PendingIndex index;
    private final Clock clock;
    private final double liveRatio;
    private final AtomicCounter episodes;
    private final AtomicCounter totalMs;
    private final AtomicCounter currentMs;
    private final AtomicCounter etaMs;
    private final AtomicCounter freeBytes;
    private final AtomicCounter refusedDisk;
    private boolean underPressure;
    private long startedMs;
    private long countedUntilMs;
    private long pendingBytesAtStart;
    private long refusedAtStart;

    DiskPressureMonitor(final SpoolContext context, final DiskGuard guard, final PendingIndex index,
        final EnumCounters<SpoolCounter> counters)
    {
        this.directory = context.directory();
        this.guard = guard;
        this.index = index;
        this.clock = context.clock();
        this.liveRatio = context.compactionLiveRatio();
        this.episodes = counters.counter(SpoolCounter.DISK_PRESSURE_EPISODES);
        this.totalMs = counters.counter(SpoolCounter.DISK_PRESSURE_MS);
        this.currentMs = counters.counter(SpoolCounter.DISK_PRESSURE_CURRENT_MS);
        this.etaMs = counters.counter(SpoolCounter.DISK_PRESSURE_ETA_MS);
        this.freeBytes = counters.counter(SpoolCounter.DISK_FREE_BYTES);
        this.refusedDisk = counters.counter(SpoolCounter.APPENDS_REFUSED_DISK);
        update();
    }

    /** Notices a change of state at once; cheap enough for every duty cycle (one volatile read). */
    void observe()
    {
        if (underPressure == guard.isAcceptingMessages())
        {
            update();
        }
    }

    /** Refreshes every figure; the writer calls this on each maintenance. */
    void update()
    {
        final long nowMs = clock.millis();
        final boolean pressure = !guard.isAcceptingMessages();
        freeBytes.setOrdered(guard.usableBytes());
        final boolean began = pressure && !underPressure;
        if (began)
        {
            begin(nowMs);
        }
        if (underPressure)
        {
            totalMs.getAndAdd(Math.max(0, nowMs - countedUntilMs));
            countedUntilMs = Math.max(countedUntilMs, nowMs);
            currentMs.setOrdered(Math.max(0, nowMs - startedMs));
            etaMs.setOrdered(pressure ? estimateMs(nowMs) : 0);
        }
        if (began)
        {
            // Counted last, so whoever sees the new episode also sees its figures.
            episodes.increment();
        }
        if (!pressure && underPressure)
        {
            end(nowMs);
        }
    }

    private void begin(final long nowMs)
    {
        underPressure = true;
        startedMs = nowMs;
        countedUntilMs = nowMs;
        pendingBytesAtStart = index.pendingBytes();
        refusedAtStart = refusedDisk.get();
        LOG.warn("disk pressure began: {} free on {}, down to the reserve of {}; new mail is refused (452 4.3.1) until {}"
                + " more are free. The spool frees space as the drain finishes its {} pending messages ({})",
            mib(guard.usableBytes()), directory, mib(guard.reserveBytes()), mib(guard.shortfallBytes()), index.size(),
            mib(index.pendingBytes()));
    }

    private void end(final long nowMs)
    {
        underPressure = false;
        currentMs.setOrdered(0);
        etaMs.setOrdered(0);
        LOG.info("disk pressure ended after {} ms: {} free on {}, new mail is accepted again; {} appends refused since it began,"
                + " {} messages still pending", nowMs - startedMs, mib(guard.usableBytes()), directory,
            refusedDisk.get() - refusedAtStart, index.size());
    }

    /**
     * Space returns when retention deletes files, which it does once their pending records are no more than the
     * compaction ratio of them, and what that frees (written less the live records it copies forward) must cover
     * the shortfall. So the drain has to bring the journal's live bytes down to the lower of those two marks.
     */
    private long estimateMs(final long nowMs)
    {
        final CycleLedger ledger = index.ledger();
        final long written = ledger.writtenBytesTotal();
        final long live = ledger.liveBytesTotal();
        final long target = Math.min((long)(liveRatio * written), written - guard.shortfallBytes());
        final long missing = live - Math.max(0, target);
        if (missing <= 0)
        {
            return 0;
        }
        final long finished = pendingBytesAtStart - index.pendingBytes();
        final long elapsedMs = nowMs - startedMs;
        if (finished <= 0 || elapsedMs <= 0)
        {
            return -1;
        }
        return (long)Math.ceil((double)missing * elapsedMs / finished);
    }

    private static String mib(final long bytes)
    {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (double)(1 << 20));
    }
}
