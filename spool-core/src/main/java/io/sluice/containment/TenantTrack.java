package io.sluice.containment;

import java.util.Arrays;

/**
 * One tenant's sliding window and learned normal rate, and its containment state.
 *
 * <p>The window is {@code slots} slots on the monotonic clock; a slot is reused in place when its time comes round
 * again. Before a slot is reused, every closed slot not yet learned is folded into the normal rate, an exponentially
 * weighted moving average of the per-slot rate (per minute) with the configured half-life; empty slots count as
 * zero, so a tenant that goes quiet is forgotten slowly. The average is bias-corrected (divided by the weight its
 * samples carry so far, as Adam's moments are): an average that starts from zero would take a new tenant for a
 * near-silent one for hours, and its first ordinary mailing for a surge.
 *
 * <p>Learning happens only while the tenant is {@link TenantState#NORMAL}. Once the tenant has
 * {@link ContainmentContext#SURGE_WARMUP_MS} of history, each sample counts for at most {@link #LEARNING_CAP} times
 * the current normal rate: neither a held flood nor the slots of it before the hold can teach containment that a
 * flood is normal. During the warm-up samples count as they are, so the baseline is the tenant's real level, and the
 * volume rule does not apply yet ({@link #isBaselineEstablished()}).
 *
 * <p>Counting methods are thread-safe ({@code synchronized} on the track, held for the arithmetic of one slot); the
 * state fields are written under {@link Containment}'s control lock and read anywhere ({@code volatile}).
 */
final class TenantTrack
{
    /**
     * A slot's rate counts for at most this multiple of the current normal rate. Without the cap, the slots of a surge
     * that close before the hold raise the baseline, and with it the threshold, while the surge is being judged: with
     * a one-hour half-life a 12x surge capped only at 10x moved the baseline 50% in five minutes and was never held.
     * At 2x, a tenant's real growth is still learned, at most doubling per half-life or so.
     */
    static final double LEARNING_CAP = 2.0;

    final String tenant;
    private final long slotNs;
    private final int slots;
    private final double alpha;
    private final double floorPerMinute;
    private final long[] epochs;
    private final long[] messages;
    private final long[] verdicts;
    private final long[] permanent;
    private final long[] policy;
    private final long warmupSlots;
    /** The raw exponentially weighted average, biased towards zero while its history is short ({@link #corrected}). */
    private double normalPerMinute;
    /** Slots folded into the average while the tenant was normal: its history, in slots. */
    private long learnedSlots;
    private long learnedEpoch;

    volatile TenantState state = TenantState.NORMAL;
    volatile HoldReason reason;
    volatile long sinceMillis;
    volatile String note = "";

    TenantTrack(final String tenant, final ContainmentContext context, final long nowNs)
    {
        this.tenant = tenant;
        this.slots = context.windowSlots();
        this.slotNs = context.windowMs() * 1_000_000L / slots;
        final double slotMs = (double)context.windowMs() / slots;
        // Per slot, the old average keeps 2^(-slot/halfLife) of its weight.
        this.alpha = 1 - Math.pow(2, -slotMs / context.baselineHalfLifeMs());
        this.floorPerMinute = context.normalRateFloorPerMinute();
        this.warmupSlots = (long)Math.ceil(context.surgeWarmupMs() / slotMs);
        epochs = new long[slots];
        Arrays.fill(epochs, Long.MIN_VALUE);
        messages = new long[slots];
        verdicts = new long[slots];
        permanent = new long[slots];
        policy = new long[slots];
        learnedEpoch = Math.floorDiv(nowNs, slotNs) - 1;
    }

    synchronized void accepted(final long nowNs, final long count)
    {
        messages[slot(nowNs)] += count;
    }

    synchronized void verdict(final long nowNs, final boolean isPermanent, final boolean isPolicy)
    {
        final int index = slot(nowNs);
        verdicts[index]++;
        if (isPermanent)
        {
            permanent[index]++;
        }
        if (isPolicy)
        {
            policy[index]++;
        }
    }

    /** @return the figures over the window now, after learning from every slot that closed. */
    synchronized ContainmentFigures figures(final long nowNs, final long windowMs)
    {
        final long current = advance(nowNs);
        long sumMessages = 0;
        long sumVerdicts = 0;
        long sumPermanent = 0;
        long sumPolicy = 0;
        for (int i = 0; i < slots; i++)
        {
            if (epochs[i] > current - slots && epochs[i] <= current)
            {
                sumMessages += messages[i];
                sumVerdicts += verdicts[i];
                sumPermanent += permanent[i];
                sumPolicy += policy[i];
            }
        }
        return new ContainmentFigures(windowMs, sumMessages, sumMessages * 60_000.0 / windowMs, normalRate(),
            sumVerdicts, sumPermanent, sumPolicy, isBaselineEstablished());
    }

    /** @return the learned normal rate (bias-corrected), never below the floor. */
    synchronized double normalRate()
    {
        return Math.max(corrected(), floorPerMinute);
    }

    /**
     * Guarded by {@code this}. During the warm-up the average is divided by the weight its samples carry,
     * 1 - (1 - alpha)^slots: the plain average of what the tenant sent so far. At the end of the warm-up that value
     * becomes the average itself ({@link #establish()}), the usual way to start a moving average, so afterwards one
     * slot never moves the baseline by more than alpha of the difference, however short the warm-up was.
     *
     * @return the learned average; 0 before any sample.
     */
    private double corrected()
    {
        if (learnedSlots >= warmupSlots)
        {
            return normalPerMinute;
        }
        final double weight = 1 - Math.pow(1 - alpha, learnedSlots);
        return weight > 0 ? normalPerMinute / weight : 0;
    }

