package io.sluice.delivery;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.netty.channel.EventLoop;

/**
 * A deadline on an event loop that is moved or dropped far more often than it falls due: a reply's timeout, a pooled
 * connection's idle limit, a dispatch's time limit. Its task is scheduled only when no run is due by the new deadline;
 * a run that comes early (the deadline moved later, or was dropped) sets the task again for the rest, or does nothing.
 *
 * <p>Why (issue 21): delivering a message scheduled and cancelled seven such timers, one per reply, the idle limit, the
 * data block and the dispatch, each an allocation and two updates of the loop's task queue. A later deadline never
 * moves the task, and a busy connection's earliest one (DATA's 2 minutes) keeps it due soon enough for the rest: its
 * task now runs and is set again about once per timeout, whatever the number of messages ({@code DeadlineTimerTest}).
 *
 * <p>Times are {@link System#nanoTime()}, the clock of the loop's own scheduler. Threads: the loop's only.
 */
final class DeadlineTimer
{
    private final Supplier<EventLoop> loop;
    private final Runnable due;
    private ScheduledFuture<?> task;
    /** When {@link #task} runs. */
    private long taskAt;
    private long deadline;
    private boolean armed;

    /**
     * @param loop the loop to run on, asked for when the timer is first set (a connection knows it only once connecting)
     * @param due  what runs when a deadline passes; the timer is not armed any more when it does
     */
    DeadlineTimer(final Supplier<EventLoop> loop, final Runnable due)
    {
        this.loop = loop;
        this.due = due;
    }

    /** {@code due} runs at {@code deadline}, not at an earlier deadline set before, unless this is set again or dropped. */
    void set(final long now, final long at)
    {
        deadline = at;
        armed = true;
        if (task != null && at - taskAt >= 0)
        {
            return;
        }
        cancel();
        armed = true;
        schedule(now);
    }

    /**
     * {@code due} runs at {@code at} or at the deadline already set, whichever is earlier: the earliest of several
     * deadlines (a route's dispatches) kept by one timer.
     */
    void setNoLaterThan(final long now, final long at)
    {
        if (!armed || deadline - at > 0)
        {
            set(now, at);
        }
    }

    /** @return true if a deadline is set and has not passed yet. */
    boolean isArmed()
    {
        return armed;
    }

    /** No deadline any more; the task, if any, stays and finds nothing to do when it runs (cheaper than cancelling it). */
    void drop()
    {
        armed = false;
    }

    /** No deadline, and no task left on the loop (the owner is closing). */
    void cancel()
    {
        armed = false;
        if (task != null)
        {
            task.cancel(false);
            task = null;
        }
    }

    private void schedule(final long now)
    {
        taskAt = deadline;
        task = loop.get().schedule(this::ran, Math.max(0, deadline - now), TimeUnit.NANOSECONDS);
    }

    private void ran()
    {
        task = null;
        if (!armed)
        {
            return;
        }
        final long now = System.nanoTime();
        if (deadline - now > 0)
        {
            schedule(now);
            return;
        }
        armed = false;
        due.run();
    }
}
