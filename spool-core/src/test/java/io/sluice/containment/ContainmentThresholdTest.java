package io.sluice.containment;

import static io.sluice.containment.ContainmentTesting.context;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.List;

import io.sluice.bounce.GeneratedMail;
import io.sluice.drain.ReplySignal;
import io.sluice.spool.Envelope;
import org.junit.jupiter.api.Test;
import io.sluice.testing.TestClock;

class ContainmentThresholdTest
{
    private static final long STEP_MS = 10_000;

    private final TestClock clock = new TestClock();
    private final ContainmentTesting.RecordingListener listener = new ContainmentTesting.RecordingListener();

    private Containment open(final ContainmentContext context)
    {
        return Containment.open(context, listener);
    }

    private Containment open()
    {
        return open(context(clock, null));
    }

    /** Sends {@code perMinute} for every tenant given, in 10 s steps, evaluating after each, for {@code minutes}. */
    private void run(final Containment containment, final double minutes, final int perMinute, final String... tenants)
    {
        final long steps = Math.round(minutes * 60_000 / STEP_MS);
        for (long s = 0; s < steps; s++)
        {
            clock.advanceMillis(STEP_MS);
            for (final String tenant : tenants)
            {
                containment.recordAccepted(tenant, perMinute / 6);
            }
            containment.evaluate();
        }
    }

    private static void verdicts(final Containment containment, final String tenant, final int count, final ReplySignal signal)
    {
        for (int i = 0; i < count; i++)
        {
            containment.recordReply(tenant, signal);
        }
    }

    @Test
    void shouldHoldATenantThatSurgesToTenTimesItsNormalRateWithinTheWindow()
    {
        final Containment containment = open();
        run(containment, 12 * 60, 24, "acme", "steady");
        assertThat(containment.view("acme").figures().normalRatePerMinute()).isCloseTo(24, within(0.5));

        long heldAfterMs = -1;
        for (long elapsed = STEP_MS; elapsed <= Duration.ofMinutes(10).toMillis() && heldAfterMs < 0; elapsed += STEP_MS)
        {
            clock.advanceMillis(STEP_MS);
            containment.recordAccepted("acme", 300 / 6);
            containment.recordAccepted("steady", 24 / 6);
            if (containment.evaluate() > 0)
            {
                heldAfterMs = elapsed;
            }
        }

        assertThat(heldAfterMs).as("held, and within the 5-minute window").isPositive()
            .isLessThanOrEqualTo(containment.context().windowMs());
        assertThat(containment.state("acme")).isEqualTo(TenantState.HELD);
        assertThat(containment.state("steady")).isEqualTo(TenantState.NORMAL);
        assertThat(listener.events).containsExactly("hold acme VOLUME_SURGE");
        final ContainmentFigures figures = listener.holds.get(0).figures();
        assertThat(figures.ratePerMinute()).isGreaterThan(10 * figures.normalRatePerMinute());
        assertThat(containment.view("acme").reason()).isEqualTo(HoldReason.VOLUME_SURGE);
        assertThat(containment.view("acme").note()).containsPattern("msgs in 300 s .*normal 2[45]\\.\\d/min");
        assertThat(containment.counters().get(ContainmentCounter.HOLDS_VOLUME_SURGE)).isEqualTo(1);
        assertThat(containment.counters().get(ContainmentCounter.TENANTS_HOLDING)).isEqualTo(1);
    }

    @Test
    void shouldNotHoldATenantGrowingBelowTheSurgeFactor()
    {
        final Containment containment = open();
        run(containment, 12 * 60, 24, "acme");

        run(containment, 60, 8 * 24, "acme");

        assertThat(containment.state("acme")).isEqualTo(TenantState.NORMAL);
        assertThat(listener.events).isEmpty();
    }

