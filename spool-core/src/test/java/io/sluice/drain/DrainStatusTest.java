package io.sluice.drain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The published arithmetic: backlog ÷ rate, fluid sharing between lanes, and the delay a quiet sender sees. */
class DrainStatusTest
{
    private static void add(
        final SimulatedDrain drain, final int count, final String source, final String tenant, final String lane)
    {
        for (int i = 0; i < count; i++)
        {
            drain.add(Mail.message(source, tenant, lane, 1));
        }
    }

    @Test
    void shouldShareFluidlyByWeight()
    {
        final double[] finish = StatusBuilder.fluidFinishSeconds(new long[] {100, 100, 0}, new int[] {16, 1, 4}, 200, 0);

        // mail drains at 200 x 16/17 until empty after 100 / (200 x 16/17) s; suspect had 200/17 meanwhile, then all.
        assertThat(finish[0]).isCloseTo(100 / (200 * 16.0 / 17), within(1e-9));
        assertThat(finish[1]).as("200 messages at 200/s in all").isCloseTo(1.0, within(1e-9));
        assertThat(finish[2]).isZero();
    }

    @Test
    void shouldBoundPicksBeforeANewNetworkByTheRounds()
    {
        assertThat(StatusBuilder.picksBeforeNewNetwork(List.of())).isEqualTo(1);
        assertThat(StatusBuilder.picksBeforeNewNetwork(List.of(new int[] {10, 1}))).as("behind 10 networks").isEqualTo(11);
        assertThat(StatusBuilder.picksBeforeNewNetwork(List.of(new int[] {2, 1}, new int[] {1, 1}, new int[] {1, 1})))
            .as("3 tenants, a new network in the one with 2: its 3rd turn, 3 picks per round").isEqualTo(9);
        assertThat(StatusBuilder.picksBeforeNewNetwork(List.of(new int[] {5, 3}, new int[] {1, 1})))
            .as("weight 3 serves 3 networks a round: 2 rounds of 4").isEqualTo(8);
    }

    @Test
    void shouldPublishBacklogOverRateAsTheEta()
    {
        final SimulatedDrain drain = new SimulatedDrain(SimulatedDrain.context(200, 20));
        add(drain, 2_000, "192.0.2.1", "default", "mail");

        final DrainStatus status = drain.scheduler.status();

        assertThat(status.route("default").etaMillis()).isEqualTo(10_000);
        assertThat(status.etaMillis("mail")).isEqualTo(10_000);
        assertThat(status.etaMillis()).isEqualTo(10_000);
        assertThat(status.lane("default", "mail").shareRatePerSec()).isEqualTo(200);
        assertThat(status.ready()).isEqualTo(2_000);
    }

    @Test
    void shouldCountTheMailStillArrivingInTheEta()
    {
        final SimulatedDrain drain = new SimulatedDrain(SimulatedDrain.context(200, 20));
        add(drain, 1_800, "198.51.100.1", "default", "suspect");
        // Eleven seconds of legitimate mail at 20/s, nothing sent meanwhile (the route's sender is away).
        for (int tenth = 0; tenth < 110; tenth++)
        {
            drain.clock.advanceMillis(100);
            add(drain, 2, "192.0.2.1", "default", "mail");
        }

        final DrainStatus status = drain.scheduler.status();

        assertThat(status.ready()).isEqualTo(2_020);
        assertThat(status.route("default").etaMillis()).as("2,020 shrinking at 200 - 20 per second, not at 200")
            .isCloseTo(2_020 * 1000 / 180, within(150L));
    }

    @Test
    void shouldKeepBacklogOverRateWhileAsMuchArrivesAsLeaves()
    {
        final SimulatedDrain drain = new SimulatedDrain(SimulatedDrain.context(200, 20));
        for (int tenth = 0; tenth < 50; tenth++)
        {
            drain.clock.advanceMillis(100);
            add(drain, 40, "198.51.100.1", "default", "suspect");
        }

        assertThat(drain.scheduler.status().route("default").etaMillis()).as("a flood at 400/s: 2,000 at 200/s")
            .isEqualTo(10_000);
    }

