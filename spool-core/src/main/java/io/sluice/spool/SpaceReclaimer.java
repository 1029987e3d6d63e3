package io.sluice.spool;

import io.sluice.counters.EnumCounters;
import org.agrona.concurrent.status.AtomicCounter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The way out of disk pressure. Retention deletes a journal file only once a newer one exists, and Chronicle
 * starts a newer one only when the clock says so and something is written: on a full disk that refuses every
 * write, the file the drain has emptied would stay forever. So while the spool is under disk pressure, the newest
 * file is closed early as soon as little of it is still pending (no more than the compaction ratio, as
 * retention's carry-forward asks) and enough of it is finished to be worth it; retention then copies its few
 * pending messages forward and deletes it, and the space returns without an operator, a restart or the clock.
 * Writer thread only.
 */
final class SpaceReclaimer
{
    private static final Logger LOG = LoggerFactory.getLogger(SpaceReclaimer.class);
    /** Room asked for the new file's header and first index pages: measured at 12 KiB on tmpfs (JournalRollTest), so ample. */
    static final long ROLL_COST_BYTES = 256L << 10;
    /** An early roll must win back at least this share of the reserve (a sixteenth), or it is not worth a file. */
    private static final int WORTH_SHIFT = 4;

    private final Journal journal;
    private final CycleLedger ledger;
    private final DiskGuard guard;
    private final double liveRatio;
    private final long worthBytes;
    private final AtomicCounter rolledEarly;

    SpaceReclaimer(final SpoolContext context, final Journal journal, final CycleLedger ledger, final DiskGuard guard,
        final EnumCounters<SpoolCounter> counters)
    {
        this.journal = journal;
        this.ledger = ledger;
        this.guard = guard;
        this.liveRatio = context.compactionLiveRatio();
        this.worthBytes = context.diskReserveBytes() >> WORTH_SHIFT;
        this.rolledEarly = counters.counter(SpoolCounter.CYCLES_ROLLED_EARLY);
    }

    /**
     * Under disk pressure, closes the newest journal file early if that lets retention free space.
     *
     * @return the bytes of the record that opened the new file, or 0 if nothing was written.
     */
    long reclaim()
    {
        if (guard.isAcceptingMessages())
        {
            return 0;
        }
        final int current = journal.lastWrittenCycle();
        if (current == Journal.NO_CYCLE)
        {
            return 0;
        }
        final long written = ledger.writtenBytes(current);
        final long live = ledger.liveBytes(current);
        if (written - live < worthBytes || live > liveRatio * written || !guard.admitMaintenance(ROLL_COST_BYTES))
        {
            return 0;
        }
        final int next = journal.roll();
        final long bytes = journal.lastWriteBytes();
        guard.written(ROLL_COST_BYTES);
        ledger.written(next, bytes);
        rolledEarly.increment();
        LOG.info("disk pressure: journal cycle {} closed early for cycle {} so that retention can delete it"
            + " ({} of its {} bytes still pending)", current, next, live, written);
        return bytes;
    }
}
