package io.sluice.drain;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** Retry timers come due earliest first, and a timer its entry moved on from is ignored. */
class RetryTimersTest
{
    private final RetryTimers timers = new RetryTimers();

    private static MessageEntry deferred()
    {
        final MessageEntry entry = new MessageEntry(Mail.from("192.0.2.1"), "default");
        entry.state = MessageEntry.DEFERRED;
        return entry;
    }

    @Test
    void shouldComeDueEarliestFirstThroughGrowthAndShrinking()
    {
        final Random random = new Random(7);
        final List<long[]> expected = new ArrayList<>();
        for (int i = 0; i < 5_000; i++)
        {
            final MessageEntry entry = deferred();
            final long due = random.nextInt(100_000);
            timers.add(due, entry.timerSeq, entry);
            expected.add(new long[] {due, entry.messageId});
        }
        expected.sort(Comparator.comparingLong(pair -> pair[0]));

        long last = Long.MIN_VALUE;
        int polled = 0;
        while (!timers.isEmpty())
        {
            final long due = timers.firstDueMillis();
            assertThat(due).isGreaterThanOrEqualTo(last);
            assertThat(due).isEqualTo(expected.get(polled)[0]);
            assertThat(timers.pollLive()).isNotNull();
            last = due;
            polled++;
        }
        assertThat(polled).isEqualTo(5_000);
    }

    @Test
    void shouldIgnoreATimerItsEntryMovedOnFrom()
    {
        final MessageEntry moved = deferred();
        final MessageEntry ready = deferred();
        final MessageEntry waiting = deferred();
        timers.add(10, moved.timerSeq, moved);
        timers.add(20, ready.timerSeq, ready);
        timers.add(30, waiting.timerSeq, waiting);
        moved.timerSeq++;
        ready.state = MessageEntry.READY;

        assertThat(timers.pollLive()).as("deferred again since: a newer timer is its").isNull();
        assertThat(timers.pollLive()).as("no longer deferred").isNull();
        assertThat(timers.firstDueMillis()).isEqualTo(30);
        assertThat(timers.pollLive()).isSameAs(waiting);
        assertThat(timers.isEmpty()).isTrue();
    }
}