    @Test
    void shouldPutStrictLanesAheadAndShareTheRestByWeight()
    {
        final SimulatedDrain drain = new SimulatedDrain(SimulatedDrain.context(200, 20).laneRoutes(""));
        add(drain, 200, "127.0.0.1", "system", "notifications");
        add(drain, 1_600, "192.0.2.1", "default", "mail");
        add(drain, 100, "198.51.100.1", "default", "suspect");

        final DrainStatus.RouteStatus route = drain.scheduler.status().route("default");

        assertThat(route.lane("notifications").etaMillis()).isEqualTo(1_000);
        // After 1 s of notifications, mail (16) and suspect (1) share 200/s: mail empties at 1 + 1600 / (200 x 16/17) s.
        assertThat(route.lane("mail").etaMillis()).isEqualTo((long)Math.ceil(1000 + 1_600 * 17 / 3.2));
        assertThat(route.lane("suspect").etaMillis()).as("everything at 200/s").isEqualTo(9_500);
        assertThat(route.etaMillis()).isEqualTo(9_500);
        assertThat(route.lane("suspect").shareRatePerSec()).isCloseTo(200.0 / 17, within(1e-9));
    }

    @Test
    void shouldTakeLaneAndTenantLimitsIntoTheEta()
    {
        final SimulatedDrain drain = new SimulatedDrain(SimulatedDrain.context(200, 20).tenantRates("slow:10"));
        add(drain, 100, "127.0.0.1", "default", "bounces");
        add(drain, 500, "192.0.2.1", "slow", "mail");

        final DrainStatus.RouteStatus route = drain.scheduler.status().route("default");

        assertThat(route.lane("bounces").etaMillis()).as("100 bounces at their own 10/s").isEqualTo(10_000);
        assertThat(route.etaMillis()).as("500 at the tenant's 10/s").isEqualTo(50_000);
    }

    @Test
    void shouldCountTheEtaAtTheLearnedRateWhenTheRouteBacksOff()
    {
        final SimulatedDrain drain = new SimulatedDrain(SimulatedDrain.context(200, 20));
        add(drain, 2_000, "192.0.2.1", "default", "mail");

        drain.scheduler.onRouteThrottled("default");

        final DrainStatus.RouteStatus route = drain.scheduler.status().route("default");
        assertThat(route.effectiveRatePerSec()).as("halved at most, held 3 % under").isCloseTo(97, within(1e-9));
        assertThat(route.learnedCeilingPerSec()).isCloseTo(100, within(1e-9));
        assertThat(route.configuredRatePerSec()).isEqualTo(200);
        assertThat(route.etaMillis()).as("2,000 at 97/s").isCloseTo(20_619, within(1L));
    }

    @Test
    void shouldProjectActiveQueuesOverRateForAQuietSenderNotTheBacklog()
    {
        final SimulatedDrain drain = new SimulatedDrain(SimulatedDrain.context(200, 20));
        add(drain, 20_000, "203.0.113.7", "default", "mail");
        for (int i = 1; i <= 10; i++)
        {
            add(drain, 3, "198.51." + i + ".10", "default", "mail");
        }

        final DrainStatus status = drain.scheduler.status();

        assertThat(status.lane("default", "mail").activeNetworks()).isEqualTo(11);
        assertThat(status.projectedDelayMillis("mail")).as("12 picks at 200/s").isEqualTo(60);
        assertThat(status.etaMillis("mail")).as("the flood itself: 20,030 / 200 per s").isEqualTo(100_150);
        assertThat(status.projectedDelayMillis("unlisted-lane")).as("scheduled as mail").isEqualTo(60);
        assertThat(status.projectedDelayMillis("notifications")).as("its own, idle route").isZero();
    }

    @Test
    void shouldProjectTheWaitForALowWeightLane()
    {
        final SimulatedDrain drain = new SimulatedDrain(SimulatedDrain.context(200, 20));
        add(drain, 1_000, "192.0.2.1", "default", "mail");

        final DrainStatus status = drain.scheduler.status();

        // suspect's first pick comes after mail's 16: 1 + ceil(1/1) x (17 - 1) = 17 route picks at 200/s.
        assertThat(status.projectedDelayMillis("suspect")).isEqualTo(85);
        assertThat(status.projectedDelayMillis("mail")).as("2 picks: one network ahead").isEqualTo(10);
    }

    @Test
    void shouldMeasureTheDrainRatePerLane()
    {
        final SimulatedDrain drain = new SimulatedDrain(SimulatedDrain.context(170, 17));
        add(drain, 5_000, "192.0.2.1", "default", "mail");
        add(drain, 5_000, "198.51.100.1", "default", "suspect");

        drain.run("default", 20_000, 1, true);

        final DrainStatus.RouteStatus route = drain.scheduler.status().route("default");
        assertThat(route.lane("mail").measuredRatePerSec()).isCloseTo(160, within(160 * 0.05));
        assertThat(route.lane("suspect").measuredRatePerSec()).isCloseTo(10, within(10 * 0.05));
        assertThat(route.measuredRatePerSec()).isCloseTo(170, within(170 * 0.05));
    }
}
