package io.sluice.bounce;

import static io.sluice.bounce.BounceTesting.failed;
import static io.sluice.bounce.BounceTesting.message;
import static io.sluice.bounce.BounceTesting.originalContent;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;
import org.junit.jupiter.api.Test;
import io.sluice.testing.TestClock;

/**
 * A backscatter flood replayed against the policy on its defaults: a spoofing flood (sender == recipient, thousands of
 * outside addresses, malware refused upstream with {@code 554 5.7.1}) must produce no backscatter, while a real
 * sender's hard bounce still gets its one correct DSN.
 */
class FloodBounceTest
{
    private static final int FLOOD = 5000;

    private final TestClock clock = new TestClock();

    /** Thousands of distinct outside addresses, 250 per /24, as a botnet's. */
    private static String floodSource(final int i)
    {
        return "198.51." + (i / 250) + "." + (i % 250 + 1);
    }

    @Test
    void shouldSendNoBounceForASpoofingFloodAndExactlyOneForTheLegitimateFailure()
    {
        final BounceContext defaults = new BounceContext().clock(clock).nanoClock(clock).reportingMta("mx.customer.test");
        final BouncePolicy policy = new BouncePolicy(defaults);
        final DsnBuilder builder = new DsnBuilder(defaults);
        final List<GeneratedMail> dsns = new ArrayList<>();

        for (int i = 0; i < FLOOD; i++)
        {
            final String victim = "user" + (i % 700) + "@customer.test";
            final PendingMessage spoofed = message(i + 1, floodSource(i), "mail", victim, victim);
            policy.onAccepted();
            clock.advanceMillis(10);
            final BounceDecision decision = policy.decide(spoofed, 0, failed("554 5.7.1 message refused: malware detected"));
            if (decision.isSend())
            {
                dsns.add(builder.build(decision, originalContent()));
            }
        }
        final PendingMessage legitimate = message(90_001, "192.0.2.44", "mail", "alice@partner.test", "nobody@customer.test");
        policy.onAccepted();
        final BounceDecision decision =
            policy.decide(legitimate, 0, failed("550 5.1.1 <nobody@customer.test>: Recipient address rejected: User unknown"));
        if (decision.isSend())
        {
            dsns.add(builder.build(decision, originalContent()));
        }

        assertThat(dsns).hasSize(1);
        final GeneratedMail dsn = dsns.get(0);
        assertThat(dsn.envelope().sender()).isEmpty();
        assertThat(dsn.envelope().recipients()).containsExactly("alice@partner.test");
        assertThat(dsn.envelope().lane()).isEqualTo("bounces");
        final MimeMessage report = MimeMessage.parse(dsn.bytes());
        assertThat(report.parts()).hasSize(3);
        assertThat(report.parts().get(1).statusGroups().get(1))
            .containsEntry("final-recipient", "rfc822; nobody@customer.test")
            .containsEntry("action", "failed")
            .containsEntry("status", "5.1.1");
        assertThat(policy.counters().get(BounceCounter.SUPPRESSED_SPOOF_PATTERN)).isEqualTo(FLOOD);
        assertThat(policy.counters().get(BounceCounter.BOUNCES_ALLOWED)).isEqualTo(1);
        final double amplification = (double)policy.counters().get(BounceCounter.BOUNCES_ALLOWED)
            / policy.counters().get(BounceCounter.MESSAGES_ACCEPTED);
        assertThat(amplification).as("the issue's target: at most 0.1%% (bouncing all: 100%%)").isLessThanOrEqualTo(0.001);
    }

    @Test
    void shouldCapAFloodThatEvadesEveryPatternAtTheBudget()
    {
        // Random forged senders at many domains, unknown recipients: nothing marks these as forged, so only the
        // limits stand between the flood and the backscatter it would cause.
        final BouncePolicy policy = new BouncePolicy(new BounceContext().clock(clock).nanoClock(clock));
        int sent = 0;
        for (int i = 0; i < FLOOD; i++)
        {
            final PendingMessage forged = message(i + 1, floodSource(i), "mail", "random" + i + "@domain" + (i % 97) + ".test",
                "user" + i + "@customer.test");
            policy.onAccepted();
            clock.advanceMillis(10);
            sent += policy.decide(forged, 0, failed("550 5.1.1 user unknown")).isSend() ? 1 : 0;
        }

        assertThat(sent).as("1% of 5,000 accepted").isEqualTo(50);
        // Not dropped: held in the spool and sent only as later windows allow, at the same 1%.
        assertThat(policy.counters().get(BounceCounter.DEFERRED_OVER_BUDGET)).isEqualTo(FLOOD - 50);
        assertThat(policy.counters().get(BounceCounter.SUPPRESSED)).isZero();
        assertThat(policy.tryReleaseDeferred()).as("the window is spent").isFalse();
        assertThat(policy.counters().get(BounceCounter.BUDGET_ALERTS)).as("one alert per window, not per bounce").isEqualTo(1);
    }

    @Test
    void shouldMakeABounceLoopBetweenTwoRoutesImpossible()
    {
        // Two routes that reject each other's mail: every message that fails is handed to the policy, and whatever DSN
        // it allows is sent and fails in turn. A loop would never empty the queue.
        final BounceContext context = BounceTesting.context(clock);
        final BouncePolicy policy = new BouncePolicy(context);
        final DsnBuilder builder = new DsnBuilder(context);
        final Deque<PendingMessage> failing = new ArrayDeque<>();
        failing.add(message(1, "192.0.2.10", "mail", "alice@route-a.test", "bob@route-b.test"));
        int generated = 0;
        long nextId = 2;
        while (!failing.isEmpty() && generated < 100)
        {
            final PendingMessage failed = failing.poll();
            final BounceDecision decision = policy.decide(failed, 0, failed("550 5.1.1 no such user here"));
            if (decision.isSend())
            {
                final GeneratedMail dsn = builder.build(decision, originalContent());
                generated++;
                failing.add(new PendingMessage(nextId++, dsn.envelope(), dsn.bytes().length,
                    List.of(RecipientStatus.NEW)));
            }
        }

        assertThat(generated).as("the first failure bounces once; the bounce's failure never does").isEqualTo(1);
        assertThat(policy.recentSuppressions()).extracting(Suppression::reason)
            .containsExactly(SuppressionReason.BOUNCE_OF_BOUNCE);
        assertThat(policy.isSuppressed("alice@route-a.test")).as("its next forged use gets no bounce either").isTrue();
    }
}