    @Test
    void shouldJudgeABrandNewTenantAgainstTheFloorWhenTheWarmUpIsOff()
    {
        final Containment containment = open(context(clock, null).surgeWarmupMs(0));

        run(containment, 30, 60, "modest");
        run(containment, 5, 240, "signup");

        assertThat(containment.state("modest")).as("60/min is under 10x the 10/min floor").isEqualTo(TenantState.NORMAL);
        assertThat(containment.state("signup")).isEqualTo(TenantState.HELD);
        assertThat(listener.events).containsExactly("hold signup VOLUME_SURGE");
    }

    /**
     * The benchmark's case (and any new customer's first mailing): a tenant never seen before starts with a burst
     * of 40,000 messages in a minute and goes on at 6,000 a minute. Against a near-zero learned rate that looked like a
     * 10x surge and the tenant was held; during the warm-up the volume rule waits, and the rate it then judges
     * against is what the tenant really sends, not the near-zero start of an average.
     */
    @Test
    void shouldNotTakeANewTenantsFirstBurstForASurge()
    {
        final Containment containment = open();
        clock.advanceMillis(STEP_MS);
        containment.recordAccepted("bench", 40_000);
        assertThat(containment.evaluate()).isZero();
        assertThat(containment.view("bench").figures().baselineEstablished()).isFalse();
        assertThat(containment.view("bench").note()).isEmpty();

        run(containment, 3 * 60, 6_000, "bench");

        assertThat(containment.state("bench")).isEqualTo(TenantState.NORMAL);
        assertThat(listener.events).isEmpty();
        final ContainmentFigures figures = containment.view("bench").figures();
        assertThat(figures.baselineEstablished()).isTrue();
        assertThat(figures.normalRatePerMinute()).as("its real level, learned during the warm-up")
            .isGreaterThan(4_000).isLessThan(8_000);
    }

    @Test
    void shouldHoldATenantThatSurgesOnceItsWarmUpIsOverButNotBefore()
    {
        final Containment containment = open();

        run(containment, 30, 30, "acme");
        run(containment, 5, 600, "acme");
        assertThat(containment.state("acme")).as("20x, but only 35 minutes of history").isEqualTo(TenantState.NORMAL);
        assertThat(containment.view("acme").figures().summary()).contains("still learning");

        run(containment, 60, 30, "acme");
        assertThat(containment.view("acme").figures().baselineEstablished()).isTrue();
        final double normal = containment.view("acme").figures().normalRatePerMinute();
        assertThat(normal).as("30/min with one 5-minute burst of 600/min in its history").isBetween(30.0, 120.0);

        long heldAfterMs = -1;
        for (long elapsed = STEP_MS; elapsed <= containment.context().windowMs() && heldAfterMs < 0; elapsed += STEP_MS)
        {
            clock.advanceMillis(STEP_MS);
            containment.recordAccepted("acme", 12 * (long)normal / 6);
            if (containment.evaluate() > 0)
            {
                heldAfterMs = elapsed;
            }
        }
        assertThat(heldAfterMs).as("held within the window").isPositive();
        assertThat(listener.events).containsExactly("hold acme VOLUME_SURGE");
    }

    @Test
    void shouldHoldATenantWithOverTwentyPercentPolicyRejectionsOverAHundredVerdicts()
    {
        final Containment containment = open();
        verdicts(containment, "phisher", 79, ReplySignal.ACCEPTED);
        verdicts(containment, "phisher", 21, ReplySignal.POLICY_REJECTED);

        assertThat(containment.evaluate()).isEqualTo(1);

        assertThat(containment.state("phisher")).isEqualTo(TenantState.HELD);
        assertThat(listener.holds.get(0).reason()).isEqualTo(HoldReason.POLICY_REJECTIONS);
        assertThat(listener.holds.get(0).figures().verdicts()).isEqualTo(100);
        assertThat(listener.holds.get(0).figures().policyRejectionRatio()).isEqualTo(0.21);
        assertThat(containment.counters().get(ContainmentCounter.HOLDS_POLICY_REJECTIONS)).isEqualTo(1);
    }

