package io.sluice.outcome;

import java.util.Objects;
import java.util.concurrent.TimeUnit;

import io.sluice.drain.ReplyOutcome;
import io.sluice.drain.ReplySignal;
import io.sluice.drain.RetrySchedule;
import io.sluice.drain.SmtpReply;
import io.sluice.spool.Envelope;
import io.sluice.spool.RecipientStatus;

/**
 * Maps one upstream reply for one recipient to the status to journal, in one place: {@code 2xx} delivered;
 * {@code 4xx} (and connection failures) deferred by the {@link RetrySchedule} until the maximum queue lifetime
 * counted from {@link Envelope#receivedAtMillis()}, then failed; {@code 5xx} failed. Anything else (a 1xx or 3xx
 * where a final reply belongs) is a protocol error on the upstream's side and is deferred, never failed: only a
 * definite verdict is permanent. A throttle reply ({@link SmtpReply#isThrottling()}: {@code 421}, {@code 4.7.x}, a
 * refused connection) is requeued instead, spending no attempt, until the message has drawn
 * {@code drain.throttle.requeueLimit} of them in a row (the table is in docs/drain-and-delivery.md).
 *
 * <p>Stateless and thread-safe (if the context's random generator is): the {@link OutcomeStage} calls it on the
 * delivery thread that reported the reply.
 */
public final class OutcomeClassifier
{
    /** What a requeued throttle reply's detail starts with, in the journal (mixed dispatches) and the mail log. */
    public static final String REQUEUED = "throttled, requeued without an attempt: ";

    private final RetrySchedule schedule;
    private final int requeueLimit;

    /** Every throttle reply is a deferral (no requeue). */
    public OutcomeClassifier(final RetrySchedule schedule)
    {
        this(schedule, 1);
    }

    /**
     * @param requeueLimit {@code drain.throttle.requeueLimit}: throttle replies in a row a message may draw and go back
     *                     to the head of its queue without spending an attempt; the next is a deferral.
     */
    public OutcomeClassifier(final RetrySchedule schedule, final int requeueLimit)
    {
        this.schedule = Objects.requireNonNull(schedule, "schedule");
        this.requeueLimit = requeueLimit;
    }

    /**
     * @param envelope  the message's envelope (for its receive time).
     * @param previous  the recipient's status when it was dispatched (for its attempt count).
     * @param reply     what the upstream (or the connection) said.
     * @param nowMillis the time of the reply.
     * @return the status to journal, with {@code attempts = previous.attempts() + 1}, and the reply's signal.
     */
    public ReplyOutcome classify(
        final Envelope envelope, final RecipientStatus previous, final SmtpReply reply, final long nowMillis)
    {
        return classify(envelope, previous, reply, nowMillis, Integer.MAX_VALUE);
    }

    /**
     * As {@link #classify(Envelope, RecipientStatus, SmtpReply, long)}, for a message that drew {@code throttledInARow}
     * throttle replies in a row before: a throttle reply below the requeue limit spends no attempt and is due now
     * ({@link ReplyOutcome#requeued()}). Being throttled says the upstream is busy, not that this message is at fault,
     * and the drain is already slowing the route down; only a message throttled again and again is deferred.
     */
    public ReplyOutcome classify(final Envelope envelope, final RecipientStatus previous, final SmtpReply reply,
        final long nowMillis, final int throttledInARow)
    {
        if (reply.isThrottling() && throttledInARow < requeueLimit - 1)
        {
            return new ReplyOutcome(RecipientStatus.deferred(previous.attempts(), nowMillis, REQUEUED + reply),
                ReplySignal.THROTTLED, true);
        }
        final int attempts = previous.attempts() + 1;
        final String detail = reply.toString();
        if (reply.isPositive())
        {
            return new ReplyOutcome(RecipientStatus.delivered(attempts, detail), ReplySignal.ACCEPTED);
        }
        if (reply.isPermanent())
        {
            return new ReplyOutcome(RecipientStatus.failed(attempts, detail),
                reply.isPolicyRejection() ? ReplySignal.POLICY_REJECTED : ReplySignal.REJECTED);
        }
        final ReplySignal signal = reply.isThrottling() ? ReplySignal.THROTTLED : ReplySignal.DEFERRED;
        final long next = schedule.nextAttemptMillis(attempts, envelope.receivedAtMillis(), nowMillis);
        if (next < 0)
        {
            final long days = TimeUnit.MILLISECONDS.toDays(schedule.lifetimeMillis());
            final String expired = "expired: undelivered after " + (days > 0 ? days + " days" : schedule.lifetimeMillis() + " ms")
                + " in the queue; last reply: " + detail;
            return new ReplyOutcome(RecipientStatus.failed(attempts, expired), signal);
        }
        return new ReplyOutcome(RecipientStatus.deferred(attempts, next, detail), signal);
    }

    public RetrySchedule schedule()
    {
        return schedule;
    }
}
