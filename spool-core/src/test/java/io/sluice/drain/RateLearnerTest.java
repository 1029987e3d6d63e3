package io.sluice.drain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sluice.drain.SimulatedProvider.Enforcement;
import org.junit.jupiter.api.Test;

/**
 * The route's rate learner against a simulated provider allowing 100 msgs/s, on the test's clock: a backlog of 5,000
 * at the shipped defaults (route 200/s, burst 20) must drain at >= 95 % of what the provider accepts, with <= 1 % of
 * attempts throttled, in <= 1.1 x backlog / limit, no message deferred for being throttled, and an ETA right within
 * 10 % from 10 s into the drain.
 */
class RateLearnerTest
{
    private static final int BACKLOG = 5_000;
    private static final double LIMIT = 100;

    private static SimulatedDrain backlog()
    {
        final SimulatedDrain drain = new SimulatedDrain(new DrainContext());
        for (int i = 0; i < BACKLOG; i++)
        {
            drain.add(Mail.message("10.0.0." + (1 + i % 50), "default", "mail", 1));
        }
        return drain;
    }

    /** @return the worst relative error of the published ETA from 10 s on, while at least 5 s of backlog remained. */
    private static double worstEtaError(final SimulatedProvider provider, final long tookMillis)
    {
        double worst = 0;
        for (final long[] sample : provider.etaSamples)
        {
            final long actual = tookMillis - sample[0];
            if (sample[0] >= 10_000 && actual >= 5_000)
            {
                worst = Math.max(worst, Math.abs(sample[1] - actual) / (double)actual);
            }
        }
        return worst;
    }

    @Test
    void shouldDrainAtTheLimitOfAProviderThatRefusesTheExcess()
    {
        final SimulatedDrain drain = backlog();
        final SimulatedProvider provider = new SimulatedProvider(drain, Enforcement.REFUSE, LIMIT, 20, 20);

        final long took = provider.drainBacklog(BACKLOG, 120_000);

        assertThat(provider.delivered).isEqualTo(BACKLOG);
        assertThat(took).as("time to empty vs backlog / limit (50 s)").isLessThanOrEqualTo(55_000);
        assertThat(provider.acceptedPerSec(10_000, 45_000)).as("steady rate").isGreaterThanOrEqualTo(0.95 * LIMIT);
        assertThat(provider.throttled).as("throttled attempts <= 1 %").isLessThanOrEqualTo(provider.attempts / 100);
        assertThat(provider.deferred).as("no message deferred for being throttled").isZero();
        assertThat(provider.maxAttempts).as("no attempt spent on a throttle").isEqualTo(1);
        assertThat(worstEtaError(provider, took)).as("ETA error from 10 s on").isLessThanOrEqualTo(0.10);
        final DrainStatus.RouteStatus route = drain.scheduler.status().route("default");
        assertThat(route.effectiveRatePerSec()).isBetween(0.9 * LIMIT, 1.05 * LIMIT);
        assertThat(drain.scheduler.counters().get(DrainCounter.THROTTLED_REQUEUED)).isEqualTo(provider.throttled);
    }

    @Test
    void shouldDrainAtTheLimitOfAProviderThatDelaysItsReplies()
    {
        final SimulatedDrain drain = backlog();
        final SimulatedProvider provider = new SimulatedProvider(drain, Enforcement.DELAY, LIMIT, 0, 20);

        final long took = provider.drainBacklog(BACKLOG, 120_000);

        assertThat(provider.delivered).isEqualTo(BACKLOG);
        assertThat(provider.throttled).isZero();
        assertThat(took).isLessThanOrEqualTo(55_000);
        assertThat(drain.scheduler.effectiveRatePerSec("default")).as("the rate learned from a slow upstream")
            .isBetween(0.9 * LIMIT, 1.1 * LIMIT);
        assertThat(drain.scheduler.counters().get(DrainCounter.CAPACITY_SIGNALS)).isPositive();
        assertThat(worstEtaError(provider, took)).as("ETA error from 10 s on").isLessThanOrEqualTo(0.10);
    }

