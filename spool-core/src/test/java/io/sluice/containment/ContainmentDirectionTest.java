package io.sluice.containment;

import static io.sluice.containment.ContainmentTesting.context;
import static io.sluice.containment.ContainmentTesting.message;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import io.sluice.bounce.GeneratedMail;
import io.sluice.drain.ReplySignal;
import io.sluice.spool.Disposition;
import io.sluice.spool.Envelope;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;
import io.sluice.testing.TestClock;
import org.junit.jupiter.api.Test;

/**
 * Containment blames senders, not the inbound tenant: mail from outside the sending networks (here 192.0.2.0/24) to
 * the relay domains is never counted, and never held or purged automatically, whatever tenant it is accounted to; an
 * automatic hold keeps exactly the tenant's own sending, an operator's all of its mail; and no automatic rule holds
 * every sending tenant at once.
 */
class ContainmentDirectionTest
{
    private static final long STEP_MS = 10_000;

    private final TestClock clock = new TestClock();
    private final ContainmentTesting.RecordingListener listener = new ContainmentTesting.RecordingListener();

    private Containment open()
    {
        return Containment.open(context(clock, null), listener);
    }

    private static Envelope inbound(final int i)
    {
        // 2,000 addresses in 8 /24s, plausible distinct senders: the snowshoe flood of the issue.
        return new Envelope("198.51." + (100 + i % 8) + "." + (1 + i % 250), "default", "mail",
            "news" + i + "@shop" + i + ".example", List.of("user" + i + "@relay.test"), 0);
    }

    @Test
    void shouldNeverCountOrHoldTheInboundTenantForPolicyRejectionsOfOutsideSenders()
    {
        final Containment containment = open();

        // The finding: 1,099 accepted flood messages, 554 of them refused 5.7.1 upstream, within seconds.
        for (int i = 0; i < 1_099; i++)
        {
            final Envelope flood = inbound(i);
            containment.recordAccepted(flood);
            containment.recordReply(flood, i < 554 ? ReplySignal.POLICY_REJECTED : ReplySignal.ACCEPTED);
        }
        clock.advanceMillis(STEP_MS);

        assertThat(containment.evaluate()).isZero();
        assertThat(containment.state("default")).isEqualTo(TenantState.NORMAL);
        assertThat(containment.tenants()).as("inbound mail starts no tenant's track").isEmpty();
        assertThat(containment.counters().get(ContainmentCounter.INBOUND_NOT_COUNTED)).isEqualTo(1_099);
        assertThat(listener.events).isEmpty();
        assertThat(containment.holdOnArrival(inbound(1))).isNull();
    }

    /** 200 messages of {@code sent}'s tenant, every one refused as policy: the next evaluation holds the tenant. */
    private void assertHeldAfterPolicyRejections(final Containment containment, final Envelope sent)
    {
        for (int i = 0; i < 200; i++)
        {
            containment.recordAccepted(sent);
            containment.recordReply(sent, ReplySignal.POLICY_REJECTED);
        }
        clock.advanceMillis(STEP_MS);

        assertThat(containment.evaluate()).isEqualTo(1);
        assertThat(containment.state(sent.tenant())).isEqualTo(TenantState.HELD);
    }

    @Test
    void shouldHoldATenantWhoseAuthenticatedUserSendsFromOutsideTheSendingNetworks()
    {
        final Containment containment = open();
        // SMTP AUTH from an address no sending network lists: the tenant's own sending all the same.
        final Envelope sent = new Envelope("198.51.100.7", "acme", "mail", "app@acme.test", List.of("x@example.org"), 0,
            false, false, true);
        assertThat(containment.isSending(sent)).isTrue();
        assertHeldAfterPolicyRejections(containment, sent);
        assertThat(containment.holdOnArrival(sent)).as("its next message is held on arrival").isNotNull();
        final Envelope sameAddressUnauthenticated = new Envelope("198.51.100.7", "acme", "mail", "x@acme.test",
            List.of("user@relay.test"), 0);
        assertThat(containment.holdOnArrival(sameAddressUnauthenticated)).as("inbound mail to the tenant still flows").isNull();
    }

