package io.sluice.outcome;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import io.sluice.drain.ReplyOutcome;
import io.sluice.drain.ReplySignal;
import io.sluice.drain.RetrySchedule;
import io.sluice.drain.SmtpReply;
import io.sluice.spool.Disposition;
import io.sluice.spool.Envelope;
import io.sluice.spool.RecipientStatus;
import org.junit.jupiter.api.Test;

class OutcomeClassifierTest
{
    private static final long RECEIVED = 1_700_000_000_000L;
    private static final long MINUTE = TimeUnit.MINUTES.toMillis(1);
    private static final long HOUR = TimeUnit.HOURS.toMillis(1);
    private static final long LIFETIME = TimeUnit.DAYS.toMillis(5);

    private final Envelope envelope =
        new Envelope("192.0.2.1", "default", "mail", "a@example.net", List.of("b@example.org"), RECEIVED);

    private static RetrySchedule schedule(final double jitter)
    {
        return new RetrySchedule(MINUTE, HOUR, 2.0, jitter, LIFETIME, new Random(42));
    }

    private static OutcomeClassifier classifier()
    {
        return new OutcomeClassifier(schedule(0));
    }

    private ReplyOutcome classify(final RecipientStatus previous, final String reply, final long nowMillis)
    {
        return classifier().classify(envelope, previous, SmtpReply.parse(reply), nowMillis);
    }

    private static RecipientStatus deferredAfter(final int attempts)
    {
        return new RecipientStatus(Disposition.DEFERRED, attempts, RECEIVED, "451 4.3.0 earlier");
    }

    @Test
    void shouldBackOffExponentiallyFromOneMinuteToOneHour()
    {
        final RetrySchedule schedule = schedule(0);

        assertThat(List.of(1, 2, 3, 4, 5, 6, 7, 8, 100).stream().map(schedule::baseDelayMillis).toList())
            .containsExactly(MINUTE, 2 * MINUTE, 4 * MINUTE, 8 * MINUTE, 16 * MINUTE, 32 * MINUTE, HOUR, HOUR, HOUR);
        assertThat(schedule.delayMillis(3)).isEqualTo(4 * MINUTE);
    }

    @Test
    void shouldJitterDownwardsOnlyWithinTheFraction()
    {
        final RetrySchedule schedule = schedule(0.1);
        long min = Long.MAX_VALUE;
        long max = 0;
        for (int i = 0; i < 10_000; i++)
        {
            final long delay = schedule.delayMillis(7);
            min = Math.min(min, delay);
            max = Math.max(max, delay);
        }

        assertThat(max).as("the ceiling stays a ceiling").isLessThanOrEqualTo(HOUR);
        assertThat(min).isGreaterThan((long)(HOUR * 0.9));
        assertThat(max - min).as("retries of one outage spread over ~6 minutes").isGreaterThan(5 * MINUTE);
    }

    @Test
    void shouldDeliverOn2xxCountingTheAttempt()
    {
        final ReplyOutcome outcome = classify(deferredAfter(2), "250 2.0.0 Ok: queued as X", RECEIVED);

        assertThat(outcome.status()).isEqualTo(RecipientStatus.delivered(3, "250 2.0.0 Ok: queued as X"));
        assertThat(outcome.signal()).isEqualTo(ReplySignal.ACCEPTED);
    }

    @Test
    void shouldDeferOn4xxByTheSchedule()
    {
        final long now = RECEIVED + 10_000;
        final ReplyOutcome first = classify(RecipientStatus.NEW, "451 4.3.0 Try later", now);
        final ReplyOutcome third = classify(deferredAfter(2), "451 4.3.0 Try later", now);

        assertThat(first.status()).isEqualTo(RecipientStatus.deferred(1, now + MINUTE, "451 4.3.0 Try later"));
        assertThat(first.signal()).isEqualTo(ReplySignal.DEFERRED);
        assertThat(third.status().notBeforeMillis()).isEqualTo(now + 4 * MINUTE);
        assertThat(third.status().attempts()).isEqualTo(3);
    }