    /** @return true once the tenant has the warm-up's worth of history: the volume rule may judge it. */
    synchronized boolean isBaselineEstablished()
    {
        return learnedSlots >= warmupSlots;
    }

    /** @return the learned average without the floor: what the state file keeps. */
    synchronized double learnedPerMinute()
    {
        return corrected();
    }

    /** @return how much history the learned average has, in ms: what the state file keeps beside it. */
    synchronized long historyMs()
    {
        return learnedSlots >= Long.MAX_VALUE / slotNs ? Long.MAX_VALUE : learnedSlots * (slotNs / 1000) / 1000;
    }

    /**
     * Restores the learned average and its history from the state file.
     *
     * @param historyMs {@link Long#MAX_VALUE} for a file that did not record it: taken as fully learned.
     */
    synchronized void restoreLearned(final double perMinute, final long historyMs)
    {
        learnedSlots = historyMs >= Long.MAX_VALUE / 1_000_000L
            ? Long.MAX_VALUE / 2 : Math.round(historyMs * 1_000_000.0 / slotNs);
        normalPerMinute = learnedSlots >= warmupSlots ? perMinute : perMinute * (1 - Math.pow(1 - alpha, learnedSlots));
    }

    /** Forgets the window (an operator released the tenant: what it did before the hold is judged already). */
    synchronized void clearWindow(final long nowNs)
    {
        advance(nowNs);
        Arrays.fill(epochs, Long.MIN_VALUE);
        Arrays.fill(messages, 0);
        Arrays.fill(verdicts, 0);
        Arrays.fill(permanent, 0);
        Arrays.fill(policy, 0);
    }

    /** @return true when the window holds nothing and the learned rate is negligible: the track may go. */
    synchronized boolean isIdle(final long nowNs)
    {
        final long current = advance(nowNs);
        for (int i = 0; i < slots; i++)
        {
            if (epochs[i] > current - slots && (messages[i] | verdicts[i]) != 0)
            {
                return false;
            }
        }
        return normalPerMinute < 0.01;
    }

    /** Guarded by {@code this}. @return the index of the current slot, reset if it held an older one. */
    private int slot(final long nowNs)
    {
        final long epoch = advance(nowNs);
        final int index = (int)Math.floorMod(epoch, (long)slots);
        if (epochs[index] != epoch)
        {
            epochs[index] = epoch;
            messages[index] = 0;
            verdicts[index] = 0;
            permanent[index] = 0;
            policy[index] = 0;
        }
        return index;
    }

    /** Guarded by {@code this}. Folds every closed, unlearned slot into the normal rate. @return the current epoch. */
    private long advance(final long nowNs)
    {
        final long current = Math.floorDiv(nowNs, slotNs);
        final long closed = current - 1;
        if (closed <= learnedEpoch)
        {
            return current;
        }
        if (state == TenantState.NORMAL)
        {
            learn(learnedEpoch + 1, closed);
        }
        learnedEpoch = closed;
        return current;
    }

    /**
     * Guarded by {@code this}. Folds the slots {@code from..to} into the normal rate in time order. Only slots still
     * in the ring carry a count; the others are zeros, folded in closed form, so a tenant idle for a week costs no
     * week of iterations.
     */
    private void learn(final long from, final long to)
    {
        final long[] order = new long[slots];
        int found = 0;
        for (int i = 0; i < slots; i++)
        {
            if (epochs[i] >= from && epochs[i] <= to)
            {
                int at = found++;
                while (at > 0 && order[at - 1] > epochs[i])
                {
                    order[at] = order[at - 1];
                    at--;
                }
                order[at] = epochs[i];
            }
        }
        final double perMinute = 60_000_000_000.0 / slotNs;
        long next = from;
        for (int k = 0; k < found; k++)
        {
            final long epoch = order[k];
            foldEmpty(epoch - next);
            final double sample = messages[(int)Math.floorMod(epoch, (long)slots)] * perMinute;
            final double cap = isBaselineEstablished()
                ? LEARNING_CAP * Math.max(corrected(), floorPerMinute) : Double.POSITIVE_INFINITY;
            foldSample(Math.min(sample, cap));
            next = epoch + 1;
        }
        foldEmpty(to + 1 - next);
    }

    /** Guarded by {@code this}. Folds {@code count} empty slots, in closed form. */
    private void foldEmpty(final long count)
    {
        final long untilEstablished = warmupSlots - learnedSlots;
        if (untilEstablished > 0 && count >= untilEstablished)
        {
            decay(untilEstablished);
            establish();
            decay(count - untilEstablished);
        }
        else
        {
            decay(count);
        }
    }

    private void decay(final long count)
    {
        if (count > 0)
        {
            normalPerMinute *= Math.pow(1 - alpha, count);
            learnedSlots = learnedSlots > Long.MAX_VALUE / 2 - count ? Long.MAX_VALUE / 2 : learnedSlots + count;
        }
    }

    /** Guarded by {@code this}. Folds one slot's rate. */
    private void foldSample(final double sample)
    {
        normalPerMinute += alpha * (sample - normalPerMinute);
        learnedSlots = Math.min(learnedSlots + 1, Long.MAX_VALUE / 2);
        if (learnedSlots == warmupSlots)
        {
            establish();
        }
    }

    /** Guarded by {@code this}. The warm-up is over: its plain average becomes the moving average's value. */
    private void establish()
    {
        final double weight = 1 - Math.pow(1 - alpha, learnedSlots);
        if (weight > 0)
        {
            normalPerMinute /= weight;
        }
    }
}