    @Test
    void shouldNotHoldAtExactlyTwentyPercent()
    {
        final Containment containment = open();
        verdicts(containment, "acme", 80, ReplySignal.ACCEPTED);
        verdicts(containment, "acme", 20, ReplySignal.POLICY_REJECTED);

        assertThat(containment.evaluate()).isZero();
        assertThat(containment.state("acme")).isEqualTo(TenantState.NORMAL);
    }

    @Test
    void shouldNotJudgeRatiosBelowTheMinimumSample()
    {
        final Containment containment = open();
        verdicts(containment, "acme", 99, ReplySignal.POLICY_REJECTED);

        assertThat(containment.evaluate()).as("99 verdicts are too few, however bad").isZero();

        verdicts(containment, "acme", 1, ReplySignal.POLICY_REJECTED);

        assertThat(containment.evaluate()).isEqualTo(1);
    }

    @Test
    void shouldHoldATenantWhoseMailMostlyFailsPermanently()
    {
        final Containment containment = open();
        verdicts(containment, "listbuyer", 49, ReplySignal.ACCEPTED);
        verdicts(containment, "listbuyer", 51, ReplySignal.REJECTED);

        containment.evaluate();

        assertThat(listener.events).containsExactly("hold listbuyer PERMANENT_FAILURES");
    }

    @Test
    void shouldNotCountDeferralsOrThrottlingAsVerdicts()
    {
        final Containment containment = open();
        verdicts(containment, "acme", 500, ReplySignal.DEFERRED);
        verdicts(containment, "acme", 500, ReplySignal.THROTTLED);

        containment.evaluate();

        assertThat(containment.view("acme").figures().verdicts()).isZero();
        assertThat(containment.state("acme")).isEqualTo(TenantState.NORMAL);
    }

    @Test
    void shouldForgetVerdictsOlderThanTheWindow()
    {
        final Containment containment = open();
        verdicts(containment, "acme", 50, ReplySignal.POLICY_REJECTED);
        containment.evaluate();

        clock.advance(Duration.ofMinutes(6));
        verdicts(containment, "acme", 100, ReplySignal.ACCEPTED);

        assertThat(containment.evaluate()).as("150 verdicts, 33% rejected, but the rejections left the window").isZero();
        assertThat(containment.view("acme").figures().verdicts()).isEqualTo(100);
    }

    @Test
    void shouldKeepEveryOtherTenantFlowing()
    {
        final Containment containment = open();
        final String[] tenants = new String[20];
        for (int i = 0; i < tenants.length; i++)
        {
            tenants[i] = "tenant" + i;
        }
        run(containment, 6 * 60, 30, tenants);

        for (int step = 0; step < 30; step++)
        {
            clock.advanceMillis(STEP_MS);
            for (final String tenant : tenants)
            {
                containment.recordAccepted(tenant, 5);
                verdicts(containment, tenant, 5, ReplySignal.ACCEPTED);
            }
            verdicts(containment, "tenant7", 10, ReplySignal.POLICY_REJECTED);
            containment.evaluate();
        }

        assertThat(containment.holdingTenants()).containsExactly("tenant7");
        assertThat(listener.events).containsExactly("hold tenant7 POLICY_REJECTIONS");
        assertThat(containment.tenants()).hasSize(20).first().extracting(TenantView::tenant).isEqualTo("tenant7");
    }

    @Test
    void shouldNeverHoldTheNotificationTenantOrAnExemptTenantAutomatically()
    {
        final Containment containment = open(context(clock, null).exemptTenants("relay-a, relay-b"));

        run(containment, 5, 10_000, "system", "relay-a");
        verdicts(containment, "relay-b", 100, ReplySignal.POLICY_REJECTED);
        containment.evaluate();

        assertThat(containment.holdingTenants()).isEmpty();
        assertThat(containment.hold("system", "by hand")).as("an operator still can").isTrue();
    }

