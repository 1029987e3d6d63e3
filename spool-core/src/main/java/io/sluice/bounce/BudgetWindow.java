package io.sluice.bounce;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Messages accepted and bounces allowed over a sliding window of {@value #SLOTS} slots on the monotonic clock. A
 * slot is reused in place when its time comes round again, so nothing is rotated or allocated; the window read
 * covers the current slot and the {@code SLOTS - 1} before it, i.e. between 59/60 of the window and all of it.
 *
 * <p>NOT thread-safe: guarded by the {@link BouncePolicy}'s lock.
 */
final class BudgetWindow
{
    static final int SLOTS = 60;

    private final long slotNs;
    private final long[] epochs = new long[SLOTS];
    private final long[] accepted = new long[SLOTS];
    private final long[] sent = new long[SLOTS];

    BudgetWindow(final long windowMs)
    {
        slotNs = Math.max(1, TimeUnit.MILLISECONDS.toNanos(windowMs) / SLOTS);
        Arrays.fill(epochs, Long.MIN_VALUE);
    }

    private int slot(final long nowNs)
    {
        final long epoch = Math.floorDiv(nowNs, slotNs);
        final int index = (int)Math.floorMod(epoch, (long)SLOTS);
        if (epochs[index] != epoch)
        {
            epochs[index] = epoch;
            accepted[index] = 0;
            sent[index] = 0;
        }
        return index;
    }

    void accepted(final long nowNs, final long messages)
    {
        accepted[slot(nowNs)] += messages;
    }

    void sent(final long nowNs)
    {
        sent[slot(nowNs)]++;
    }

    long acceptedInWindow(final long nowNs)
    {
        return sum(accepted, nowNs);
    }

    long sentInWindow(final long nowNs)
    {
        return sum(sent, nowNs);
    }

    /** Calls {@code sink} with each live slot's age (ns since its start), accepted and sent counts. */
    void forEach(final long nowNs, final SlotSink sink)
    {
        final long current = Math.floorDiv(nowNs, slotNs);
        for (int i = 0; i < SLOTS; i++)
        {
            if (epochs[i] > current - SLOTS && epochs[i] <= current && (accepted[i] | sent[i]) != 0)
            {
                sink.slot(nowNs - epochs[i] * slotNs, accepted[i], sent[i]);
            }
        }
    }

    /** Adds counts saved with {@link #forEach} to the slot that started {@code ageNs} before now, if still in the window. */
    void restore(final long nowNs, final long ageNs, final long acceptedCount, final long sentCount)
    {
        final long epoch = Math.floorDiv(nowNs - ageNs, slotNs);
        if (ageNs < 0 || epoch <= Math.floorDiv(nowNs, slotNs) - SLOTS)
        {
            return;
        }
        final int index = (int)Math.floorMod(epoch, (long)SLOTS);
        if (epochs[index] > epoch)
        {
            return;
        }
        if (epochs[index] != epoch)
        {
            epochs[index] = epoch;
            accepted[index] = 0;
            sent[index] = 0;
        }
        accepted[index] += acceptedCount;
        sent[index] += sentCount;
    }

    /** Receives one budget slot. */
    interface SlotSink
    {
        void slot(long ageNs, long acceptedCount, long sentCount);
    }

    private long sum(final long[] counts, final long nowNs)
    {
        final long current = Math.floorDiv(nowNs, slotNs);
        long total = 0;
        for (int i = 0; i < SLOTS; i++)
        {
            if (epochs[i] > current - SLOTS && epochs[i] <= current)
            {
                total += counts[i];
            }
        }
        return total;
    }
}