    @Test
    void shouldMakeTheLastAttemptAtTheExpiryRatherThanNever()
    {
        final long now = RECEIVED + LIFETIME - 10 * MINUTE;
        final ReplyOutcome outcome = classify(deferredAfter(30), "451 4.3.0 later", now);

        assertThat(outcome.status().disposition()).isEqualTo(Disposition.DEFERRED);
        assertThat(outcome.status().notBeforeMillis()).isEqualTo(RECEIVED + LIFETIME);
    }

    @Test
    void shouldFailATemporaryFailureOnceTheQueueLifetimeIsOver()
    {
        final long now = RECEIVED + LIFETIME;
        final ReplyOutcome outcome = classify(deferredAfter(31), "421 4.7.0 busy", now);

        assertThat(outcome.status().disposition()).isEqualTo(Disposition.FAILED);
        assertThat(outcome.status().detail())
            .isEqualTo("expired: undelivered after 5 days in the queue; last reply: 421 4.7.0 busy");
        assertThat(outcome.expired()).isTrue();
        assertThat(outcome.signal()).as("still a throttling signal for the route").isEqualTo(ReplySignal.THROTTLED);
    }

    @Test
    void shouldFailOn5xxAndFlagPolicyRejections()
    {
        final ReplyOutcome unknown = classify(RecipientStatus.NEW, "550 5.1.1 No such user", RECEIVED);
        final ReplyOutcome policy = classify(RecipientStatus.NEW, "550 5.7.1 Spam", RECEIVED);

        assertThat(unknown.status()).isEqualTo(RecipientStatus.failed(1, "550 5.1.1 No such user"));
        assertThat(unknown.signal()).isEqualTo(ReplySignal.REJECTED);
        assertThat(unknown.expired()).isFalse();
        assertThat(policy.signal()).isEqualTo(ReplySignal.POLICY_REJECTED);
    }

    @Test
    void shouldTreatRateLimitRepliesAndRefusedConnectionsAsThrottling()
    {
        assertThat(SmtpReply.parse("421 4.3.2 Service shutting down").isThrottling()).isTrue();
        assertThat(SmtpReply.parse("450 4.7.0 Too many messages, slow down").isThrottling()).isTrue();
        assertThat(SmtpReply.parse("451 4.7.1 Rate limited").isThrottling()).isTrue();
        assertThat(SmtpReply.connectionRefused("connect: Connection refused").isThrottling()).isTrue();
        assertThat(SmtpReply.parse("451 4.3.0 Local error").isThrottling()).isFalse();
        assertThat(SmtpReply.parse("452 4.2.2 Mailbox full").isThrottling()).isFalse();
        assertThat(SmtpReply.connectionLost("reset after DATA").isThrottling()).isFalse();
        assertThat(SmtpReply.routeProblem("4.7.8", "AUTH refused: 535 5.7.8 bad credentials").isThrottling())
            .as("our credentials, not our rate").isFalse();
        assertThat(SmtpReply.parse("550 5.7.1 Spam").isThrottling()).isFalse();

        final ReplyOutcome refused =
            classifier().classify(envelope, RecipientStatus.NEW, SmtpReply.connectionRefused("refused"), RECEIVED);
        assertThat(refused.signal()).isEqualTo(ReplySignal.THROTTLED);
        assertThat(refused.status().disposition()).isEqualTo(Disposition.DEFERRED);
        assertThat(refused.status().detail()).isEqualTo("421 4.4.1 refused");

        final ReplyOutcome authRefused = classifier().classify(envelope, RecipientStatus.NEW,
            SmtpReply.routeProblem("4.7.8", "AUTH refused: 535 5.7.8 bad credentials"), RECEIVED);
        assertThat(authRefused.signal()).as("deferred, never failed: the recipients are not at fault")
            .isEqualTo(ReplySignal.DEFERRED);
        assertThat(authRefused.status().disposition()).isEqualTo(Disposition.DEFERRED);
        assertThat(authRefused.status().detail()).isEqualTo("454 4.7.8 AUTH refused: 535 5.7.8 bad credentials");
    }

    @Test
    void shouldDeferAProtocolErrorRatherThanFailIt()
    {
        final ReplyOutcome outcome = classify(RecipientStatus.NEW, "354 go ahead", RECEIVED);

        assertThat(outcome.status().disposition()).isEqualTo(Disposition.DEFERRED);
    }

