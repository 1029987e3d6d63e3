package io.sluice.daemon;

import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A heartbeat for each SMTP event loop: when the previous beat has run, the watchdog posts the next one, a task that
 * only counts; a loop stuck in a handler (a blocking call, an endless loop) never runs it, and its beat stops while a
 * task waits. So the event loops need no code of their own, and an idle loop costs one tiny task per check.
 */
final class EventLoopBeats
{
    private EventLoopBeats()
    {
    }

    /** Watches every loop as {@code smtp event loop N} (0 is the acceptor). */
    static void watch(final ProgressWatchdog watchdog, final List<Executor> loops)
    {
        for (int i = 0; i < loops.size(); i++)
        {
            final Executor loop = loops.get(i);
            final AtomicLong posted = new AtomicLong();
            final AtomicLong ran = new AtomicLong();
            watchdog.watch("smtp event loop " + i, ran::get, () ->
            {
                if (posted.get() == ran.get())
                {
                    posted.incrementAndGet();
                    try
                    {
                        loop.execute(ran::incrementAndGet);
                    }
                    catch (final RejectedExecutionException ex)
                    {
                        // The loop is shutting down with the daemon: nothing to watch any more.
                        ran.incrementAndGet();
                    }
                }
                return posted.get() != ran.get();
            });
        }
    }
}
