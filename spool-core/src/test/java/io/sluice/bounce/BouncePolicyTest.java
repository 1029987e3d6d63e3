package io.sluice.bounce;

import static io.sluice.bounce.BounceTesting.INSIDE;
import static io.sluice.bounce.BounceTesting.OUTSIDE;
import static io.sluice.bounce.BounceTesting.context;
import static io.sluice.bounce.BounceTesting.external;
import static io.sluice.bounce.BounceTesting.failed;
import static io.sluice.bounce.BounceTesting.message;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;

import io.sluice.spool.Disposition;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;
import org.junit.jupiter.api.Test;
import io.sluice.testing.TestClock;

class BouncePolicyTest
{
    private final TestClock clock = new TestClock();

    private BouncePolicy policy()
    {
        return new BouncePolicy(context(clock));
    }

    private static BounceDecision decide(final BouncePolicy policy, final PendingMessage message, final String reply)
    {
        return policy.decide(message, 0, failed(reply));
    }

    @Test
    void shouldSendADsnForALegitimateHardBounce()
    {
        final BouncePolicy policy = policy();
        final PendingMessage message = external(1, "alice@partner.test", "nobody@example.com");

        final BounceDecision decision = decide(policy, message, "550 5.1.1 <nobody@example.com>: user unknown");

        assertThat(decision.action()).isEqualTo(BounceDecision.Action.SEND);
        assertThat(decision.reason()).isNull();
        assertThat(decision.bounceRecipient()).isEqualTo("alice@partner.test");
        assertThat(decision.failure().status()).isEqualTo("5.1.1");
        assertThat(decision.failure().recipient()).isEqualTo("nobody@example.com");
        assertThat(decision.journalStatus()).isEqualTo(failed("550 5.1.1 <nobody@example.com>: user unknown"));
        assertThat(policy.counters().get(BounceCounter.BOUNCES_ALLOWED)).isEqualTo(1);
        assertThat(policy.counters().get(BounceCounter.SUPPRESSED)).isZero();
        assertThat(policy.recentSuppressions()).isEmpty();
    }

    @Test
    void shouldNeverBounceToTheNullSender()
    {
        final BouncePolicy policy = policy();

        final BounceDecision fromOutside = decide(policy, external(1, "", "user@partner.test"), "550 5.1.1 unknown");
        final BounceDecision fromInside =
            decide(policy, message(2, INSIDE, "mail", "", "user@partner.test"), "550 5.1.1 unknown");

        assertThat(fromOutside.reason()).isEqualTo(SuppressionReason.NULL_SENDER);
        assertThat(fromInside.reason()).isEqualTo(SuppressionReason.NULL_SENDER);
        assertThat(policy.counters().get(BounceCounter.SUPPRESSED_NULL_SENDER)).isEqualTo(2);
    }

    @Test
    void shouldNeverBounceABounceWhateverItsSender()
    {
        final BouncePolicy policy = policy();

        final BounceDecision dsn = decide(policy, message(1, GeneratedMail.SOURCE_KEY, "bounces", "", "alice@partner.test"),
            "550 5.1.1 unknown");
        final BounceDecision oddBounce = decide(policy, message(2, INSIDE, "bounces", "postmaster@example.com",
            "alice@partner.test"), "550 5.7.1 rejected");

        assertThat(dsn.reason()).isEqualTo(SuppressionReason.BOUNCE_OF_BOUNCE);
        assertThat(oddBounce.reason()).isEqualTo(SuppressionReason.BOUNCE_OF_BOUNCE);
    }

    @Test
    void shouldNotBounceToASenderThatIsNotAMailbox()
    {
        final BouncePolicy policy = policy();

        assertThat(decide(policy, external(1, "no-at-sign", "a@partner.test"), "550 5.1.1 x").reason())
            .isEqualTo(SuppressionReason.INVALID_SENDER);
        assertThat(decide(policy, external(2, "user@", "a@partner.test"), "550 5.1.1 x").reason())
            .isEqualTo(SuppressionReason.INVALID_SENDER);
    }

