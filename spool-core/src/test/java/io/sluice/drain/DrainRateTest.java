package io.sluice.drain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.concurrent.TimeUnit;

import io.sluice.spool.PendingMessage;
import org.junit.jupiter.api.Test;

/** The route's egress rate, tenant and lane limits and AIMD, all on simulated time: no wall-clock assertions. */
class DrainRateTest
{
    private static void flood(final SimulatedDrain drain, final int messages, final int sources, final String tenant)
    {
        for (int i = 0; i < messages; i++)
        {
            drain.add(Mail.message("10.0." + (i % sources / 250) + "." + (i % sources % 250), tenant, "mail", 1));
        }
    }

    private static long countIn(final List<SimulatedDrain.Pick> picks, final long fromMillis, final long toMillis)
    {
        return picks.stream().filter(p -> p.atMillis() >= fromMillis && p.atMillis() < toMillis).count();
    }

    @Test
    void shouldHonourTheRouteRateExactlyOverSimulatedTime()
    {
        final SimulatedDrain drain = new SimulatedDrain(SimulatedDrain.context(200, 20));
        flood(drain, 5_000, 50, "default");
        final long start = drain.now();

        final List<SimulatedDrain.Pick> picks = drain.run("default", 10_000, 1, true);

        assertThat(picks).as("burst + 10 s x 200/s").hasSizeBetween(2_019, 2_021);
        assertThat(countIn(picks, start, start + 1)).as("the burst leaves at once").isEqualTo(20);
        for (int second = 1; second < 10; second++)
        {
            assertThat(countIn(picks, start + second * 1000L, start + (second + 1) * 1000L)).isBetween(199L, 201L);
        }
        final DrainStatus.RouteStatus route = drain.scheduler.status().route("default");
        assertThat(route.measuredRatePerSec()).isCloseTo(200, within(200 * 0.05));
        assertThat(route.effectiveRatePerSec()).isEqualTo(200);
    }

    @Test
    void shouldTellTheDrainThreadToSleepUntilTheRoutesNextTokenAndNotForARouteWithoutRoom()
    {
        final SimulatedDrain drain = new SimulatedDrain(SimulatedDrain.context(200, 20));
        final DrainScheduler scheduler = drain.scheduler;
        assertThat(scheduler.nanosUntilDue(route -> true)).as("nothing ready: only the AIMD step interval")
            .isEqualTo(TimeUnit.MILLISECONDS.toNanos(DrainContext.AIMD_INTERVAL_MS.defaultValue()));
        flood(drain, 100, 10, "default");
        assertThat(scheduler.nanosUntilDue(route -> true))
            .as("tokens and mail but nothing dispatched: waiting for room, which an event announces, not for time")
            .isEqualTo(TimeUnit.MILLISECONDS.toNanos(DrainContext.AIMD_INTERVAL_MS.defaultValue()));

        int dispatched = 0;
        while (scheduler.next("default") != null)
        {
            dispatched++;
        }
        assertThat(dispatched).isEqualTo(20);
        assertThat(scheduler.nanosUntilDue(route -> true)).as("the burst spent: one token every 5 ms at 200/s")
            .isEqualTo(TimeUnit.MILLISECONDS.toNanos(5));
        assertThat(scheduler.nanosUntilDue(route -> false)).as("no room on the route: its tokens do not matter")
            .isGreaterThan(TimeUnit.MILLISECONDS.toNanos(5));
        drain.clock.advanceMillis(3);
        assertThat(scheduler.nanosUntilDue(route -> true)).isEqualTo(TimeUnit.MILLISECONDS.toNanos(2));
    }

    @Test
    void shouldDrainAFloodWithinTenPercentOfBacklogOverRate()
    {
        final SimulatedDrain drain = new SimulatedDrain(SimulatedDrain.context(200, 20));
        flood(drain, 20_000, 2_000, "default");
        final long start = drain.now();
        assertThat(drain.scheduler.status().route("default").etaMillis()).as("20,000 / 200 per s").isEqualTo(100_000);

        final long[] measuredMidway = new long[1];
        drain.run("default", 120_000, 1, true, pick ->
        {
            if (pick.atMillis() == start + 50_000 && measuredMidway[0] == 0)
            {
                measuredMidway[0] = Math.round(drain.scheduler.status().route("default").measuredRatePerSec());
            }
        });

        final long finishedAt = drain.picks.get(drain.picks.size() - 1).atMillis();
        assertThat(drain.scheduler.pendingCount()).isZero();
        assertThat(finishedAt - start).as("within 10%% of 100 s").isBetween(90_000L, 110_000L);
        assertThat(measuredMidway[0]).as("measured drain rate within 5%% of configured").isBetween(190L, 210L);
    }

