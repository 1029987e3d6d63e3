package io.sluice.agent;

import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

import org.agrona.concurrent.IdleStrategy;

/**
 * The idle strategy of an agent that other threads hand work to through a queue and that also has timed duties:
 * after a short spin (and optionally a few yields) it parks until its next timed duty is due (at most
 * {@code maxParkNanos}), and a producer that has queued work wakes it at once with {@link #wake()}.
 *
 * <p>Why not Agrona's {@code BackoffIdleStrategy}: after every bit of work it spins, yields and parks for 1 µs, 2 µs, …
 * up to its maximum before it sleeps properly, so an agent that gets a little work every few milliseconds (the drain
 * at a few hundred messages a second, the journal writer journaling their outcomes) wakes dozens of times per piece of
 * work; a park that long enough to be cheap when idle delays new work by as much. Measured with
 * {@code tools/delivery-cpu.sh}, those wake-ups were most of the drain thread's CPU.
 *
 * <p>No wake-up is lost: the agent announces that it is about to park before it looks at its queue a last time, and a
 * producer looks for that announcement after its offer (both volatile), so one of them sees the other.
 */
public final class WakeableIdleStrategy implements IdleStrategy
{
    private final int maxSpins;
    private final int maxYields;
    private final long maxParkNanos;
    private final BooleanSupplier hasWork;
    private final LongSupplier nanosUntilDue;
    private volatile Thread parked;
    private int spins;
    private int yields;

    /**
     * @param maxSpins      busy spins after the last work before parking: a burst's next item usually comes within them.
     * @param maxYields     then this many {@link Thread#yield()}s: a little more time awake for a latency-sensitive agent.
     * @param maxParkNanos  the longest park; bounds how late a duty the agent did not announce can be.
     * @param hasWork       true when the agent's queue holds work (checked after announcing the park).
     * @param nanosUntilDue nanoseconds until the agent's next timed duty (0 or less: due now).
     */
    public WakeableIdleStrategy(
        final int maxSpins, final int maxYields, final long maxParkNanos, final BooleanSupplier hasWork,
        final LongSupplier nanosUntilDue)
    {
        if (maxSpins < 0 || maxYields < 0 || maxParkNanos <= 0)
        {
            throw new IllegalArgumentException("expected spins and yields >= 0 and a positive park: " + maxSpins + ", "
                + maxYields + ", " + maxParkNanos);
        }
        this.maxSpins = maxSpins;
        this.maxYields = maxYields;
        this.maxParkNanos = maxParkNanos;
        this.hasWork = hasWork;
        this.nanosUntilDue = nanosUntilDue;
    }

    /** Called by a producer after it queued work: unparks the agent if it is parked, or about to. Thread-safe. */
    public void wake()
    {
        final Thread thread = parked;
        if (thread != null)
        {
            LockSupport.unpark(thread);
        }
    }

    @Override
    public void idle(final int workCount)
    {
        if (workCount > 0)
        {
            spins = 0;
            yields = 0;
            return;
        }
        idle();
    }

    @Override
    public void idle()
    {
        if (spins < maxSpins)
        {
            spins++;
            Thread.onSpinWait();
            return;
        }
        if (yields < maxYields)
        {
            yields++;
            Thread.yield();
            return;
        }
        final long nanos = Math.min(maxParkNanos, nanosUntilDue.getAsLong());
        if (nanos <= 0)
        {
            return;
        }
        parked = Thread.currentThread();
        if (!hasWork.getAsBoolean())
        {
            LockSupport.parkNanos(this, nanos);
        }
        parked = null;
    }

    @Override
    public void reset()
    {
        spins = 0;
        yields = 0;
    }

    @Override
    public String alias()
    {
        return "wakeable";
    }
}