    @Test
    void shouldNotBounceWhenTheSenderIsTheRecipientFromOutside()
    {
        final BouncePolicy policy = policy();

        final BounceDecision decision =
            decide(policy, external(1, "Victim@Customer.test", "someone@customer.test", "victim@customer.test"),
                "550 5.1.1 unknown");

        assertThat(decision.reason()).isEqualTo(SuppressionReason.SPOOF_PATTERN);
        assertThat(decision.journalStatus().disposition()).isEqualTo(Disposition.SUPPRESSED);
    }

    @Test
    void shouldNotBounceASenderClaimingAProtectedDomainFromOutside()
    {
        final BouncePolicy policy = policy();

        assertThat(decide(policy, external(1, "ceo@example.com", "x@partner.test"), "550 5.1.1 x").reason())
            .isEqualTo(SuppressionReason.SPOOF_PATTERN);
        assertThat(decide(policy, external(2, "ceo@mail.EXAMPLE.com.", "x@partner.test"), "550 5.1.1 x").reason())
            .as("subdomains are protected too").isEqualTo(SuppressionReason.SPOOF_PATTERN);
        assertThat(decide(policy, external(3, "ceo@notexample.com", "x@partner.test"), "550 5.1.1 x").isSend())
            .as("a domain that merely ends in the same letters is not protected").isTrue();
    }

    @Test
    void shouldNotBounceMailAdmissionPutInTheSuspectLane()
    {
        final BouncePolicy policy = policy();

        final BounceDecision decision =
            decide(policy, message(1, OUTSIDE, "suspect", "alice@partner.test", "x@customer.test"), "550 5.1.1 x");

        assertThat(decision.reason()).isEqualTo(SuppressionReason.SPOOF_PATTERN);
    }

    @Test
    void shouldBounceTheSpoofShapeWhenItCameFromATrustedNetworkOrLane()
    {
        final BouncePolicy policy = policy();

        final PendingMessage fromRelay = message(1, INSIDE, "mail", "ceo@example.com", "ceo@example.com");
        final PendingMessage notification = message(2, "relay.local", "notifications", "alerts@example.com", "ops@partner.test");
        final PendingMessage explicitlyTrusted = external(3, "me@customer.test", "me@customer.test");

        assertThat(policy.isFromTrustedNetwork(fromRelay.envelope())).isTrue();
        assertThat(decide(policy, fromRelay, "552 5.2.2 mailbox full").isSend()).isTrue();
        assertThat(decide(policy, notification, "552 5.2.2 mailbox full").isSend()).isTrue();
        assertThat(policy.decide(explicitlyTrusted, 0, failed("552 5.2.2 mailbox full"), true).isSend()).isTrue();
        assertThat(policy.isFromTrustedNetwork(external(4, "a@b.test", "c@d.test").envelope())).isFalse();
        assertThat(policy.isFromTrustedNetwork(message(5, "mail.example.com", "mail", "a@b.test", "c@d.test").envelope()))
            .as("a source key that is a name is never looked up, so never trusted").isFalse();
    }

    @Test
    void shouldNotBouncePolicyFailuresUnlessConfigured()
    {
        final BouncePolicy strict = policy();
        final BouncePolicy lenient = new BouncePolicy(context(clock).policyFailuresBounce(true));
        final PendingMessage message = external(1, "alice@partner.test", "bob@customer.test");

        final BounceDecision refused = decide(strict, message, "554 5.7.1 message content rejected (malware)");

        assertThat(refused.reason()).isEqualTo(SuppressionReason.POLICY_FAILURE);
        assertThat(refused.failure().isPolicyFailure()).isTrue();
        assertThat(decide(lenient, message, "554 5.7.1 message content rejected (malware)").isSend()).isTrue();
    }

