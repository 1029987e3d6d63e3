package io.sluice.drain;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.spool.MutableClock;
import org.junit.jupiter.api.Test;

/**
 * The drain's second egress gate (a fleet's shared rate): asked only while the route has mail ready and a token of its
 * own, one token per dispatch, given back for a dispatch never attempted, and its wait is the drain's sleep.
 */
class EgressTokensTest
{
    /** A gate holding a number of tokens, counting what the drain does with it. */
    private static final class CountedGate implements EgressTokens
    {
        long tokens;
        int asked;
        int refunded;
        double configuredRate;

        @Override
        public boolean tryTake(final long nowNanos)
        {
            asked++;
            if (tokens > 0)
            {
                tokens--;
                return true;
            }
            return false;
        }

        @Override
        public void refund()
        {
            refunded++;
            tokens++;
        }

        @Override
        public long nanosUntilRetry(final long nowNanos)
        {
            return tokens > 0 ? 0 : 3_000_000L;
        }

        @Override
        public void configure(final double ratePerSec, final int burst)
        {
            configuredRate = ratePerSec;
        }
    }

    @Test
    void shouldSendOnlyWhatTheGateGivesAndAskItOnlyWithMailReady()
    {
        final CountedGate gate = new CountedGate();
        final DrainScheduler scheduler = new DrainScheduler(SimulatedDrain.context(200, 20).clock(new MutableClock(
            SimulatedDrain.START_MILLIS)), route -> "default".equals(route.name()) ? gate : EgressTokens.UNLIMITED);

        assertThat(scheduler.next("default")).as("nothing ready").isNull();
        assertThat(gate.asked).as("a node without mail takes nothing from a shared rate").isZero();

        for (int i = 0; i < 10; i++)
        {
            scheduler.onSnapshot(Mail.message("10.0.0." + i, "default", "mail", 1));
        }
        gate.tokens = 3;
        int sent = 0;
        Dispatch last = null;
        for (Dispatch next = scheduler.next("default"); next != null; next = scheduler.next("default"))
        {
            last = next;
            sent++;
        }
        assertThat(sent).as("the route's own bucket has 20, the gate 3").isEqualTo(3);
        assertThat(scheduler.nanosUntilDue(route -> true)).as("the drain sleeps until the gate may give again")
            .isEqualTo(3_000_000L);

        scheduler.returnUndelivered(last);
        assertThat(gate.refunded).isEqualTo(1);
        assertThat(scheduler.next("default")).as("the refunded token sends the returned message").isNotNull();

        scheduler.setRouteRate("default", 50, 5);
        assertThat(gate.configuredRate).as("an operator's rate change reaches the shared rate").isEqualTo(50);
    }

    @Test
    void shouldTakeNoSharedTokenForMailThatMayNotBeSent()
    {
        final CountedGate gate = new CountedGate();
        gate.tokens = 5;
        final DrainScheduler scheduler = new DrainScheduler(SimulatedDrain.context(200, 20).clock(new MutableClock(
            SimulatedDrain.START_MILLIS)), route -> gate);
        scheduler.onSnapshot(Mail.message("10.0.0.1", "acme", "mail", 1));
        scheduler.switches().pauseTenant("acme");

        assertThat(scheduler.next("default")).as("the only tenant with mail is paused").isNull();
        assertThat(gate.tokens).as("a paused tenant's mail keeps no shared token").isEqualTo(5);
    }
}
