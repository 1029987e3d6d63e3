package io.sluice.delivery;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.sluice.drain.DrainAgent;
import io.sluice.drain.Dispatch;
import io.sluice.drain.ReplyOutcome;
import io.sluice.drain.SmtpReply;
import io.sluice.spool.Disposition;
import io.sluice.spool.RecipientStatus;
import io.sluice.spool.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the replies of one finished dispatch into journaled outcomes: each recipient's reply is classified by the
 * drain ({@link DrainAgent#onReply}, which also feeds AIMD and demotion) and its status written with
 * {@link Spool#recordOutcome}. The drain takes the dispatch out of flight only when the spool reports every
 * recipient's new status, so an outcome that is never journaled is never forgotten either: the message stays in
 * flight until {@code drain.inFlightTimeoutMs} and is then sent again (at-least-once).
 *
 * <p>A write the spool refuses ({@code SpoolUnavailableException}: queue full, disk under half its reserve) is retried
 * with back-off, {@value #MAX_ATTEMPTS} attempts over about {@value #RETRY_SPAN_DESCRIPTION}; a write that still
 * fails is logged as an error naming the message and recipient, and counted. Thread-safe.
 */
final class OutcomeRecorder
{
    static final int MAX_ATTEMPTS = 10;
    static final String RETRY_SPAN_DESCRIPTION = "15 seconds";
    private static final long FIRST_RETRY_MS = 50;
    private static final long MAX_RETRY_MS = 4_000;
    private static final Logger LOG = LoggerFactory.getLogger(OutcomeRecorder.class);
    /** One line per delivery outcome with the queue id, as operators grep Postfix's maillog. */
    private static final Logger MAILLOG = LoggerFactory.getLogger("io.sluice.maillog");

    private final Spool spool;
    private final DrainAgent agent;
    private final FailureListener failures;
    private final DeliveryCounters counters;
    private final ScheduledExecutorService timer;
    private final int maxAttempts;
    private final long firstRetryMs;
    private final long maxRetryMs;
    private final AtomicInteger pending = new AtomicInteger();

    OutcomeRecorder(
        final Spool spool,
        final DrainAgent agent,
        final FailureListener failures,
        final DeliveryCounters counters,
        final ScheduledExecutorService timer)
    {
        this(spool, agent, failures, counters, timer, MAX_ATTEMPTS, FIRST_RETRY_MS, MAX_RETRY_MS);
    }

    /** With its own retry timing, for tests. */
    OutcomeRecorder(
        final Spool spool,
        final DrainAgent agent,
        final FailureListener failures,
        final DeliveryCounters counters,
        final ScheduledExecutorService timer,
        final int maxAttempts,
        final long firstRetryMs,
        final long maxRetryMs)
    {
        this.spool = spool;
        this.agent = agent;
        this.failures = failures;
        this.counters = counters;
        this.timer = timer;
        this.maxAttempts = maxAttempts;
        this.firstRetryMs = firstRetryMs;
        this.maxRetryMs = maxRetryMs;
    }

    /**
     * Journals one outcome per recipient of the dispatch. Call exactly once per dispatch that was attempted.
     *
     * @param replies the reply for each of {@code dispatch.recipientIndexes()}; a missing one counts as a lost
     *                connection (deferred), never as success.
     * @return completes when every recipient's outcome is journaled or given up: a route holds the dispatch's
     *     connection slot until then, so a crash can lose at most one reply per connection (at-least-once, bounded)
     */
    CompletableFuture<Void> record(final Dispatch dispatch, final Map<Integer, SmtpReply> replies)
    {
        final CompletableFuture<Void> settled = new CompletableFuture<>();
        final AtomicInteger unsettled = new AtomicInteger(dispatch.recipientIndexes().size());
        final Runnable settle = () ->
        {
            if (unsettled.decrementAndGet() == 0)
            {
                settled.complete(null);
            }
        };
        for (final int index : dispatch.recipientIndexes())
        {
            final SmtpReply given = replies.get(index);
            final SmtpReply reply = given != null ? given : SmtpReply.connectionLost("no reply was recorded for the recipient");
            final ReplyOutcome outcome = agent.onReply(dispatch, index, reply);
            log(dispatch, index, outcome.status());
            pending.incrementAndGet();
            signal(dispatch, index, outcome);
            if (outcome.status().disposition() == Disposition.FAILED)
            {
                // The bounce decision comes before the journal write, off the delivery thread.
                try
                {
                    timer.execute(() -> decideThenWrite(dispatch, index, reply, outcome.status(), settle));
                }
                catch (final RejectedExecutionException ex)
                {
                    decideThenWrite(dispatch, index, reply, outcome.status(), settle);
                }
            }
            else
            {
                write(dispatch, index, reply, outcome.status(), 1, settle);
            }
        }
        return settled;
    }

    private void signal(final Dispatch dispatch, final int index, final ReplyOutcome outcome)
    {
        try
        {
            failures.onReply(dispatch.message(), index, outcome);
        }
        catch (final RuntimeException ex)
        {
            LOG.error("reply listener threw for {} recipient {}", dispatch.message().queueId(), index, ex);
        }
    }

    /** Asks the failure listener for the final status (a bounce decision), then journals it; never loses it. */
    private void decideThenWrite(
        final Dispatch dispatch, final int index, final SmtpReply reply, final RecipientStatus failed, final Runnable settle)
    {
        RecipientStatus status = failed;
        try
        {
            counters.increment(DeliveryCounter.FAILURES_REPORTED);
            final RecipientStatus decided = failures.onFailed(dispatch.message(), index, reply, failed);
            status = decided != null ? decided : failed;
        }
        catch (final RuntimeException ex)
        {
            LOG.error("failure listener threw for {} recipient {}; journaling the failure as is",
                dispatch.message().queueId(), index, ex);
        }
        write(dispatch, index, reply, status, 1, settle);
    }

    private static void log(final Dispatch dispatch, final int index, final RecipientStatus status)
    {
        MAILLOG.info("{}: to=<{}>, route={}, status={}, attempt={}: {}", dispatch.message().queueId(),
            dispatch.recipient(index), dispatch.route(), status.disposition().name().toLowerCase(java.util.Locale.ROOT),
            status.attempts(), status.detail());
    }

    private void write(final Dispatch dispatch, final int index, final SmtpReply reply, final RecipientStatus status,
        final int attempt, final Runnable settle)
    {
        CompletableFuture<Boolean> written;
        try
        {
            written = spool.recordOutcome(dispatch.messageId(), index, status);
        }
        catch (final RuntimeException ex)
        {
            written = CompletableFuture.failedFuture(ex);
        }
        // Completes on the journal writer's thread: hand anything slow to the timer thread.
        written.whenComplete((changed, failure) ->
        {
            if (failure == null)
            {
                journaled(dispatch, index, Boolean.TRUE.equals(changed));
                settle.run();
            }
            else
            {
                retry(dispatch, index, reply, status, attempt, failure, settle);
            }
        });
    }

    private void journaled(final Dispatch dispatch, final int index, final boolean changed)
    {
        counters.increment(DeliveryCounter.OUTCOMES_JOURNALED);
        if (!changed)
        {
            LOG.debug("{} recipient {}: outcome changed nothing (message finished or purged meanwhile)",
                dispatch.message().queueId(), index);
        }
        pending.decrementAndGet();
    }

    private void retry(
        final Dispatch dispatch,
        final int index,
        final SmtpReply reply,
        final RecipientStatus status,
        final int attempt,
        final Throwable failure,
        final Runnable settle)
    {
        if (attempt < maxAttempts)
        {
            final long delay = Math.min(maxRetryMs, firstRetryMs << Math.min(attempt - 1, 20));
            try
            {
                timer.schedule(() -> write(dispatch, index, reply, status, attempt + 1, settle), delay, TimeUnit.MILLISECONDS);
                counters.increment(DeliveryCounter.OUTCOME_RETRIES);
                LOG.warn("{} recipient {}: outcome not journaled ({}); retrying in {} ms", dispatch.message().queueId(), index,
                    failure.getMessage(), delay);
                return;
            }
            catch (final RejectedExecutionException stopped)
            {
                // Shutting down: fall through and report the outcome as not journaled.
            }
        }
        counters.increment(DeliveryCounter.OUTCOMES_UNJOURNALED);
        LOG.error("{} to <{}>: outcome '{} {}' could not be journaled after {} attempts ({}); the message stays in flight"
            + " and will be sent again after drain.inFlightTimeoutMs or a restart (at-least-once)",
            dispatch.message().queueId(), dispatch.recipient(index), status.disposition(), status.detail(), attempt,
            failure.getMessage());
        pending.decrementAndGet();
        settle.run();
    }

    /** @return outcomes handed over but not yet journaled (or given up). */
    int pending()
    {
        return pending.get();
    }
}