    @Test
    void shouldStillHoldATenantWhoseOwnSendingIsRefusedAsPolicy()
    {
        final Containment containment = open();
        final Envelope sent = new Envelope("192.0.2.20", "acme", "mail", "promo@acme.test", List.of("x@example.org"), 0);

        assertHeldAfterPolicyRejections(containment, sent);
        assertThat(listener.events).containsExactly("hold acme POLICY_REJECTIONS");
        final RecipientStatus arriving = containment.holdOnArrival(sent);
        assertThat(arriving).isNotNull();
        assertThat(arriving.disposition()).isEqualTo(Disposition.HELD);
        assertThat(Containment.isContainmentHold(arriving)).isTrue();
    }

    @Test
    void shouldHoldAndPurgeOnlyTheTenantsOwnSendingNotTheInboundMailAccountedToIt()
    {
        final Containment containment = open();
        final PendingMessage sent = message(1, "default", RecipientStatus.NEW);
        final Envelope outside = inbound(7);
        final PendingMessage received = new PendingMessage(2, outside, 100, List.of(RecipientStatus.NEW));
        for (int i = 0; i < 100; i++)
        {
            containment.recordReply(sent.envelope(), ReplySignal.POLICY_REJECTED);
        }
        assertThat(containment.evaluate()).isEqualTo(1);

        assertThat(containment.reconcile(List.of(sent, received))).singleElement()
            .satisfies(held -> assertThat(held.messageId()).isEqualTo(1L));
        assertThat(containment.holdOnArrival(sent.envelope())).isNotNull();
        assertThat(containment.holdOnArrival(outside)).as("inbound mail arrives unheld").isNull();
        assertThat(containment.samples(List.of(sent, received), "default", 10)).containsExactly(sent);
        assertThat(containment.purgeOutcomes(List.of(sent, received), "default")).singleElement()
            .satisfies(purge -> assertThat(purge.messageId()).isEqualTo(1L));
    }

    @Test
    void shouldKeepAllOfATenantsMailOnAnOperatorsHoldButWhatTheApplianceWrote()
    {
        final Containment containment = open();
        final PendingMessage sent = message(1, "default", RecipientStatus.NEW);
        final PendingMessage received = new PendingMessage(2, inbound(7), 100, List.of(RecipientStatus.NEW));
        final Envelope dsn = new Envelope(GeneratedMail.SOURCE_KEY, "default", "bounces", "", List.of("a@b.example"), 0);
        containment.hold("default", "the operator's choice");

        assertThat(containment.reconcile(List.of(sent, received))).hasSize(2);
        assertThat(containment.holdOnArrival(received.envelope())).isNotNull();
        assertThat(containment.holdOnArrival(dsn)).as("a DSN is not the tenant's mail").isNull();
    }

    @Test
    void shouldNotHoldEveryTenantAtOnceButStillOneOfSeveral()
    {
        final Containment containment = open();

        // The upstream refuses everyone's mail: what the tenants share, not one tenant's conduct.
        for (final String tenant : List.of("acme", "globex"))
        {
            containment.recordAccepted(tenant, 200);
            for (int i = 0; i < 200; i++)
            {
                containment.recordReply(tenant, ReplySignal.POLICY_REJECTED);
            }
        }
        clock.advanceMillis(STEP_MS);
        assertThat(containment.evaluate()).isZero();
        assertThat(containment.evaluate()).as("refused again, alerted once").isZero();
        assertThat(containment.holdingTenants()).isEmpty();
        assertThat(containment.counters().get(ContainmentCounter.HOLDS_REFUSED_EVERY_TENANT)).isEqualTo(1);
        assertThat(listener.events).isEmpty();

        // A third tenant whose mail the upstream takes: now the two refused are the tenants' own doing.
        containment.recordAccepted("initech", 200);
        for (int i = 0; i < 200; i++)
        {
            containment.recordReply("initech", ReplySignal.ACCEPTED);
        }
        assertThat(containment.evaluate()).isEqualTo(2);
        assertThat(containment.holdingTenants()).containsExactly("acme", "globex");
        assertThat(containment.state("initech")).isEqualTo(TenantState.NORMAL);
    }
}
