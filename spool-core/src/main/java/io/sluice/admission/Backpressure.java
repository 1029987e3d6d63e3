package io.sluice.admission;

import java.util.concurrent.atomic.AtomicBoolean;

import org.agrona.concurrent.status.AtomicCounter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backpressure from the spool with hysteresis: it turns on when the backlog or the oldest message's age goes
 * above its high watermark and stays on until both are at or below their low watermarks, so ingress does not flap
 * open and shut around one mark. Evaluated on each decision from the spool's cheap counters; thread-safe and
 * lock-free (the transition is a compare-and-set, so it is logged once).
 */
final class Backpressure
{
    private static final Logger LOG = LoggerFactory.getLogger(Backpressure.class);

    private final BacklogSizing watermarks;
    private final long ageHighMs;
    private final long ageLowMs;
    private final AtomicCounter activeGauge;
    private final AtomicBoolean on = new AtomicBoolean();

    Backpressure(final AdmissionContext context, final SpoolPressure pressure, final AtomicCounter activeGauge)
    {
        this.watermarks = new BacklogSizing(context, pressure);
        this.ageHighMs = context.oldestAgeHighWatermarkMs();
        this.ageLowMs = context.oldestAgeLowWatermarkMs();
        this.activeGauge = activeGauge;
    }

    /**
     * @param trusted whether the source holds the reserved share: it is refused only at the hard limit.
     * @return null to go ahead, else the refusal: {@link Verdict#BACKLOG_FULL} from the hard limit on, for every source
     *         (the spool can hold no more, whoever sends), else {@link Verdict#BACKPRESSURE} while it is on, for
     *         untrusted sources.
     */
    Decision refusal(final SpoolPressure pressure, final boolean trusted)
    {
        final long pending = pressure.pendingMessages();
        final BacklogWatermarks marks = watermarks.current();
        final long ageMs = pressure.oldestPendingAgeMillis();
        // Every decision updates the shared state, trusted ones too, so the hysteresis sees every sample.
        final boolean on = update(marks, pending, ageMs);
        if (pending >= marks.hardLimit())
        {
            return new Decision(Verdict.BACKLOG_FULL, 0,
                "backlog " + pending + " messages at the hard limit " + marks.hardLimit());
        }
        if (on && !trusted)
        {
            return new Decision(Verdict.BACKPRESSURE, 0,
                "backlog " + pending + " messages (high watermark " + marks.high() + "), oldest " + ageMs / 1000 + " s");
        }
        return null;
    }

    /** @return the watermarks in force (derived again when due). */
    BacklogWatermarks watermarks()
    {
        return watermarks.current();
    }

    private boolean update(final BacklogWatermarks marks, final long pending, final long ageMs)
    {
        final long backlogHigh = marks.high();
        final long backlogLow = marks.low();
        final boolean ageHigh = ageHighMs > 0 && ageMs > ageHighMs;
        if (!on.get())
        {
            if ((pending > backlogHigh || ageHigh) && on.compareAndSet(false, true))
            {
                activeGauge.set(1);
                LOG.warn("backpressure on: {} pending messages (high watermark {}), oldest {} ms", pending, backlogHigh, ageMs);
            }
            return on.get();
        }
        final boolean ageLow = ageHighMs == 0 || ageMs <= ageLowMs;
        if (pending <= backlogLow && ageLow && on.compareAndSet(true, false))
        {
            activeGauge.set(0);
            LOG.info("backpressure off: {} pending messages (low watermark {}), oldest {} ms", pending, backlogLow, ageMs);
        }
        return on.get();
    }

    boolean isOn()
    {
        return on.get();
    }
}
