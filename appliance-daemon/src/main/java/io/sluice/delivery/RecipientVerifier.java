package io.sluice.delivery;

import io.sluice.counters.EnumCounters;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.local.SynchronizationStrategy;
import io.netty.channel.EventLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recipient verification for one {@code smtp://} route: asks the route's upstream whether a mailbox exists with a
 * {@link RecipientProbe} ({@code MAIL FROM:<>}, {@code RCPT TO:<r>}, {@code RSET}; never DATA) on a small pool of kept-open
 * connections that use the route's TLS and AUTH settings ({@link ProbePool}), so an unknown user can be refused at RCPT
 * instead of being accepted and bounced.
 *
 * <p>Answers are cached ({@link VerdictCache}: bounded, a positive and a negative TTL), sessions asking about the same
 * address at once share one probe, and every probe takes a token from the route's probe budget (a Bucket4j bucket): a
 * flood of random recipients must not turn into a probe storm at the provider, which counts RCPTs to unknown users
 * against the account (directory-harvest detection). A recipient over the budget, or whose probe finds the upstream
 * unreachable, gets no reply within {@code recipients.verify.timeoutMs}, or a reply that says nothing about the mailbox,
 * is {@link ProbeVerdict#UNAVAILABLE}.
 *
 * <p>Threads: {@link #verify} is called from the ingress event loops and never blocks (a cached answer comes back
 * completed; anything else is handed to the pool's event loop). Everything else is confined to that loop.
 */
public final class RecipientVerifier implements AutoCloseable
{
    /** Over-budget recipients are logged at most this often: a flood makes thousands a second. */
    private static final long OVER_BUDGET_LOG_INTERVAL_MS = 60_000;
    private static final Logger LOG = LoggerFactory.getLogger(RecipientVerifier.class);

    private static final CompletableFuture<ProbeVerdict> EXISTS = CompletableFuture.completedFuture(ProbeVerdict.EXISTS);
    private static final CompletableFuture<ProbeVerdict> UNKNOWN = CompletableFuture.completedFuture(ProbeVerdict.UNKNOWN);
    private static final CompletableFuture<ProbeVerdict> UNAVAILABLE =
        CompletableFuture.completedFuture(ProbeVerdict.UNAVAILABLE);

    private final DeliveryContext.Route route;
    private final RecipientVerificationContext settings;
    private final EnumCounters<DeliveryCounter> counters;
    private final EventLoop loop;
    private final Clock clock;
    private final VerdictCache cache;
    private final ProbePool pool;
    private volatile boolean closing;

    // Confined to the loop.
    private final Bucket budget;
    private final Map<String, Request> asked = new HashMap<>();
    private long overBudget;
    private long overBudgetLoggedAtMillis = Long.MIN_VALUE;

    /** One address being asked about, and every session waiting for the answer. */
    private final class Request implements ProbePool.Answer
    {
        final String key;
        final ProbePool.Ask ask;
        final List<CompletableFuture<ProbeVerdict>> answers = new ArrayList<>(1);
        ScheduledFuture<?> deadline;

        Request(final String key, final String recipient)
        {
            this.key = key;
            this.ask = new ProbePool.Ask(recipient, this);
        }

        @Override
        public void answered(final ProbeVerdict verdict, final String reply)
        {
            settle(this, verdict, reply);
        }
    }

    /**
     * @param route    an {@code smtp://} route, with its TLS and AUTH settings.
     * @param settings concluded verification settings.
     * @param context  delivery's settings: connect and reply timeouts, idle time, reconnect delay.
     * @param heloName the name given in EHLO/HELO.
     * @param counters where probes, cache hits and verdicts are counted.
     * @param loop     the event loop the pool lives on.
     * @param io       resolves the upstream's host name (a lookup blocks).
     */
    public RecipientVerifier(final DeliveryContext.Route route, final RecipientVerificationContext settings,
        final DeliveryContext context, final String heloName, final EnumCounters<DeliveryCounter> counters, final EventLoop loop,
        final Executor io)
    {
        if (!(route.target() instanceof RouteTarget.Smtp))
        {
            throw new IllegalArgumentException("route " + route.name() + " has no upstream to verify recipients with");
        }
        this.route = route;
        this.settings = settings;
        this.counters = counters;
        this.loop = loop;
        this.clock = settings.clock();
        this.cache = new VerdictCache(settings.cacheSize(), settings.positiveTtlMs(), settings.negativeTtlMs(), clock);
        this.pool = new ProbePool(route, settings, context, heloName, counters, loop, io);
        final long refill = Math.max(1, Math.round(settings.probesPerSecond() * 1000));
        this.budget = Bucket.builder()
            .addLimit(limit -> limit.capacity(settings.probeBurst()).refillGreedy(refill, Duration.ofSeconds(1000)))
            .withCustomTimePrecision(new MonotonicTime(clock))
            .withSynchronizationStrategy(SynchronizationStrategy.NONE)
            .build();
    }

    /**
     * @param recipient an address in one of the relay domains, as given in RCPT TO.
     * @return the verdict: completed already when the cache knows it, otherwise completed on the pool's loop within
     *         {@code recipients.verify.timeoutMs}. Never completed exceptionally. Do not complete it yourself.
     */
    public CompletionStage<ProbeVerdict> verify(final String recipient)
    {
        final String key = recipient.toLowerCase(Locale.ROOT);
        final ProbeVerdict known = cache.get(key);
        if (known != null)
        {
            counters.increment(DeliveryCounter.RECIPIENT_CACHE_HITS);
            return told(known);
        }
        if (closing)
        {
            return told(ProbeVerdict.UNAVAILABLE);
        }
        final CompletableFuture<ProbeVerdict> answer = new CompletableFuture<>();
        try
        {
            loop.execute(() -> ask(key, recipient, answer));
        }
        catch (final RejectedExecutionException ex)
        {
            return told(ProbeVerdict.UNAVAILABLE);
        }
        return answer;
    }

    /** @return a completed answer, counted. */
    private CompletableFuture<ProbeVerdict> told(final ProbeVerdict verdict)
    {
        count(verdict);
        return switch (verdict)
        {
            case EXISTS -> EXISTS;
            case UNKNOWN -> UNKNOWN;
            default -> UNAVAILABLE;
        };
    }

    private void count(final ProbeVerdict verdict)
    {
        if (verdict == ProbeVerdict.UNKNOWN)
        {
            counters.increment(DeliveryCounter.RECIPIENTS_UNKNOWN);
        }
        else if (verdict == ProbeVerdict.UNAVAILABLE)
        {
            counters.increment(DeliveryCounter.RECIPIENTS_UNVERIFIED);
        }
    }

    private void tell(final CompletableFuture<ProbeVerdict> answer, final ProbeVerdict verdict)
    {
        count(verdict);
        answer.complete(verdict);
    }

    /** On the loop: joins a probe in flight for the address, or starts one if the upstream and the budget allow. */
    private void ask(final String key, final String recipient, final CompletableFuture<ProbeVerdict> answer)
    {
        if (closing)
        {
            tell(answer, ProbeVerdict.UNAVAILABLE);
            return;
        }
        // A probe that ended since the session looked may have left the answer.
        final ProbeVerdict known = cache.get(key);
        if (known != null)
        {
            counters.increment(DeliveryCounter.RECIPIENT_CACHE_HITS);
            tell(answer, known);
            return;
        }
        final Request inFlight = asked.get(key);
        if (inFlight != null)
        {
            inFlight.answers.add(answer);
            return;
        }
        if (pool.isDown())
        {
            tell(answer, ProbeVerdict.UNAVAILABLE);
            return;
        }
        if (!budget.tryConsume(1))
        {
            counters.increment(DeliveryCounter.RECIPIENT_PROBES_OVER_BUDGET);
            logOverBudget();
            tell(answer, ProbeVerdict.UNAVAILABLE);
            return;
        }
        final Request request = new Request(key, recipient);
        request.answers.add(answer);
        asked.put(key, request);
        request.deadline = loop.schedule(() -> expire(request), settings.timeoutMs(), TimeUnit.MILLISECONDS);
        pool.ask(request.ask);
    }

    private void logOverBudget()
    {
        overBudget++;
        final long now = clock.millis();
        if (overBudgetLoggedAtMillis == Long.MIN_VALUE || now - overBudgetLoggedAtMillis >= OVER_BUDGET_LOG_INTERVAL_MS)
        {
            LOG.warn("route {}: recipient probes over budget ({}={}, {}={}): {} recipients left unverified so far",
                route.name(), RecipientVerificationContext.PROBES_PER_SECOND.key(), settings.probesPerSecond(),
                RecipientVerificationContext.PROBE_BURST.key(), settings.probeBurst(), overBudget);
            overBudgetLoggedAtMillis = now;
        }
    }

    /** The answer for everyone waiting on the request; kept if it says something lasting. */
    private void settle(final Request request, final ProbeVerdict verdict, final String reply)
    {
        if (asked.get(request.key) != request)
        {
            return;
        }
        asked.remove(request.key);
        request.deadline.cancel(false);
        cache.put(request.key, verdict);
        if (verdict == ProbeVerdict.TEMPFAIL)
        {
            counters.increment(DeliveryCounter.RECIPIENT_PROBES_TEMPFAILED);
        }
        LOG.debug("route {}: <{}> {}: {}", route.name(), request.ask.recipient, verdict, reply);
        for (final CompletableFuture<ProbeVerdict> answer : request.answers)
        {
            tell(answer, verdict);
        }
    }

    private void expire(final Request request)
    {
        final String why = "no answer from " + route.target() + " within " + RecipientVerificationContext.TIMEOUT_MS + "="
            + settings.timeoutMs();
        settle(request, ProbeVerdict.UNAVAILABLE, why);
        // Its reply may still come, but nobody waits for it: the pool gives up the connection it was on, if any.
        pool.withdraw(request.ask, why);
    }

    /**
     * @return the kept-open connections waiting for a probe, read on the pool's loop: a verdict is told at the RCPT
     *         reply, and its connection is kept only once the RSET reply came.
     */
    int idleConnections()
    {
        return loop.submit(pool::idleConnections).syncUninterruptibly().getNow();
    }

    /** @return the route's verification now, for the console: answers kept, and why the upstream is unreachable. */
    public String state()
    {
        final String problem = pool.problem();
        return route.name() + ": verifying recipients with " + route.target() + "; " + cache.size() + " answers cached"
            + (problem.isEmpty() ? "" : "; UNREACHABLE: " + problem);
    }

    /** Stops: every waiting session gets {@link ProbeVerdict#UNAVAILABLE}, and the connections close. Idempotent. */
    @Override
    public void close()
    {
        closing = true;
        try
        {
            loop.execute(() ->
            {
                for (final Request request : new ArrayList<>(asked.values()))
                {
                    settle(request, ProbeVerdict.UNAVAILABLE, "delivery is stopping");
                }
                pool.close();
            });
        }
        catch (final RejectedExecutionException ex)
        {
            LOG.debug("route {}: verification's event loop already stopped", route.name());
        }
    }

    /** Bucket4j's time from the injected clock, never moving backwards (a wall-clock step back counts as no time). */
    private static final class MonotonicTime implements TimeMeter
    {
        private final Clock clock;
        private long nowNanos;

        MonotonicTime(final Clock clock)
        {
            this.clock = clock;
        }

        @Override
        public long currentTimeNanos()
        {
            nowNanos = Math.max(nowNanos, clock.millis() * 1_000_000L);
            return nowNanos;
        }

        @Override
        public boolean isWallClockBased()
        {
            return false;
        }
    }
}
