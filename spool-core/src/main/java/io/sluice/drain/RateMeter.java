package io.sluice.drain;

import java.util.Arrays;

/**
 * Events per second over a sliding window of ten slots, on the scheduler's own time. Single-threaded.
 */
final class RateMeter
{
    private static final int SLOTS = 10;

    private final long slotNanos;
    private final long startNanos;
    private final long[] slotIds = new long[SLOTS];
    private final long[] counts = new long[SLOTS];

    RateMeter(final long windowNanos, final long startNanos)
    {
        this.slotNanos = Math.max(1, windowNanos / SLOTS);
        this.startNanos = startNanos;
        Arrays.fill(slotIds, Long.MIN_VALUE);
    }

    void record(final long nowNanos, final long events)
    {
        final long id = Math.floorDiv(nowNanos, slotNanos);
        final int slot = (int)Math.floorMod(id, (long)SLOTS);
        if (slotIds[slot] != id)
        {
            slotIds[slot] = id;
            counts[slot] = 0;
        }
        counts[slot] += events;
    }

    /**
     * @return events per second over the window ending now (over the time since the meter started, if shorter),
     *         counting the current slot as far as it has elapsed.
     */
    double ratePerSec(final long nowNanos)
    {
        final long id = Math.floorDiv(nowNanos, slotNanos);
        long sum = 0;
        for (int i = 0; i < SLOTS; i++)
        {
            if (slotIds[i] > id - SLOTS && slotIds[i] <= id)
            {
                sum += counts[i];
            }
        }
        final long covered = Math.min((SLOTS - 1) * slotNanos + (nowNanos - id * slotNanos), nowNanos - startNanos);
        return covered <= 0 ? 0 : sum * 1e9 / covered;
    }
}