    @Test
    void shouldCutOncePerBurstOfThrottlesThenHoldAndProbeBackToTheConfiguredRate()
    {
        final SimulatedDrain drain = new SimulatedDrain(SimulatedDrain.context(200, 20));
        flood(drain, 10_000, 100, "default");
        final DrainScheduler scheduler = drain.scheduler;

        final Dispatch first = scheduler.next("default");
        final Dispatch second = scheduler.next("default");
        final Dispatch third = scheduler.next("default");
        Replies.onReply(scheduler, first, 0, SmtpReply.parse("421 4.7.0 Too many connections"));
        assertThat(scheduler.effectiveRatePerSec("default")).as("nothing accepted to measure: halved, held 3 % under")
            .isCloseTo(97, within(1e-9));
        assertThat(scheduler.learnedCeilingPerSec("default")).isCloseTo(100, within(1e-9));
        assertThat(scheduler.next("default")).as("the bucket is emptied: no burst into a throttling relay").isNull();
        Replies.onReply(scheduler, second, 0, SmtpReply.parse("450 4.7.1 Slow down"));
        Replies.onReply(scheduler, third, 0, SmtpReply.connectionRefused("Connection refused"));
        assertThat(scheduler.effectiveRatePerSec("default")).as("the same burst of replies counts once")
            .isCloseTo(97, within(1e-9));
        assertThat(scheduler.counters().get(DrainCounter.THROTTLE_SIGNALS)).isEqualTo(3);
        assertThat(scheduler.counters().get(DrainCounter.RATE_DECREASES)).isEqualTo(1);

        final long start = drain.now();
        final List<SimulatedDrain.Pick> picks = drain.run("default", 10_000, 1, true);
        assertThat(picks).as("no burst after a throttle; 10 s x 97/s").hasSizeBetween(969, 971);
        assertThat(countIn(picks, start, start + 1_000)).isBetween(96L, 98L);

        // Held 10 s (drain.rate.probeAfterMs) under the ceiling, then each interval with an acceptance probes up by
        // 1 %, 2 %, 3 % ... of the ceiling, up to the configured rate, where the ceiling is forgotten.
        drain.clock.advanceMillis(1_000);
        Replies.onReply(scheduler, scheduler.next("default"), 0, SmtpReply.parse("250 2.0.0 Ok"));
        double expected = 97;
        for (int step = 1; expected < 200; step++)
        {
            drain.clock.advanceMillis(1_000);
            final Dispatch dispatch = scheduler.next("default");
            expected = Math.min(200, expected + step * 0.01 * 100);
            assertThat(scheduler.effectiveRatePerSec("default")).as("probe step " + step).isCloseTo(expected, within(1e-6));
            Replies.onReply(scheduler, dispatch, 0, SmtpReply.parse("250 2.0.0 Ok"));
        }
        assertThat(scheduler.learnedCeilingPerSec("default")).isZero();
        final DrainStatus.RouteStatus route = scheduler.status().route("default");
        assertThat(route.rateDecreases()).isEqualTo(1);
        assertThat(route.rateIncreases()).isEqualTo(14);
        assertThat(route.throttleSignals()).isEqualTo(3);
    }

    @Test
    void shouldNeverBackOffBelowTheFloor()
    {
        final SimulatedDrain drain = new SimulatedDrain(SimulatedDrain.context(200, 20));
        for (int i = 0; i < 12; i++)
        {
            drain.scheduler.onRouteThrottled("default");
            drain.clock.advanceMillis(1_000);
        }

        assertThat(drain.scheduler.effectiveRatePerSec("default")).isEqualTo(1.0);
        assertThat(drain.scheduler.counters().get(DrainCounter.RATE_DECREASES)).as("200 -> 1 in eight halvings").isEqualTo(8);
    }

    @Test
    void shouldHoldEachTenantToItsEgressLimit()
    {
        final SimulatedDrain drain = new SimulatedDrain(SimulatedDrain.context(200, 20).tenantRates("noisy:10"));
        flood(drain, 3_000, 30, "noisy");
        flood(drain, 3_000, 30, "quiet-a");
        flood(drain, 3_000, 30, "quiet-b");

        final List<SimulatedDrain.Pick> picks = drain.run("default", 10_000, 1, true);

        final long noisy = picks.stream().filter(p -> p.dispatch().envelope().tenant().equals("noisy")).count();
        assertThat(noisy).as("10 s x 10/s + tenant burst 10").isBetween(100L, 111L);
        assertThat(picks).as("the others use the rest of the route").hasSizeBetween(2_019, 2_021);
    }

    @Test
    void shouldHoldTheBouncesLaneToItsOwnRate()
    {
        final SimulatedDrain drain = new SimulatedDrain(SimulatedDrain.context(200, 20));
        for (int i = 0; i < 2_000; i++)
        {
            drain.add(Mail.message("127.0.0.1", "default", "bounces", 1));
            drain.add(Mail.message("192.0.2." + (i % 200), "default", "mail", 1));
        }

        final List<SimulatedDrain.Pick> picks = drain.run("default", 10_000, 1, true);

        final long bounces = picks.stream().filter(p -> p.dispatch().lane().equals("bounces")).count();
        assertThat(bounces).as("10 s x 10/s + burst 10").isBetween(100L, 111L);
        assertThat(picks).hasSizeBetween(2_019, 2_021);
    }

    @Test
    void shouldApplyAnOperatorsRateChangeAtOnce()
    {
        final SimulatedDrain drain = new SimulatedDrain(SimulatedDrain.context(200, 20));
        flood(drain, 5_000, 50, "default");
        drain.run("default", 1_000, 1, true);

        drain.scheduler.setRouteRate("default", 50, 5);
        final List<SimulatedDrain.Pick> picks = drain.run("default", 10_000, 1, true);

        assertThat(picks).hasSizeBetween(499, 506);
        assertThat(drain.scheduler.status().route("default").configuredRatePerSec()).isEqualTo(50);
    }

    @Test
    void shouldKeepRoutesIndependent()
    {
        final SimulatedDrain drain = new SimulatedDrain(SimulatedDrain.context(200, 20));
        flood(drain, 1_000, 10, "default");
        final PendingMessage notification = Mail.message("127.0.0.1", "system", "notifications", 1);
        drain.take("default", 1_000);
        assertThat(drain.scheduler.next("default")).as("default route's bucket is empty").isNull();

        drain.add(notification);

        final Dispatch dispatch = drain.scheduler.next("notifications");
        assertThat(dispatch.messageId()).isEqualTo(notification.messageId());
        assertThat(dispatch.route()).isEqualTo("notifications");
    }
}
