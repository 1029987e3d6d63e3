package io.sluice.outcome;

import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.sluice.counters.EnumCounters;
import io.sluice.drain.Dispatch;
import io.sluice.drain.DrainAgent;
import io.sluice.drain.DrainContext;
import io.sluice.drain.ReplyOutcome;
import io.sluice.drain.RetrySchedule;
import io.sluice.drain.SmtpReply;
import io.sluice.spool.Disposition;
import io.sluice.spool.RecipientStatus;
import io.sluice.spool.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one stage every delivery reply goes through, once, one way: delivery reports a raw reply
 * ({@link DeliveryReports}); this stage classifies it ({@link OutcomeClassifier}), tells the drain its feedback (AIMD,
 * demotion, counters) and the {@link OutcomeListener} its signal (containment, admission's reputation), asks the bounce
 * policy about a recipient that failed for good, and journals the status with {@link Spool#recordOutcome}. The drain
 * takes the dispatch out of flight only when the spool reports every recipient's new status, so an outcome that is
 * never journaled is never forgotten either: the message stays in flight until {@code drain.inFlightTimeoutMs} and is
 * then sent again (at-least-once).
 *
 * <p>A write the spool refuses ({@code SpoolUnavailableException}: queue full, disk under half its reserve) is retried
 * with back-off, {@value #MAX_ATTEMPTS} attempts over about {@value #RETRY_SPAN_DESCRIPTION}; a write that still
 * fails is logged as an error naming the message and recipient, and counted.
 *
 * <p>Threads: {@link #report} runs on the delivery thread that got the replies; bounce decisions and retries run on
 * the stage's own thread ({@code sluice-outcomes}), never on the journal writer's. Thread-safe.
 */
public final class OutcomeStage implements DeliveryReports, AutoCloseable
{
    static final int MAX_ATTEMPTS = 10;
    static final String RETRY_SPAN_DESCRIPTION = "15 seconds";
    private static final long FIRST_RETRY_MS = 50;
    private static final long MAX_RETRY_MS = 4_000;
    private static final long CLOSE_GRACE_MS = 2_000;
    private static final Logger LOG = LoggerFactory.getLogger(OutcomeStage.class);
    /** One line per delivery outcome with the queue id, as operators grep Postfix's maillog. */
    private static final Logger MAILLOG = LoggerFactory.getLogger("io.sluice.maillog");

    private final Spool spool;
    private final OutcomeClassifier classifier;
    private final Clock clock;
    private final DrainAgent drain;
    private final OutcomeListener listener;
    private final EnumCounters<OutcomeCounter> counters = new EnumCounters<>(OutcomeCounter.class, "outcome");
    private final ScheduledThreadPoolExecutor timer;
    private final int maxAttempts;
    private final long firstRetryMs;
    private final long maxRetryMs;
    private final AtomicInteger pending = new AtomicInteger();

    /**
     * @param spool    where outcomes are journaled.
     * @param settings the drain's concluded settings: its retry schedule and clock classify the replies.
     * @param drain    told each reply's feedback, once.
     * @param listener asked about failures (bounce policy) and told each reply's signal (containment, reputation).
     */
    public OutcomeStage(final Spool spool, final DrainContext settings, final DrainAgent drain, final OutcomeListener listener)
    {
        this(spool, settings, drain, listener, MAX_ATTEMPTS, FIRST_RETRY_MS, MAX_RETRY_MS);
    }

    /** With its own retry timing, for tests. */
    OutcomeStage(
        final Spool spool,
        final DrainContext settings,
        final DrainAgent drain,
        final OutcomeListener listener,
        final int maxAttempts,
        final long firstRetryMs,
        final long maxRetryMs)
    {
        this.spool = Objects.requireNonNull(spool, "spool");
        this.classifier = new OutcomeClassifier(new RetrySchedule(settings), settings.rateLearning().requeueLimit());
        this.clock = settings.clock();
        this.drain = Objects.requireNonNull(drain, "drain");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.maxAttempts = maxAttempts;
        this.firstRetryMs = firstRetryMs;
        this.maxRetryMs = maxRetryMs;
        timer = new ScheduledThreadPoolExecutor(1, runnable ->
        {
            final Thread thread = new Thread(runnable, "sluice-outcomes");
            thread.setDaemon(true);
            return thread;
        });
        timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    @Override
    public CompletableFuture<Void> report(final Dispatch dispatch, final Map<Integer, SmtpReply> replies)
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
        final List<Integer> indexes = dispatch.recipientIndexes();
        final ReplyOutcome[] outcomes = new ReplyOutcome[indexes.size()];
        final SmtpReply[] given = new SmtpReply[indexes.size()];
        int requeued = 0;
        for (int i = 0; i < outcomes.length; i++)
        {
            final int index = indexes.get(i);
            final SmtpReply reply = replies.get(index);
            given[i] = reply != null ? reply : SmtpReply.connectionLost("no reply was recorded for the recipient");
            outcomes[i] = classifier.classify(dispatch.envelope(), dispatch.statusAtDispatch(index), given[i], clock.millis(),
                dispatch.throttledInARow());
            drain.onOutcome(dispatch.route(), dispatch.envelope().sourceKey(), outcomes[i]);
            log(dispatch, index, outcomes[i]);
            signal(dispatch, index, outcomes[i]);
            requeued += outcomes[i].requeued() ? 1 : 0;
        }
        if (requeued == outcomes.length)
        {
            // Throttled as a whole (a 421, a refused connection): nothing changed for the message, nothing to journal;
            // the drain puts it back at the head of its queue.
            drain.requeueThrottled(dispatch, true);
            settled.complete(null);
            return settled;
        }
        if (requeued > 0)
        {
            // Told before the other outcomes are journaled, so the drain counts the throttle before their snapshot.
            drain.requeueThrottled(dispatch, false);
        }
        for (int i = 0; i < outcomes.length; i++)
        {
            final int index = indexes.get(i);
            final SmtpReply reply = given[i];
            final ReplyOutcome outcome = outcomes[i];
            pending.incrementAndGet();
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
                write(dispatch, index, outcome.status(), 1, settle);
            }
        }
        return settled;
    }

    @Override
    public void returnUndelivered(final Dispatch dispatch)
    {
        drain.returnUndelivered(dispatch);
    }

    private void signal(final Dispatch dispatch, final int index, final ReplyOutcome outcome)
    {
        try
        {
            listener.onReply(dispatch.message(), index, outcome);
        }
        catch (final RuntimeException ex)
        {
            LOG.error("reply listener threw for {} recipient {}", dispatch.message().queueId(), index, ex);
        }
    }

    /** Asks the listener for the final status (a bounce decision), then journals it; never loses it. */
    private void decideThenWrite(
        final Dispatch dispatch, final int index, final SmtpReply reply, final RecipientStatus failed, final Runnable settle)
    {
        RecipientStatus status = failed;
        try
        {
            counters.counter(OutcomeCounter.FAILURES_REPORTED).increment();
            final RecipientStatus decided = listener.onFailed(dispatch.message(), index, reply, failed);
            status = decided != null ? decided : failed;
        }
        catch (final RuntimeException ex)
        {
            LOG.error("failure listener threw for {} recipient {}; journaling the failure as is",
                dispatch.message().queueId(), index, ex);
        }
        write(dispatch, index, status, 1, settle);
    }

    private static void log(final Dispatch dispatch, final int index, final ReplyOutcome outcome)
    {
        final RecipientStatus status = outcome.status();
        MAILLOG.info("{}: to=<{}>, route={}, status={}, attempt={}: {}", dispatch.message().queueId(),
            dispatch.recipient(index), dispatch.route(),
            outcome.requeued() ? "requeued" : status.disposition().name().toLowerCase(Locale.ROOT),
            status.attempts(), status.detail());
    }

    private void write(
        final Dispatch dispatch, final int index, final RecipientStatus status, final int attempt, final Runnable settle)
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
        // Completes on the journal writer's thread: hand anything slow to the stage's thread.
        written.whenComplete((changed, failure) ->
        {
            if (failure == null)
            {
                journaled(dispatch, index, Boolean.TRUE.equals(changed));
                settle.run();
            }
            else
            {
                retry(dispatch, index, status, attempt, failure, settle);
            }
        });
    }

    private void journaled(final Dispatch dispatch, final int index, final boolean changed)
    {
        counters.counter(OutcomeCounter.OUTCOMES_JOURNALED).increment();
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
                timer.schedule(() -> write(dispatch, index, status, attempt + 1, settle), delay, TimeUnit.MILLISECONDS);
                counters.counter(OutcomeCounter.OUTCOME_RETRIES).increment();
                LOG.warn("{} recipient {}: outcome not journaled ({}); retrying in {} ms", dispatch.message().queueId(), index,
                    failure.getMessage(), delay);
                return;
            }
            catch (final RejectedExecutionException stopped)
            {
                // Shutting down: fall through and report the outcome as not journaled.
            }
        }
        counters.counter(OutcomeCounter.OUTCOMES_UNJOURNALED).increment();
        LOG.error("{} to <{}>: outcome '{} {}' could not be journaled after {} attempts ({}); the message stays in flight"
            + " and will be sent again after drain.inFlightTimeoutMs or a restart (at-least-once)",
            dispatch.message().queueId(), dispatch.recipient(index), status.disposition(), status.detail(), attempt,
            failure.getMessage());
        pending.decrementAndGet();
        settle.run();
    }

    /** @return outcomes reported but not yet journaled (or given up). */
    public int pending()
    {
        return pending.get();
    }

    /** @return the stage's counters; readable from any thread. */
    public EnumCounters<OutcomeCounter> counters()
    {
        return counters;
    }

    /**
     * Stops: waits up to {@value #CLOSE_GRACE_MS} ms for outcomes still being journaled, then stops the stage's
     * thread. Call it after delivery is closed and before the spool is. Idempotent.
     */
    @Override
    public void close()
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_GRACE_MS);
        while (pending.get() > 0 && System.nanoTime() < deadline)
        {
            try
            {
                Thread.sleep(10);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (pending.get() > 0)
        {
            LOG.error("outcomes stopped with {} outcomes not journaled: those recipients will be sent again (at-least-once)",
                pending.get());
        }
        timer.shutdownNow();
    }
}