    @Test
    void shouldParseReplyLines()
    {
        assertThat(SmtpReply.parse("550-5.7.1 Blocked")).isEqualTo(SmtpReply.of(550, "5.7.1", "Blocked"));
        assertThat(SmtpReply.parse("250 ok")).isEqualTo(SmtpReply.of(250, "", "ok"));
        assertThat(SmtpReply.parse("421")).isEqualTo(SmtpReply.of(421, "", ""));
        assertThat(SmtpReply.parse("550 4.7.1 mismatched class")).as("a class that contradicts the code is text")
            .isEqualTo(SmtpReply.of(550, "", "4.7.1 mismatched class"));
        assertThat(SmtpReply.parse("250 2.0.0 ok").toString()).isEqualTo("250 2.0.0 ok");
        assertThatThrownBy(() -> SmtpReply.parse("hello")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SmtpReply.parse("2500 x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SmtpReply.parse("099 x")).isInstanceOf(IllegalArgumentException.class);
    }

    private ReplyOutcome classifyAfterThrottles(final SmtpReply reply, final int throttledInARow)
    {
        return new OutcomeClassifier(schedule(0), 5).classify(envelope, deferredAfter(2), reply, RECEIVED + HOUR,
            throttledInARow);
    }

    @Test
    void shouldRequeueAThrottledRecipientWithoutAnAttemptUntilTheLimitInARow()
    {
        for (final SmtpReply reply : List.of(SmtpReply.parse("421 4.7.0 Try again later"),
            SmtpReply.parse("450 4.7.1 Slow down"), SmtpReply.parse("451 4.7.500 Server busy"),
            SmtpReply.parse("451 4.4.5 System congestion"), SmtpReply.parse("421 Service not available"),
            SmtpReply.connectionRefused("Connection refused")))
        {
            final ReplyOutcome requeued = classifyAfterThrottles(reply, 3);
            assertThat(requeued.requeued()).as(reply.toString()).isTrue();
            assertThat(requeued.signal()).isEqualTo(ReplySignal.THROTTLED);
            assertThat(requeued.status().attempts()).as("no attempt spent").isEqualTo(2);
            assertThat(requeued.status().notBeforeMillis()).as("due at once").isEqualTo(RECEIVED + HOUR);
            assertThat(requeued.status().detail()).startsWith(OutcomeClassifier.REQUEUED);

            final ReplyOutcome fifth = classifyAfterThrottles(reply, 4);
            assertThat(fifth.requeued()).as("the fifth in a row is a deferral").isFalse();
            assertThat(fifth.signal()).isEqualTo(ReplySignal.THROTTLED);
            assertThat(fifth.status().attempts()).isEqualTo(3);
            assertThat(fifth.status().notBeforeMillis()).isEqualTo(RECEIVED + HOUR + 4 * MINUTE);
        }
    }

    @Test
    void shouldDeferARecipientsOwnTemporaryFailureAsBefore()
    {
        for (final SmtpReply reply : List.of(SmtpReply.parse("450 4.2.1 Receiving mail too fast"),
            SmtpReply.parse("450 4.2.2 Mailbox full"), SmtpReply.parse("451 4.3.0 Local error"),
            SmtpReply.parse("452 4.3.1 Insufficient system storage"), SmtpReply.parse("450 Mailbox busy"),
            SmtpReply.connectionLost("Connection reset"), SmtpReply.routeProblem("4.7.8", "credentials refused")))
        {
            final ReplyOutcome outcome = classifyAfterThrottles(reply, 0);
            assertThat(outcome.requeued()).as(reply.toString()).isFalse();
            assertThat(outcome.signal()).as(reply.toString()).isEqualTo(ReplySignal.DEFERRED);
            assertThat(outcome.status().attempts()).isEqualTo(3);
        }
    }

    @Test
    void shouldDeferEveryThrottleWithALimitOfOne()
    {
        final ReplyOutcome outcome = new OutcomeClassifier(schedule(0), 1)
            .classify(envelope, deferredAfter(2), SmtpReply.parse("421 4.7.0 Try again later"), RECEIVED + HOUR, 0);

        assertThat(outcome.requeued()).isFalse();
        assertThat(outcome.status().attempts()).isEqualTo(3);
    }
}