    @Test
    void shouldSuppressSendersOnTheSuppressionListUntilTheyExpire()
    {
        final BouncePolicy policy = new BouncePolicy(context(clock).dedupWindowMs(0));
        policy.suppress("Alice@Partner.test", Duration.ofHours(1).toMillis());

        assertThat(decide(policy, external(1, "alice@partner.test", "x@customer.test"), "552 5.2.2 full").reason())
            .isEqualTo(SuppressionReason.SUPPRESSION_LIST);
        assertThat(policy.suppressionList()).extracting(SuppressedAddress::address).containsExactly("alice@partner.test");

        clock.advance(Duration.ofHours(1));

        assertThat(policy.isSuppressed("alice@partner.test")).isFalse();
        assertThat(policy.suppressionList()).isEmpty();
        assertThat(decide(policy, external(2, "alice@partner.test", "x@customer.test"), "552 5.2.2 full").isSend()).isTrue();
    }

    @Test
    void shouldPutTheRecipientOfAFailedBounceOnTheSuppressionList()
    {
        final BouncePolicy policy = policy();
        final PendingMessage failedDsn = message(1, GeneratedMail.SOURCE_KEY, "bounces", "", "forged@victim.test");

        decide(policy, failedDsn, "550 5.1.1 <forged@victim.test>: no such user");

        assertThat(policy.isSuppressed("forged@victim.test")).isTrue();
        assertThat(decide(policy, external(2, "forged@victim.test", "x@customer.test"), "552 5.2.2 full").reason())
            .isEqualTo(SuppressionReason.SUPPRESSION_LIST);
        assertThat(policy.counters().get(BounceCounter.ADDRESSES_SUPPRESSED)).isEqualTo(1);
        assertThat(policy.counters().get(BounceCounter.SUPPRESSION_LIST_SIZE)).isEqualTo(1);
    }

    @Test
    void shouldPutARecipientTheUpstreamCallsUnknownOnTheSuppressionList()
    {
        final BouncePolicy policy = policy();

        decide(policy, external(1, "alice@partner.test", "gone@customer.test"), "550 5.1.1 user unknown");

        assertThat(policy.isSuppressed("gone@customer.test")).isTrue();
        assertThat(decide(policy, external(2, "gone@customer.test", "x@partner.test"), "550 5.1.1 x").reason())
            .as("mail 'from' an address that does not exist is forged: no bounce to it")
            .isEqualTo(SuppressionReason.SUPPRESSION_LIST);
    }

    @Test
    void shouldSuppressABounceToASenderTheUpstreamRefused()
    {
        final BouncePolicy policy = policy();

        final BounceDecision decision =
            decide(policy, external(1, "someone@nonexistent.test", "x@customer.test"), "550 5.1.8 sender domain does not exist");

        assertThat(decision.reason()).isEqualTo(SuppressionReason.SUPPRESSION_LIST);
        assertThat(policy.isSuppressed("someone@nonexistent.test")).isTrue();
    }

    @Test
    void shouldCollapseIdenticalBouncesWithinTheDedupWindow()
    {
        final BouncePolicy policy = new BouncePolicy(context(clock).dedupWindowMs(Duration.ofMinutes(10).toMillis()));
        final String reply = "550 5.2.2 mailbox full";

        assertThat(decide(policy, external(1, "alice@partner.test", "bob@customer.test"), reply).isSend()).isTrue();
        assertThat(decide(policy, external(2, "ALICE@partner.test", "bob@customer.test"), reply).reason())
            .isEqualTo(SuppressionReason.DUPLICATE);
        assertThat(decide(policy, external(3, "alice@partner.test", "carol@customer.test"), reply).isSend())
            .as("another failed recipient is another bounce").isTrue();
        assertThat(decide(policy, external(4, "alice@partner.test", "bob@customer.test"), "550 5.2.1 disabled").isSend())
            .as("another reason is another bounce").isTrue();

        clock.advance(Duration.ofMinutes(10));

        assertThat(decide(policy, external(5, "alice@partner.test", "bob@customer.test"), reply).isSend()).isTrue();
        assertThat(policy.counters().get(BounceCounter.SUPPRESSED_DUPLICATE)).isEqualTo(1);
    }

