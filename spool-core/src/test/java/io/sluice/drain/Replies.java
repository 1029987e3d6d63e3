package io.sluice.drain;

import io.sluice.outcome.OutcomeClassifier;

/**
 * Replies as the outcome stage hands them to the drain, for the drain's own tests: classified once by the
 * {@link OutcomeClassifier} with the drain's retry schedule and clock, then fed back.
 */
final class Replies
{
    private Replies()
    {
    }

    /** @return the reply classified as the outcome stage classifies it, at the context's clock. */
    static ReplyOutcome classify(final DrainContext context, final Dispatch dispatch, final int index, final SmtpReply reply)
    {
        return new OutcomeClassifier(new RetrySchedule(context))
            .classify(dispatch.envelope(), dispatch.statusAtDispatch(index), reply, context.clock().millis());
    }

    /** Classifies the reply and feeds it back to the scheduler, as the outcome stage and the drain thread do. */
    static ReplyOutcome onReply(final DrainScheduler scheduler, final Dispatch dispatch, final int index, final SmtpReply reply)
    {
        final ReplyOutcome outcome = classify(scheduler.context(), dispatch, index, reply);
        scheduler.recordFeedback(dispatch.route(), dispatch.envelope().sourceKey(), outcome);
        return outcome;
    }

    /**
     * Classifies the reply as the outcome stage does and hands the drain its feedback, as the outcome stage does.
     *
     * @return the outcome, whose status the test journals.
     */
    static ReplyOutcome onReply(
        final DrainAgent agent, final DrainContext context, final Dispatch dispatch, final int index, final SmtpReply reply)
    {
        final ReplyOutcome outcome = classify(context, dispatch, index, reply);
        agent.onOutcome(dispatch.route(), dispatch.envelope().sourceKey(), outcome);
        return outcome;
    }
}
