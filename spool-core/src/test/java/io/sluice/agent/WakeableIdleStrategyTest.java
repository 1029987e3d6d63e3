package io.sluice.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/**
 * The parks are an hour long here, so a lost wake-up would hang the test (caught by the guard), never pass by luck;
 * nothing asserts how long anything took.
 */
class WakeableIdleStrategyTest
{
    private static final long HOUR_NANOS = TimeUnit.HOURS.toNanos(1);
    private static final Duration GUARD = Duration.ofSeconds(60);

    private final AtomicBoolean work = new AtomicBoolean();
    private final AtomicLong due = new AtomicLong(Long.MAX_VALUE);
    private final WakeableIdleStrategy strategy = new WakeableIdleStrategy(0, 0, HOUR_NANOS, work::get, due::get);

    @Test
    void shouldNotParkWhenWorkArrivedBeforeItsLastLook()
    {
        work.set(true);
        assertTimeoutPreemptively(GUARD, () -> strategy.idle(0));
    }

    @Test
    void shouldNotParkWhenItsNextDutyIsDue()
    {
        due.set(0);
        assertTimeoutPreemptively(GUARD, () -> strategy.idle(0));
    }

    @Test
    void shouldBeWokenByAProducerThatQueuedWork() throws Exception
    {
        final Thread agent = new Thread(() -> strategy.idle(0), "parked-agent");
        agent.start();
        assertTimeoutPreemptively(GUARD, () ->
        {
            while (agent.getState() != Thread.State.TIMED_WAITING)
            {
                Thread.onSpinWait();
            }
            work.set(true);
            strategy.wake();
            agent.join();
        });
        assertThat(agent.isAlive()).isFalse();
    }

    @Test
    void shouldSpinBeforeParkingAndStartAgainAfterWork()
    {
        final AtomicLong asked = new AtomicLong();
        final WakeableIdleStrategy spinning = new WakeableIdleStrategy(2, 1, HOUR_NANOS, () -> true, () ->
        {
            asked.incrementAndGet();
            return 0;
        });
        for (int i = 0; i < 3; i++)
        {
            spinning.idle(0);
        }
        assertThat(asked.get()).as("two spins and a yield: the agent is not asked when it is due yet").isZero();
        spinning.idle(0);
        assertThat(asked.get()).isEqualTo(1);
        spinning.idle(1);
        spinning.idle(0);
        assertThat(asked.get()).as("work resets the spins").isEqualTo(1);
    }
}