    /**
     * An upstream that takes everything at once, its connections taking 300 ms to open: the first interval of the drain
     * is spent with every slot busy opening one, and only ~150 of the configured 200 are accepted in it. That is not the
     * upstream's limit (the next interval has room): the route drains at its configured rate from the start, and the ETA
     * is right within 5 % from 2 s on.
     */
    @Test
    void shouldNotReadOpeningConnectionsAsTheUpstreamsLimit()
    {
        final double configured = 200;
        final SimulatedDrain drain = backlog();
        final SimulatedProvider provider = new SimulatedProvider(drain, Enforcement.REFUSE, 100 * configured, 1_000, 10)
            .openingConnectionsTakes(300);

        final long took = provider.drainBacklog(BACKLOG, 120_000);

        assertThat(provider.delivered).isEqualTo(BACKLOG);
        assertThat(provider.acceptedPerSec(0, 1_000)).as("the first interval is slow").isLessThan(0.9 * configured);
        assertThat(drain.scheduler.counters().get(DrainCounter.RATE_DECREASES)).isZero();
        assertThat(provider.acceptedPerSec(1_000, 10_000)).as("at the rate from the second interval on")
            .isGreaterThanOrEqualTo(0.98 * configured);
        assertThat(took).as("backlog / rate (25 s) and the first interval's shortfall").isLessThanOrEqualTo(25_600);
        double worst = 0;
        for (final long[] sample : provider.etaSamples)
        {
            final long actual = took - sample[0];
            if (sample[0] >= 2_000 && actual >= 2_000)
            {
                worst = Math.max(worst, Math.abs(sample[1] - actual) / (double)actual);
            }
        }
        assertThat(worst).as("ETA error from 2 s on").isLessThanOrEqualTo(0.05);
    }

    /**
     * An upstream that takes everything at once, and this host's journal holding every outcome for 400 ms of each second
     * from 10 s to 20 s (as retention copying a file forward did at d71a398): the slots fill up waiting on the journal,
     * and the delivered rate dips by about 40 %. That is not the upstream's limit: the learned rate stays the configured
     * 200/s, the ETA during the dip stays what is left ÷ 200/s instead of jumping by a third, and the drain is back at
     * full rate the moment the journal is.
     */
    @Test
    void shouldKeepTheRateThroughAStallOfTheLocalJournal()
    {
        final double configured = 200;
        final SimulatedDrain drain = backlog();
        final SimulatedProvider provider = new SimulatedProvider(drain, Enforcement.REFUSE, 100 * configured, 1_000, 10)
            .stallJournal(at -> at >= 10_000 && at < 20_000 && at % 1000 < 400);

        final long took = provider.drainBacklog(BACKLOG, 120_000);

        assertThat(provider.delivered).isEqualTo(BACKLOG);
        assertThat(provider.acceptedPerSec(10_000, 20_000)).as("the dip is real").isLessThan(0.8 * configured);
        assertThat(drain.scheduler.counters().get(DrainCounter.LOCAL_STALLS)).as("intervals read as local").isPositive();
        assertThat(drain.scheduler.counters().get(DrainCounter.CAPACITY_SIGNALS)).isZero();
        assertThat(drain.scheduler.counters().get(DrainCounter.RATE_DECREASES)).isZero();
        assertThat(drain.scheduler.effectiveRatePerSec("default")).isEqualTo(configured);
        for (final long[] sample : provider.etaSamples)
        {
            if (sample[0] >= 10_000 && sample[0] <= 20_000)
            {
                final double left = (BACKLOG - sample[2]) / configured * 1000;
                assertThat((double)sample[1]).as("ETA at %d ms, in the dip", sample[0]).isCloseTo(left, within(0.05 * left));
            }
        }
        assertThat(provider.acceptedPerSec(20_000, took - 1_000)).as("back at once").isGreaterThanOrEqualTo(0.95 * configured);
    }
}