    @Test
    void shouldRateLimitBouncesPerRecipient()
    {
        final BouncePolicy policy =
            new BouncePolicy(context(clock).dedupWindowMs(0).recipientRatePerHour(60).recipientBurst(2));

        assertThat(decide(policy, external(1, "alice@partner.test", "a@customer.test"), "550 5.2.2 full").isSend()).isTrue();
        assertThat(decide(policy, external(2, "alice@partner.test", "b@customer.test"), "550 5.2.2 full").isSend()).isTrue();
        assertThat(decide(policy, external(3, "alice@partner.test", "c@customer.test"), "550 5.2.2 full").reason())
            .isEqualTo(SuppressionReason.RATE_LIMITED_RECIPIENT);
        assertThat(decide(policy, external(4, "bob@partner.test", "c@customer.test"), "550 5.2.2 full").isSend())
            .as("another recipient has its own bucket").isTrue();

        clock.advance(Duration.ofMinutes(1));

        assertThat(decide(policy, external(5, "alice@partner.test", "d@customer.test"), "550 5.2.2 full").isSend())
            .as("60 per hour is one a minute").isTrue();
        assertThat(decide(policy, external(6, "alice@partner.test", "e@customer.test"), "550 5.2.2 full").reason())
            .isEqualTo(SuppressionReason.RATE_LIMITED_RECIPIENT);
    }

    @Test
    void shouldRateLimitBouncesPerDomainWithoutChargingTheRecipient()
    {
        final BouncePolicy policy = new BouncePolicy(context(clock).dedupWindowMs(0)
            .recipientRatePerHour(1).recipientBurst(1).domainRatePerHour(60).domainBurst(2));

        assertThat(decide(policy, external(1, "a@partner.test", "x@customer.test"), "550 5.2.2 full").isSend()).isTrue();
        assertThat(decide(policy, external(2, "b@PARTNER.test", "x@customer.test"), "550 5.2.2 full").isSend()).isTrue();
        assertThat(decide(policy, external(3, "c@partner.test", "x@customer.test"), "550 5.2.2 full").reason())
            .isEqualTo(SuppressionReason.RATE_LIMITED_DOMAIN);
        assertThat(decide(policy, external(4, "c@other.test", "x@customer.test"), "550 5.2.2 full").isSend()).isTrue();

        clock.advance(Duration.ofMinutes(1));

        assertThat(decide(policy, external(5, "c@partner.test", "x@customer.test"), "550 5.2.2 full").isSend())
            .as("the refused bounce took no token from c's own bucket").isTrue();
    }

    @Test
    void shouldNeverChargeAnyLimitForASuppressedBounce()
    {
        final BouncePolicy policy = new BouncePolicy(context(clock).recipientRatePerHour(1).recipientBurst(1));

        for (int i = 0; i < 100; i++)
        {
            decide(policy, external(i, "alice@partner.test", "alice@partner.test"), "552 5.2.2 mailbox full");
        }

        assertThat(policy.budget().bouncesInWindow()).isZero();
        assertThat(decide(policy, external(100, "alice@partner.test", "bob@customer.test"), "550 5.2.2 full").isSend())
            .isTrue();
    }

    @Test
    void shouldTreatAnExpiredRecipientAsDeliveryTimeExpired()
    {
        final BouncePolicy policy = policy();
        final RecipientStatus expired = RecipientStatus.failed(40,
            "expired: undelivered after 5 days in the queue; last reply: 451 4.7.1 greylisted, try later");

        final BounceDecision decision = policy.decide(external(1, "alice@partner.test", "bob@customer.test"), 0, expired);

        assertThat(decision.isSend()).as("a temporary 4.7.1 is not a policy verdict").isTrue();
        assertThat(decision.failure().expired()).isTrue();
        assertThat(decision.failure().status()).isEqualTo("5.4.7");
        assertThat(decision.failure().diagnostic()).isEqualTo("451 4.7.1 greylisted, try later");
        assertThat(policy.isSuppressed("bob@customer.test")).isFalse();
    }

