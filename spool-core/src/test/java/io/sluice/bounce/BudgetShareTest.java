package io.sluice.bounce;

import static io.sluice.bounce.BounceTesting.context;
import static io.sluice.bounce.BounceTesting.external;
import static io.sluice.bounce.BounceTesting.failed;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import io.sluice.testing.TestClock;
import org.junit.jupiter.api.Test;

/**
 * The policy with a budget a fleet shares: it follows the fleet's answer, reports every bounce it sends without asking
 * (so the fleet counts it), gives back a bounce a later limit refused, and on its own window takes its share of the
 * minimum. The fleet's own side (Redis) is tested by the daemon's fleet tests.
 */
class BudgetShareTest
{
    private final TestClock clock = new TestClock();
    private int next;

    /** A share that answers what the test says and counts what the policy tells it. */
    private static final class Recorded implements BudgetShare
    {
        Answer answer = Answer.FITS;
        int divisor = 1;
        long accepted;
        int asked;
        int charged;
        int refunded;

        @Override
        public void accepted(final long messages)
        {
            accepted += messages;
        }

        @Override
        public Answer tryCharge()
        {
            asked++;
            return answer;
        }

        @Override
        public void refund()
        {
            refunded++;
        }

        @Override
        public void charged()
        {
            charged++;
        }

        @Override
        public int divisor()
        {
            return divisor;
        }

        @Override
        public BudgetStatus status(final long windowMs)
        {
            return answer == Answer.OWN_WINDOW ? null : new BudgetStatus(windowMs, accepted, asked, 99);
        }
    }

    private BouncePolicy policy(final BudgetShare share)
    {
        return new BouncePolicy(context(clock).budgetMinimum(30).budgetFraction(0.01)
            .budgetWindowMs(Duration.ofHours(1).toMillis()).dedupWindowMs(0).recipientBurst(1).recipientRatePerHour(1), share);
    }

    private BounceDecision fail(final BouncePolicy policy, final String sender)
    {
        next++;
        return policy.decide(external(next, sender, "x" + next + "@customer.test"), 0, failed("552 5.2.2 mailbox full"));
    }

    private BounceDecision fail(final BouncePolicy policy)
    {
        return fail(policy, "sender" + (next + 1) + "@partner" + (next + 1) + ".test");
    }

    @Test
    void shouldFollowTheFleetsAnswerAndShowItsBudget()
    {
        final Recorded share = new Recorded();
        final BouncePolicy policy = policy(share);
        policy.onAccepted(7);

        assertThat(fail(policy).isSend()).isTrue();
        share.answer = BudgetShare.Answer.SPENT;
        final BounceDecision over = fail(policy);

        assertThat(over.reason()).isEqualTo(SuppressionReason.BUDGET_EXCEEDED);
        assertThat(over.budgetAlert()).isTrue();
        assertThat(policy.tryReleaseDeferred()).isFalse();
        assertThat(share.accepted).as("accepted mail told to the fleet").isEqualTo(7);
        assertThat(share.charged).as("bounces the fleet answered for are not told twice").isZero();
        assertThat(policy.budget()).as("the fleet's budget").isEqualTo(new BudgetStatus(3_600_000, 7, 3, 99));
    }

    @Test
    void shouldDeferWithoutAnAlertWhileTheFleetsShareIsOnItsWay()
    {
        final Recorded share = new Recorded();
        share.answer = BudgetShare.Answer.WAIT;
        final BouncePolicy policy = policy(share);

        final BounceDecision waiting = fail(policy);

        assertThat(waiting.action()).isEqualTo(BounceDecision.Action.DEFER);
        assertThat(waiting.budgetAlert()).as("the budget is not spent").isFalse();
        assertThat(policy.counters().get(BounceCounter.BUDGET_ALERTS)).isZero();
        share.answer = BudgetShare.Answer.FITS;
        assertThat(policy.tryReleaseDeferred()).as("released once the share is at hand").isTrue();
    }

    @Test
    void shouldGiveBackTheFleetsBounceWhenTheRecipientsRateRefusesIt()
    {
        final Recorded share = new Recorded();
        final BouncePolicy policy = policy(share);
        assertThat(fail(policy, "same@partner.test").isSend()).isTrue();

        final BounceDecision again = fail(policy, "same@partner.test");

        assertThat(again.reason()).isEqualTo(SuppressionReason.RATE_LIMITED_RECIPIENT);
        assertThat(share.refunded).isEqualTo(1);
    }

    @Test
    void shouldDecideOnItsOwnWindowWithItsShareOfTheMinimumAndTellTheFleetWhatItSent()
    {
        final Recorded share = new Recorded();
        share.answer = BudgetShare.Answer.OWN_WINDOW;
        share.divisor = 3;
        final BouncePolicy policy = policy(share);

        int sent = 0;
        for (int i = 0; i < 20; i++)
        {
            sent += fail(policy).isSend() ? 1 : 0;
        }

        assertThat(sent).as("the minimum of 30 shared by 3 live nodes").isEqualTo(10);
        assertThat(share.charged).as("each told to the fleet, for when it answers again").isEqualTo(10);
        policy.releasedByOperator();
        assertThat(share.charged).as("an operator's release counts too").isEqualTo(11);
        assertThat(policy.budget()).as("its own window, its share").isEqualTo(new BudgetStatus(3_600_000, 0, 11, 10));
    }
}
