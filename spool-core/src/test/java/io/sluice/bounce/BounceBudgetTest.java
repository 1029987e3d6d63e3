package io.sluice.bounce;

import static io.sluice.bounce.BounceTesting.context;
import static io.sluice.bounce.BounceTesting.external;
import static io.sluice.bounce.BounceTesting.failed;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import io.sluice.spool.Disposition;
import org.junit.jupiter.api.Test;
import io.sluice.testing.TestClock;

class BounceBudgetTest
{
    private final TestClock clock = new TestClock();
    private int next;

    private BouncePolicy policy()
    {
        return new BouncePolicy(context(clock).budgetMinimum(2).budgetFraction(0.01)
            .budgetWindowMs(Duration.ofHours(1).toMillis()).dedupWindowMs(0));
    }

    /** A legitimate failure from a fresh sender, so only the budget can refuse it. */
    private BounceDecision fail(final BouncePolicy policy)
    {
        next++;
        return policy.decide(external(next, "sender" + next + "@partner" + next + ".test", "x@customer.test"), 0,
            failed("552 5.2.2 mailbox full"));
    }

    @Test
    void shouldAllowBouncesUpToTheFractionOfMailAcceptedOverTheWindow()
    {
        final BouncePolicy policy = policy();
        policy.onAccepted(1000);

        for (int i = 0; i < 10; i++)
        {
            assertThat(fail(policy).isSend()).as("bounce %d of 10", i + 1).isTrue();
        }
        final BounceDecision over = fail(policy);
        final BounceDecision further = fail(policy);

        assertThat(over.reason()).isEqualTo(SuppressionReason.BUDGET_EXCEEDED);
        assertThat(over.budgetAlert()).isTrue();
        assertThat(further.reason()).isEqualTo(SuppressionReason.BUDGET_EXCEEDED);
        assertThat(further.budgetAlert()).as("one alert per window").isFalse();
        assertThat(policy.budget()).isEqualTo(new BudgetStatus(3_600_000, 1000, 10, 10));
        assertThat(policy.budget().isSpent()).isTrue();

        policy.onAccepted(100);

        assertThat(fail(policy).isSend()).as("more accepted mail, a larger budget").isTrue();
        assertThat(fail(policy).reason()).isEqualTo(SuppressionReason.BUDGET_EXCEEDED);
    }

    @Test
    void shouldDeferABounceOverTheBudgetAndReleaseItAsTheWindowMovesOn()
    {
        final BouncePolicy policy = policy();
        policy.onAccepted(3);
        assertThat(fail(policy).isSend()).isTrue();
        assertThat(fail(policy).isSend()).isTrue();

        final BounceDecision over = fail(policy);

        assertThat(over.action()).isEqualTo(BounceDecision.Action.DEFER);
        assertThat(over.needsDsn()).as("built and spooled, held").isTrue();
        assertThat(over.journalStatus().disposition()).as("the recipient failed; its DSN exists").isEqualTo(Disposition.FAILED);
        assertThat(policy.counters().get(BounceCounter.DEFERRED_OVER_BUDGET)).isEqualTo(1);
        assertThat(policy.counters().get(BounceCounter.SUPPRESSED)).isZero();
        assertThat(policy.recentSuppressions()).as("not a suppression").isEmpty();
        assertThat(policy.tryReleaseDeferred()).as("the window is spent").isFalse();

        clock.advance(Duration.ofMinutes(61));

        assertThat(policy.tryReleaseDeferred()).isTrue();
        assertThat(policy.tryReleaseDeferred()).isTrue();
        assertThat(policy.tryReleaseDeferred()).as("two a window, the minimum").isFalse();
        assertThat(policy.counters().get(BounceCounter.DEFERRED_RELEASED)).isEqualTo(2);
        policy.releasedByOperator();
        assertThat(policy.budget().bouncesInWindow()).as("an operator's release is charged").isEqualTo(3);
    }

    @Test
    void shouldNeverDeferTheBounceOfASenderWhoseSourceHasACleanRecord()
    {
        final BouncePolicy policy = policy();
        policy.onAccepted(3);
        assertThat(fail(policy).isSend()).isTrue();
        assertThat(fail(policy).isSend()).isTrue();
        assertThat(fail(policy).reason()).as("an unknown source's sender: deferred").isEqualTo(SuppressionReason.BUDGET_EXCEEDED);

        next++;
        final BounceDecision vouched = policy.decide(external(next, "sender" + next + "@partner" + next + ".test",
            "x@customer.test"), 0, failed("550 5.1.1 no such user"), false, true);

        assertThat(vouched.isSend()).as("the budget stops backscatter to forged senders, not word to a known partner's")
            .isTrue();
        assertThat(policy.budget().bouncesInWindow()).as("still counted in the window").isEqualTo(3);
        assertThat(fail(policy).reason()).isEqualTo(SuppressionReason.BUDGET_EXCEEDED);
    }

    @Test
    void shouldAlwaysAllowTheMinimumOnAQuietAppliance()
    {
        final BouncePolicy policy = policy();
        policy.onAccepted(3);

        assertThat(fail(policy).isSend()).isTrue();
        assertThat(fail(policy).isSend()).isTrue();
        assertThat(fail(policy).reason()).isEqualTo(SuppressionReason.BUDGET_EXCEEDED);
    }

    @Test
    void shouldSlideTheWindowSoOldMailNoLongerPaysForNewBounces()
    {
        final BouncePolicy policy = policy();
        policy.onAccepted(1000);
        clock.advance(Duration.ofMinutes(30));
        for (int i = 0; i < 10; i++)
        {
            assertThat(fail(policy).isSend()).isTrue();
        }

        clock.advance(Duration.ofMinutes(31));

        assertThat(policy.budget().acceptedInWindow()).as("the 1,000 accepted an hour ago left the window").isZero();
        assertThat(policy.budget().bouncesInWindow()).as("the bounces of 31 minutes ago are still in it").isEqualTo(10);
        final BounceDecision decision = fail(policy);
        assertThat(decision.reason()).isEqualTo(SuppressionReason.BUDGET_EXCEEDED);
        assertThat(decision.budgetAlert()).isTrue();

        clock.advance(Duration.ofMinutes(30));

        assertThat(policy.budget().bouncesInWindow()).isZero();
        assertThat(fail(policy).isSend()).isTrue();
        assertThat(fail(policy).isSend()).isTrue();
        assertThat(fail(policy).reason()).isEqualTo(SuppressionReason.BUDGET_EXCEEDED);
    }

    @Test
    void shouldNotSpendTheBudgetOnBouncesOtherRulesSuppress()
    {
        final BouncePolicy policy = policy();
        policy.onAccepted(200);
        for (int i = 0; i < 50; i++)
        {
            policy.decide(external(i, "", "x@customer.test"), 0, failed("550 5.1.1 x"));
            policy.decide(external(i, "v" + i + "@customer.test", "v" + i + "@customer.test"), 0, failed("554 5.7.1 spam"));
        }

        assertThat(policy.budget().bouncesInWindow()).isZero();
        assertThat(fail(policy).isSend()).isTrue();
        assertThat(fail(policy).isSend()).isTrue();
    }

    @Test
    void shouldNotLetBouncesRaiseTheirOwnBudget()
    {
        final BouncePolicy policy = policy();
        final NoticeBuilder notices = new NoticeBuilder("mx.example.net", "", "system", "notifications", clock);

        policy.onAccepted(external(1, "a@partner.test", "b@customer.test").envelope());
        policy.onAccepted(notices.build("ops@example.net", "s", "b").envelope());

        assertThat(policy.budget().acceptedInWindow()).isEqualTo(1);
    }
}