    @Test
    void shouldJournalASuppressionAsSuppressedWithItsReason()
    {
        final BouncePolicy policy = policy();

        final BounceDecision decision = policy.decide(external(1, "x@customer.test", "x@customer.test"), 0,
            RecipientStatus.failed(3, "554 5.7.1 spam"));
        final RecipientStatus journaled = decision.journalStatus();

        assertThat(journaled.disposition()).isEqualTo(Disposition.SUPPRESSED);
        assertThat(journaled.isFinal()).isTrue();
        assertThat(journaled.attempts()).isEqualTo(3);
        assertThat(journaled.detail()).isEqualTo("554 5.7.1 spam [bounce suppressed: SPOOF_PATTERN]");
        assertThat(BounceDecision.suppressionOf(journaled)).isEqualTo(SuppressionReason.SPOOF_PATTERN);
        assertThat(BounceDecision.suppressionOf(RecipientStatus.failed(1, "550 x"))).isNull();
    }

    @Test
    void shouldCountAndListEverySuppressionNewestFirstInABoundedRing()
    {
        final BouncePolicy policy = new BouncePolicy(context(clock).recentSuppressions(3));

        decide(policy, external(1, "", "a@customer.test"), "550 5.1.1 x");
        clock.advanceMillis(1000);
        decide(policy, external(2, "b@customer.test", "b@customer.test"), "550 5.1.1 x");
        clock.advanceMillis(1000);
        decide(policy, external(3, "c@partner.test", "c2@customer.test"), "554 5.7.1 spam");
        clock.advanceMillis(1000);
        decide(policy, message(4, GeneratedMail.SOURCE_KEY, "bounces", "", "d@partner.test"), "550 5.1.1 x");

        final List<Suppression> recent = policy.recentSuppressions();
        assertThat(recent).extracting(Suppression::reason).containsExactly(
            SuppressionReason.BOUNCE_OF_BOUNCE, SuppressionReason.POLICY_FAILURE, SuppressionReason.SPOOF_PATTERN);
        assertThat(recent.get(1).queueId()).isEqualTo(external(3, "c@partner.test", "c2@customer.test").queueId());
        assertThat(recent.get(1).sender()).isEqualTo("c@partner.test");
        assertThat(recent.get(1).recipient()).isEqualTo("c2@customer.test");
        assertThat(recent.get(1).status()).isEqualTo("5.7.1");
        assertThat(recent.get(0).atMillis() - recent.get(2).atMillis()).isEqualTo(2000);
        assertThat(policy.recentSuppressions(1)).hasSize(1);
        for (final SuppressionReason reason : List.of(SuppressionReason.NULL_SENDER, SuppressionReason.SPOOF_PATTERN,
            SuppressionReason.POLICY_FAILURE, SuppressionReason.BOUNCE_OF_BOUNCE))
        {
            assertThat(policy.counters().get(reason.counter())).as(reason.name()).isEqualTo(1);
        }
        assertThat(policy.counters().get(BounceCounter.SUPPRESSED)).isEqualTo(4);
        assertThat(policy.counters().get(BounceCounter.DECISIONS)).isEqualTo(4);
    }

    @Test
    void shouldRefuseToDecideWhatIsNotAFailedRecipient()
    {
        final BouncePolicy policy = policy();
        final PendingMessage message = external(1, "alice@partner.test", "bob@customer.test");

        assertThatThrownBy(() -> policy.decide(message, 0, RecipientStatus.delivered(1, "250 ok")))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("DELIVERED");
        assertThatThrownBy(() -> policy.decide(message, 1, failed("550 5.1.1 x")))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("recipient index 1");
        assertThatThrownBy(() -> policy.suppress("not an address", 1000)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> policy.suppress("a@b.test", 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> policy.onAccepted(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldLetAnOperatorTakeAnAddressOffTheSuppressionList()
    {
        final BouncePolicy policy = policy();
        policy.suppress("alice@partner.test", 60_000);

        assertThat(policy.unsuppress("ALICE@partner.test")).isTrue();
        assertThat(policy.unsuppress("alice@partner.test")).isFalse();
        assertThat(decide(policy, external(1, "alice@partner.test", "x@customer.test"), "550 5.2.2 full").isSend()).isTrue();
    }
}
