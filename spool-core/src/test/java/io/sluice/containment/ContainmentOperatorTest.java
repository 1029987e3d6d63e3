package io.sluice.containment;

import static io.sluice.containment.ContainmentTesting.context;
import static io.sluice.containment.ContainmentTesting.fresh;
import static io.sluice.containment.ContainmentTesting.message;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import io.sluice.drain.ReplySignal;
import io.sluice.spool.Disposition;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;
import org.junit.jupiter.api.Test;
import io.sluice.testing.TestClock;

class ContainmentOperatorTest
{
    private final TestClock clock = new TestClock();
    private final ContainmentTesting.RecordingListener listener = new ContainmentTesting.RecordingListener();
    private final Containment containment = Containment.open(context(clock, null), listener);

    private void holdAutomatically(final String tenant)
    {
        for (int i = 0; i < 100; i++)
        {
            containment.recordReply(tenant, ReplySignal.POLICY_REJECTED);
        }
        containment.evaluate();
        assertThat(containment.state(tenant)).isEqualTo(TenantState.HELD);
    }

    @Test
    void shouldPauseATenantOnAnOperatorsHold()
    {
        assertThat(containment.hold("acme", "investigating a complaint")).isTrue();
        assertThat(containment.hold("acme", "again")).as("already held: nothing changes").isFalse();

        final TenantView view = containment.view("acme");
        assertThat(view.state()).isEqualTo(TenantState.PAUSED);
        assertThat(view.reason()).isEqualTo(HoldReason.OPERATOR);
        assertThat(view.sinceMillis()).isEqualTo(clock.millis());
        assertThat(view.note()).isEqualTo("held by an operator: investigating a complaint");
        assertThat(containment.isHolding("acme")).isTrue();
        assertThat(listener.events).containsExactly("hold acme OPERATOR");
        assertThat(containment.counters().get(ContainmentCounter.HOLDS_OPERATOR)).isEqualTo(1);
    }

    @Test
    void shouldReleaseAHeldTenantWithAFreshWindow()
    {
        holdAutomatically("acme");

        assertThat(containment.release("acme")).isTrue();
        assertThat(containment.release("acme")).as("not held any more").isFalse();
        assertThat(containment.release("unknown")).isFalse();

        assertThat(containment.state("acme")).isEqualTo(TenantState.NORMAL);
        assertThat(containment.view("acme").figures().verdicts()).isZero();
        assertThat(containment.evaluate()).as("what it did before the hold is judged already").isZero();
        assertThat(listener.events).containsExactly("hold acme POLICY_REJECTIONS", "release acme");
    }

    @Test
    void shouldPurgeOnlyWithTheTenantsNameAsConfirmation()
    {
        holdAutomatically("acme");

        assertThatThrownBy(() -> containment.purge("acme", null))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nothing was purged");
        assertThatThrownBy(() -> containment.purge("acme", "ACME")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> containment.purge("acme", "yes")).isInstanceOf(IllegalArgumentException.class);
        assertThat(listener.events).containsExactly("hold acme POLICY_REJECTIONS");

        containment.purge("acme", "acme");

        assertThat(listener.events).containsExactly("hold acme POLICY_REJECTIONS", "purge acme");
        assertThat(containment.state("acme")).as("still held: what it sends next is held too").isEqualTo(TenantState.HELD);
        assertThat(containment.counters().get(ContainmentCounter.PURGES)).isEqualTo(1);
        assertThat(containment.counters().get(ContainmentCounter.PURGES_REFUSED)).isEqualTo(3);
    }

    @Test
    void shouldRefuseToPurgeATenantThatIsNotHeld()
    {
        assertThatThrownBy(() -> containment.purge("acme", "acme"))
            .isInstanceOf(IllegalStateException.class).hasMessageContaining("not held");
        assertThatThrownBy(() -> containment.hold(" acme", "")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> containment.release("")).isInstanceOf(IllegalArgumentException.class);
        assertThat(listener.events).isEmpty();
    }

    @Test
    void shouldReconcileTheJournalWithHoldsAndReleases()
    {
        final RecipientStatus deferred = RecipientStatus.deferred(3, clock.millis() + 60_000, "451 4.3.0 later");
        final List<PendingMessage> pending = List.of(
            message(1, "acme", RecipientStatus.NEW, RecipientStatus.delivered(1, "250 ok"), deferred),
            message(2, "other", RecipientStatus.NEW),
            message(3, "other", new RecipientStatus(Disposition.HELD, 0, 0, "held by hand for a court order")));
        holdAutomatically("acme");

        final List<Reconciliation> holds = containment.reconcile(pending);

        assertThat(holds).containsExactly(
            new Reconciliation(1, 0, Containment.heldStatus(0, HoldReason.POLICY_REJECTIONS)),
            new Reconciliation(1, 2, Containment.heldStatus(3, HoldReason.POLICY_REJECTIONS)));
        assertThat(holds.get(1).status().detail()).isEqualTo("containment: held (POLICY_REJECTIONS)");

        final List<PendingMessage> journaled = List.of(
            message(1, "acme", Containment.heldStatus(0, HoldReason.POLICY_REJECTIONS), RecipientStatus.delivered(1, "250 ok"),
                Containment.heldStatus(3, HoldReason.POLICY_REJECTIONS)),
            pending.get(1), pending.get(2));
        assertThat(containment.reconcile(journaled)).as("nothing left to do").isEmpty();

        containment.release("acme");

        assertThat(containment.reconcile(journaled)).as("releases only containment's own holds").containsExactly(
            new Reconciliation(1, 0, Containment.releasedStatus(0)),
            new Reconciliation(1, 2, Containment.releasedStatus(3)));
        assertThat(Containment.releasedStatus(3).disposition()).isEqualTo(Disposition.RELEASED);
    }

    @Test
    void shouldPurgeEveryOpenRecipientOfTheTenantsMessagesAndNothingElse()
    {
        final List<PendingMessage> pending = List.of(
            message(1, "acme", Containment.heldStatus(0, HoldReason.OPERATOR), RecipientStatus.delivered(1, "250 ok")),
            message(2, "acme", RecipientStatus.NEW),
            message(3, "other", RecipientStatus.NEW));
        containment.hold("acme", "");

        final List<Reconciliation> purges = containment.purgeOutcomes(pending, "acme");

        assertThat(purges).extracting(Reconciliation::messageId).containsExactly(1L, 2L);
        assertThat(purges).allSatisfy(purge ->
        {
            assertThat(purge.recipientIndex()).isEqualTo(-1);
            assertThat(purge.status().disposition()).isEqualTo(Disposition.PURGED);
            assertThat(purge.status().detail()).isEqualTo("containment: purged by an operator, confirmed");
        });
    }

    @Test
    void shouldOfferSamplesOfATenantsMailOldestFirst()
    {
        final List<PendingMessage> pending = List.of(fresh(1, "acme"), fresh(2, "other"), fresh(3, "acme"), fresh(4, "acme"));

        assertThat(containment.samples(pending, "acme", 2)).extracting(PendingMessage::messageId).containsExactly(1L, 3L);
        assertThat(containment.samples(pending, "none", 5)).isEmpty();
    }

    @Test
    void shouldShowAnUnknownTenantAsNormal()
    {
        final TenantView view = containment.view("never-seen");

        assertThat(view.state()).isEqualTo(TenantState.NORMAL);
        assertThat(view.figures().messages()).isZero();
        assertThat(view.figures().normalRatePerMinute()).isEqualTo(10.0);
        assertThat(containment.holdingTenants()).isEmpty();
    }
}
