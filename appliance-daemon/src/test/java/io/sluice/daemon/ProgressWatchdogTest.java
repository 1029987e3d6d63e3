package io.sluice.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/** The stall rule on an injected clock: only a part with work whose heartbeat stood still for the whole stall time. */
class ProgressWatchdogTest
{
    private final AtomicLong nowNs = new AtomicLong();
    private final AtomicLong beat = new AtomicLong();
    private final AtomicBoolean work = new AtomicBoolean();
    private final ProgressWatchdog watchdog = new ProgressWatchdog(1_000, nowNs::get).watch("drain", beat::get, work::get);

    private void advanceMs(final long ms)
    {
        nowNs.addAndGet(TimeUnit.MILLISECONDS.toNanos(ms));
    }

    @Test
    void shouldNeverCallAnIdlePartStalled()
    {
        advanceMs(60_000);
        assertThat(watchdog.check()).isTrue();
    }

    @Test
    void shouldCallAPartWithWorkStalledOnlyOnceItsBeatStoodStillForTheStallTime()
    {
        work.set(true);
        assertThat(watchdog.check()).isTrue();
        advanceMs(999);
        assertThat(watchdog.check()).as("999 ms < watchdog.stallMs").isTrue();
        advanceMs(1);
        assertThat(watchdog.check()).isFalse();
        assertThat(watchdog.stalledParts()).isEqualTo("drain");
        beat.incrementAndGet();
        assertThat(watchdog.check()).as("it moved").isTrue();
        assertThat(watchdog.stalledParts()).isEmpty();
        advanceMs(999);
        assertThat(watchdog.check()).as("timed from the last move").isTrue();
    }

    @Test
    void shouldTimeAStallFromWhenWorkArrivedNotFromTheLastBeat()
    {
        advanceMs(10_000);
        assertThat(watchdog.check()).isTrue();
        work.set(true);
        advanceMs(500);
        assertThat(watchdog.check()).as("work for 500 ms at most").isTrue();
    }
}