    @Test
    void shouldNotLearnAHeldFloodAsItsNormalRate()
    {
        final Containment containment = open();
        run(containment, 12 * 60, 24, "acme");
        run(containment, 10, 600, "acme");
        assertThat(containment.state("acme")).isEqualTo(TenantState.HELD);
        final double before = containment.view("acme").figures().normalRatePerMinute();

        run(containment, 120, 600, "acme");

        assertThat(before).isLessThan(24 * 1.2);
        assertThat(containment.view("acme").figures().normalRatePerMinute()).isEqualTo(before);
    }

    @Test
    void shouldDropATenantThatWentIdleAndLearnedNothing()
    {
        final Containment containment = open();
        containment.recordAccepted("once", 1);
        containment.evaluate();
        assertThat(containment.counters().get(ContainmentCounter.TENANTS_TRACKED)).isEqualTo(1);

        clock.advance(Duration.ofDays(2));
        containment.evaluate();

        assertThat(containment.tenants()).isEmpty();
        assertThat(containment.counters().get(ContainmentCounter.TENANTS_TRACKED)).isZero();
        assertThat(containment.state("once")).isEqualTo(TenantState.NORMAL);
    }

    @Test
    void shouldIgnoreTrafficWithoutATenant()
    {
        final Containment containment = open();

        containment.recordAccepted((String)null);
        containment.recordAccepted("", 5);
        containment.recordReply("", ReplySignal.POLICY_REJECTED);

        assertThat(containment.tenants()).isEmpty();
    }

    @Test
    void shouldJudgeATenantByWhatItSendsNotByTheMailTheApplianceWritesForIt()
    {
        final Containment containment = open();
        final Envelope sent = new Envelope("192.0.2.1", "acme", "mail", "a@acme.test", List.of("b@example.org"), 0);
        final Envelope dsn = new Envelope(GeneratedMail.SOURCE_KEY, "acme", "bounces", "", List.of("a@acme.test"), 0);

        containment.recordAccepted(sent);
        containment.recordAccepted(dsn);

        assertThat(containment.view("acme").figures().messages()).isEqualTo(1);
    }

    @Test
    void shouldNotLetAForgedFloodInTheSuspectLaneGetItsTenantHeld()
    {
        final Containment containment = open();
        final Envelope forged = new Envelope("198.51.100.9", "default", "suspect", "v@protected.test",
            List.of("v@protected.test"), 0);
        final Envelope legitimate = new Envelope("192.0.2.1", "default", "mail", "a@partner.test",
            List.of("b@protected.test"), 0);

        for (int i = 0; i < 5_000; i++)
        {
            containment.recordAccepted(forged);
            containment.recordReply(forged, ReplySignal.POLICY_REJECTED);
        }
        containment.recordAccepted(legitimate);
        containment.recordReply(legitimate, ReplySignal.ACCEPTED);
        clock.advanceMillis(STEP_MS);

        assertThat(containment.evaluate()).isZero();
        assertThat(containment.state("default")).isEqualTo(TenantState.NORMAL);
        assertThat(containment.view("default").figures().messages()).isEqualTo(1);
        assertThat(listener.events).isEmpty();
    }

    @Test
    void shouldStillHoldOnTheSameFloodFromASendingNetworkWhenTheLaneIsNotIgnored()
    {
        final Containment containment = open(context(clock, null).ignoredLanes(""));
        final Envelope forged = new Envelope("192.0.2.9", "default", "suspect", "v@protected.test",
            List.of("v@protected.test"), 0);

        for (int i = 0; i < 5_000; i++)
        {
            containment.recordAccepted(forged);
            containment.recordReply(forged, ReplySignal.POLICY_REJECTED);
        }
        clock.advanceMillis(STEP_MS);

        assertThat(containment.evaluate()).isEqualTo(1);
        assertThat(containment.state("default")).isEqualTo(TenantState.HELD);
    }
}
