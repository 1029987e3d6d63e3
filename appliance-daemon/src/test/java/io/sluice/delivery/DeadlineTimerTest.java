package io.sluice.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.channel.DefaultEventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link DeadlineTimer}: what it costs the loop (tasks scheduled) and that a deadline still falls due. */
class DeadlineTimerTest
{
    private static final long MINUTE = TimeUnit.MINUTES.toNanos(1);

    /** A loop that counts the tasks scheduled on it. */
    private static final class CountingLoop extends DefaultEventLoop
    {
        final AtomicInteger scheduled = new AtomicInteger();

        @Override
        public ScheduledFuture<?> schedule(final Runnable command, final long delay, final TimeUnit unit)
        {
            scheduled.incrementAndGet();
            return super.schedule(command, delay, unit);
        }
    }

    private final CountingLoop loop = new CountingLoop();

    @AfterEach
    void stop()
    {
        loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
    }

    @Test
    void shouldScheduleOnceForAThousandMessagesRepliesOnABusyConnection() throws Exception
    {
        final AtomicInteger due = new AtomicInteger();
        final DeadlineTimer replies = new DeadlineTimer(() -> loop, due::incrementAndGet);
        loop.submit(() ->
        {
            for (int message = 0; message < 1_000; message++)
            {
                // A pipelined transaction's replies, as SmtpConnection sets them (RFC 5321 §4.5.3.2 timeouts): MAIL,
                // RCPT, DATA's 354, the end of data; then nothing awaited until the next message.
                final long now = System.nanoTime();
                replies.set(now, now + 5 * MINUTE);
                replies.set(now, now + 5 * MINUTE);
                replies.set(now, now + 2 * MINUTE);
                replies.set(now, now + 10 * MINUTE);
                replies.drop();
            }
        }).get();

        // A later deadline never moves the task; an earlier one does only while the task is set for a longer timeout:
        // the first MAIL's, then DATA's shorter one once, and never again for the next 999 messages.
        assertThat(loop.scheduled.get()).isEqualTo(2);
        assertThat(due.get()).isZero();
    }

    @Test
    void shouldRunWhenTheDeadlinePassesEvenAfterItWasMovedLaterAndEarlier() throws Exception
    {
        final CountDownLatch due = new CountDownLatch(1);
        final DeadlineTimer timer = new DeadlineTimer(() -> loop, due::countDown);
        loop.submit(() ->
        {
            final long now = System.nanoTime();
            timer.set(now, now + 10 * MINUTE);
            timer.set(now, now + TimeUnit.MILLISECONDS.toNanos(50));
        }).get();

        assertThat(due.await(30, TimeUnit.SECONDS)).as("moved earlier: runs at the earlier deadline").isTrue();
        loop.submit(() -> assertThat(timer.isArmed()).isFalse()).get();
    }

    @Test
    void shouldDoNothingWhenDroppedOrCancelled() throws Exception
    {
        final AtomicInteger due = new AtomicInteger();
        final DeadlineTimer dropped = new DeadlineTimer(() -> loop, due::incrementAndGet);
        final DeadlineTimer cancelled = new DeadlineTimer(() -> loop, due::incrementAndGet);
        final CountDownLatch later = new CountDownLatch(1);
        loop.submit(() ->
        {
            final long now = System.nanoTime();
            dropped.set(now, now + TimeUnit.MILLISECONDS.toNanos(20));
            dropped.drop();
            cancelled.set(now, now + TimeUnit.MILLISECONDS.toNanos(20));
            cancelled.cancel();
            // Scheduled after both, so it runs after the dropped one's task.
            loop.schedule(later::countDown, 100, TimeUnit.MILLISECONDS);
        }).get();

        assertThat(later.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(due.get()).isZero();
    }
}
