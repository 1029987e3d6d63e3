package io.sluice.delivery;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
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
import io.sluice.drain.SmtpReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recipient verification for one {@code smtp://} route: asks the route's upstream whether a mailbox exists with a
 * {@link RecipientProbe} ({@code MAIL FROM:<>}, {@code RCPT TO:<r>}, {@code RSET}; never DATA) on a small pool of kept-open
 * connections that use the route's TLS and AUTH settings, so an unknown user can be refused at RCPT instead of being
 * accepted and bounced.
 *
 * <p>Answers are cached ({@link VerdictCache}: bounded, a positive and a negative TTL), probes for the same address in
 * flight at once share one, and every probe takes a token from the route's probe budget (a Bucket4j bucket): a flood of
 * random recipients must not turn into a probe storm at the provider, which counts RCPTs to unknown users against the
 * account (directory-harvest detection). A recipient over the budget, or whose probe finds no connection, no reply within
 * {@code recipients.verify.timeoutMs}, or a reply that says nothing about the mailbox, is {@link ProbeVerdict#UNAVAILABLE}.
 * After a connection to the upstream fails, new probes get that answer at once for {@code delivery.reconnectDelayMs},
 * rather than each waiting for its timeout.
 *
 * <p>Threads: {@link #verify} is called from the ingress event loops and never blocks (a cached answer comes back
 * completed; anything else is handed to the pool's event loop). The pool's state is confined to that loop. Host names are
 * resolved on the I/O executor.
 */
public final class RecipientVerifier implements AutoCloseable
{
    /**
     * Postfix's smtpd counts each refused RCPT as an error and slows the session down after 10
     * ({@code smtpd_soft_error_limit}): a connection that drew this many refusals is closed, and a fresh one opened.
     */
    static final int MAX_REFUSALS_PER_CONNECTION = 5;
    /** Postfix counts RSET as a junk command and penalises a session after 100 ({@code smtpd_junk_command_limit}). */
    static final int MAX_PROBES_PER_CONNECTION = 50;
    /** Over-budget refusals are logged at most this often: a flood makes thousands a second. */
    private static final long OVER_BUDGET_LOG_INTERVAL_MS = 60_000;
    private static final Logger LOG = LoggerFactory.getLogger(RecipientVerifier.class);

    private static final CompletableFuture<ProbeVerdict> EXISTS = CompletableFuture.completedFuture(ProbeVerdict.EXISTS);
    private static final CompletableFuture<ProbeVerdict> UNKNOWN = CompletableFuture.completedFuture(ProbeVerdict.UNKNOWN);
    private static final CompletableFuture<ProbeVerdict> UNAVAILABLE =
        CompletableFuture.completedFuture(ProbeVerdict.UNAVAILABLE);

    private final DeliveryContext.Route route;
    private final RecipientVerificationContext settings;
    private final DeliveryContext context;
    private final String heloName;
    private final DeliveryCounters counters;
    private final EventLoop loop;
    private final Executor io;
    private final Clock clock;
    private final VerdictCache cache;
    private final Bucket budget;
    private volatile boolean closing;
    private volatile String lastProblem = "";

    // Confined to the loop.
    private final Map<String, Request> asked = new HashMap<>();
    private final ArrayDeque<Request> queue = new ArrayDeque<>();
    private final ArrayDeque<SmtpConnection> idle = new ArrayDeque<>();
    /** The connections opening or usable; one is taken out when it is told to QUIT. */
    private final Map<SmtpConnection, Pooled> pool = new HashMap<>();
    private long downUntilMillis;
    private long clearUntilMillis;
    private long overBudget;
    private long overBudgetLoggedAtMillis = Long.MIN_VALUE;

    /** One address being asked about, and every session waiting for the answer. */
    private static final class Request
    {
        final String key;
        final String recipient;
        final List<CompletableFuture<ProbeVerdict>> answers = new ArrayList<>(1);
        ScheduledFuture<?> deadline;
        SmtpConnection connection;
        boolean reused;
        boolean retried;
        boolean done;

        Request(final String key, final String recipient)
        {
            this.key = key;
            this.recipient = recipient;
        }
    }

    /** A pooled connection's history. */
    private static final class Pooled
    {
        boolean opening = true;
        ScheduledFuture<?> handshakeDeadline;
        int probes;
        int refusals;
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
        final DeliveryContext context, final String heloName, final DeliveryCounters counters, final EventLoop loop,
        final Executor io)
    {
        if (!(route.target() instanceof RouteTarget.Smtp))
        {
            throw new IllegalArgumentException("route " + route.name() + " has no upstream to verify recipients with");
        }
        this.route = route;
        this.settings = settings;
        this.context = context;
        this.heloName = heloName;
        this.counters = counters;
        this.loop = loop;
        this.io = io;
        this.clock = settings.clock();
        this.cache = new VerdictCache(settings.cacheSize(), settings.positiveTtlMs(), settings.negativeTtlMs(), clock);
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
        if (isDown() && pool.isEmpty())
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
        queue.add(request);
        request.deadline = loop.schedule(() -> expire(request), settings.timeoutMs(), TimeUnit.MILLISECONDS);
        dispatch();
    }

    private boolean isDown()
    {
        return clock.millis() < downUntilMillis;
    }

    private void logOverBudget()
    {
        overBudget++;
        final long now = clock.millis();
        if (overBudgetLoggedAtMillis == Long.MIN_VALUE || now - overBudgetLoggedAtMillis >= OVER_BUDGET_LOG_INTERVAL_MS)
        {
            LOG.warn("route {}: recipient probes over budget ({}={}, {}={}): {} recipients left unverified so far",
                route.name(), RecipientVerificationContext.PROBES_PER_SECOND, settings.probesPerSecond(),
                RecipientVerificationContext.PROBE_BURST, settings.probeBurst(), overBudget);
            overBudgetLoggedAtMillis = now;
        }
    }

    /** Gives waiting probes idle connections, and opens connections for the rest as the pool's limit allows. */
    private void dispatch()
    {
        while (!queue.isEmpty())
        {
            SmtpConnection connection = idle.pollFirst();
            while (connection != null && !connection.isIdle())
            {
                connection = idle.pollFirst();
            }
            if (connection == null)
            {
                break;
            }
            probe(queue.poll(), connection);
        }
        if (closing || isDown())
        {
            return;
        }
        while (opening() < queue.size() && pool.size() < settings.maxConnections())
        {
            open();
        }
    }

    private int opening()
    {
        int opening = 0;
        for (final Pooled pooled : pool.values())
        {
            opening += pooled.opening ? 1 : 0;
        }
        return opening;
    }

    private void probe(final Request request, final SmtpConnection connection)
    {
        final Pooled pooled = pool.get(connection);
        pooled.probes++;
        request.connection = connection;
        request.reused = pooled.probes > 1;
        connection.verify(new RecipientProbe(connection, request.recipient, new RecipientProbe.Listener()
        {
            @Override
            public void answered(final ProbeVerdict verdict, final String reply)
            {
                if (verdict == ProbeVerdict.UNKNOWN)
                {
                    pooled.refusals++;
                }
                settle(request, verdict, reply);
            }

            @Override
            public void lost(final String why)
            {
                request.connection = null;
                if (request.done)
                {
                    return;
                }
                if (request.reused && !request.retried)
                {
                    // A kept-open connection the upstream had closed: nothing was asked, so ask on another.
                    request.retried = true;
                    queue.addFirst(request);
                    return;
                }
                settle(request, ProbeVerdict.UNAVAILABLE, why);
            }

            @Override
            public void ended(final SmtpConnection ended, final boolean reusable)
            {
                request.connection = null;
                if (reusable)
                {
                    park(ended);
                }
                dispatch();
            }
        }));
    }

    /** Keeps a connection for the next probe, unless it carried enough of them. */
    private void park(final SmtpConnection connection)
    {
        final Pooled pooled = pool.get(connection);
        if (closing || pooled == null || !connection.isOpen() || pooled.probes >= MAX_PROBES_PER_CONNECTION
            || pooled.refusals >= MAX_REFUSALS_PER_CONNECTION)
        {
            retire(connection);
            return;
        }
        connection.idle(context.connectionIdleMs(), () -> retire(connection));
        idle.addFirst(connection);
    }

    private void retire(final SmtpConnection connection)
    {
        pool.remove(connection);
        idle.remove(connection);
        connection.quit();
    }

    /** The answer for everyone waiting on the request; kept if it says something lasting. */
    private void settle(final Request request, final ProbeVerdict verdict, final String reply)
    {
        if (request.done)
        {
            return;
        }
        request.done = true;
        asked.remove(request.key);
        queue.remove(request);
        if (request.deadline != null)
        {
            request.deadline.cancel(false);
        }
        cache.put(request.key, verdict);
        if (verdict == ProbeVerdict.TEMPFAIL)
        {
            counters.increment(DeliveryCounter.RECIPIENT_PROBES_TEMPFAILED);
        }
        LOG.debug("route {}: <{}> {}: {}", route.name(), request.recipient, verdict, reply);
        for (final CompletableFuture<ProbeVerdict> answer : request.answers)
        {
            tell(answer, verdict);
        }
    }

    private void expire(final Request request)
    {
        if (request.done)
        {
            return;
        }
        final String why = "no answer from " + route.target() + " within " + RecipientVerificationContext.TIMEOUT_MS + "="
            + settings.timeoutMs();
        final SmtpConnection connection = request.connection;
        settle(request, ProbeVerdict.UNAVAILABLE, why);
        if (connection != null)
        {
            // Its reply may still come, but the pool cannot wait for it: a fresh connection is opened if needed.
            pool.remove(connection);
            connection.abort(why);
        }
    }

    private void open()
    {
        final Pooled pooled = new Pooled();
        final boolean startTls = route.security().tls() != RouteSecurity.Tls.NONE && clock.millis() >= clearUntilMillis;
        final SmtpConnection connection = new SmtpConnection(context, counters, heloName, route, startTls,
            new SmtpConnection.Owner()
            {
                @Override
                public void ready(final SmtpConnection ready)
                {
                    opened(pooled);
                    if (!lastProblem.isEmpty())
                    {
                        LOG.info("route {}: recipient probes reach {} again", route.name(), route.target());
                        lastProblem = "";
                    }
                    if (queue.isEmpty())
                    {
                        park(ready);
                    }
                    else
                    {
                        probe(queue.poll(), ready);
                    }
                }

                @Override
                public void handshakeFailed(final SmtpConnection failed, final String why)
                {
                    opened(pooled);
                    down(why);
                }

                @Override
                public void sessionRefused(final SmtpConnection refused, final SmtpReply reply)
                {
                    opened(pooled);
                    down(reply.toString());
                }

                @Override
                public void tlsFailed(final SmtpConnection failed, final String why)
                {
                    opened(pooled);
                    clearUntilMillis = clock.millis() + SmtpRoute.CLEAR_AFTER_TLS_FAILURE_MS;
                    LOG.warn("route {}: recipient probes: {}; tls=opportunistic, so probing in clear for a while", route.name(),
                        why);
                }

                @Override
                public void closed(final SmtpConnection closed)
                {
                    opened(pooled);
                    pool.remove(closed);
                    idle.remove(closed);
                    if (pool.isEmpty() && isDown())
                    {
                        // Nobody left to ask: the waiting sessions get their answer now, not at their deadline.
                        while (!queue.isEmpty())
                        {
                            settle(queue.peek(), ProbeVerdict.UNAVAILABLE, lastProblem);
                        }
                    }
                    dispatch();
                }
            });
        pool.put(connection, pooled);
        pooled.handshakeDeadline = loop.schedule(() -> connection.abort("no session with " + route.target() + " within "
            + RecipientVerificationContext.TIMEOUT_MS + "=" + settings.timeoutMs()), settings.timeoutMs(), TimeUnit.MILLISECONDS);
        try
        {
            io.execute(() -> resolve(connection));
        }
        catch (final RejectedExecutionException ex)
        {
            connection.abort("delivery is stopping");
        }
    }

    private static void opened(final Pooled pooled)
    {
        if (pooled.opening)
        {
            pooled.opening = false;
            pooled.handshakeDeadline.cancel(false);
        }
    }

    /** On the I/O executor: a host name lookup blocks. */
    private void resolve(final SmtpConnection connection)
    {
        final RouteTarget.Smtp target = (RouteTarget.Smtp)route.target();
        try
        {
            final InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(target.host()), target.port());
            loop.execute(() -> connection.connect(loop, address));
        }
        catch (final UnknownHostException ex)
        {
            loop.execute(() -> connection.abort("cannot resolve " + target.host() + ": " + ex.getMessage()));
        }
        catch (final RejectedExecutionException ex)
        {
            LOG.debug("route {}: stopped while resolving {}", route.name(), target.host());
        }
    }

    private void down(final String why)
    {
        if (lastProblem.isEmpty())
        {
            LOG.warn("route {}: recipient probes cannot reach {} ({}); recipients stay unverified for {} ms, then it is tried"
                + " again", route.name(), route.target(), why, context.reconnectDelayMs());
        }
        lastProblem = why;
        downUntilMillis = clock.millis() + context.reconnectDelayMs();
    }

    /** @return the route's verification now, for the console: answers kept, and why the upstream is unreachable. */
    public String state()
    {
        return route.name() + ": verifying recipients with " + route.target() + "; " + cache.size() + " answers cached"
            + (lastProblem.isEmpty() ? "" : "; UNREACHABLE: " + lastProblem);
    }

    public String route()
    {
        return route.name();
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
                for (final SmtpConnection connection : new ArrayList<>(pool.keySet()))
                {
                    if (connection.isIdle())
                    {
                        retire(connection);
                    }
                    else
                    {
                        connection.abort("delivery is stopping");
                    }
                }
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
