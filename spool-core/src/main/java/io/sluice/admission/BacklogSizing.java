package io.sluice.admission;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.agrona.concurrent.NanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the {@link BacklogWatermarks} in force: configured ones never change; {@code auto} ones are derived at open
 * and again at most every {@value #INTERVAL_SECONDS} s, on the decision that finds them due (one thread wins the
 * turn; the others go on with the figures they have). A derivation reads the disk's free space (one statfs) and the
 * spool's counters: cheap, but not on every decision. A change of more than a tenth, or of what bounds the backlog, is
 * logged.
 */
final class BacklogSizing
{
    private static final Logger LOG = LoggerFactory.getLogger(BacklogSizing.class);
    private static final long INTERVAL_SECONDS = 10;
    private static final long INTERVAL_NS = TimeUnit.SECONDS.toNanos(INTERVAL_SECONDS);

    private final long low;
    private final long high;
    private final long hard;
    private final SpoolPressure pressure;
    private final NanoClock clock;
    private final boolean auto;
    private final AtomicLong dueNs;
    private volatile BacklogWatermarks current;

    BacklogSizing(final AdmissionContext context, final SpoolPressure pressure)
    {
        this.low = context.backlogLowWatermark();
        this.high = context.backlogHighWatermark();
        this.hard = context.backlogHardLimit();
        this.pressure = pressure;
        this.clock = context.nanoClock();
        this.auto = low == BacklogWatermarks.AUTO || high == BacklogWatermarks.AUTO || hard == BacklogWatermarks.AUTO;
        this.current = derive();
        this.dueNs = new AtomicLong(clock.nanoTime() + INTERVAL_NS);
        LOG.info("backlog watermarks: {}", current);
    }

    /** @return the figures in force, derived again first when they are due. */
    BacklogWatermarks current()
    {
        if (auto)
        {
            final long nowNs = clock.nanoTime();
            final long due = dueNs.get();
            if (nowNs - due >= 0 && dueNs.compareAndSet(due, nowNs + INTERVAL_NS))
            {
                final BacklogWatermarks before = current;
                final BacklogWatermarks after = derive();
                current = after;
                if (Math.abs(after.high() - before.high()) > before.high() / 10 || !bound(after).equals(bound(before)))
                {
                    LOG.info("backlog watermarks now {}", after);
                }
            }
        }
        return current;
    }

    /** @return what bounds the backlog: the basis up to its figures ("auto: disk"). */
    private static String bound(final BacklogWatermarks watermarks)
    {
        final int comma = watermarks.basis().indexOf(',');
        return comma < 0 ? watermarks.basis() : watermarks.basis().substring(0, comma);
    }

    private BacklogWatermarks derive()
    {
        return BacklogWatermarks.derive(low, high, hard, auto ? pressure.capacity() : null);
    }
}
