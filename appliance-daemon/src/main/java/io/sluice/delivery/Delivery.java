package io.sluice.delivery;

import io.sluice.counters.EnumCounters;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.sluice.drain.DeliveryGateway;
import io.sluice.drain.Dispatch;
import io.sluice.outcome.DeliveryReports;
import io.sluice.spool.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Upstream delivery: the {@link DeliveryGateway} the drain hands its dispatches to, with one {@link RouteDelivery} per
 * drain route ({@code smtp://} connection pool or {@code dir:} maildir writer), and the shared Netty event loops and
 * I/O executor. Every reply goes, raw, to the {@link DeliveryReports} it was made with (the outcome stage, which
 * classifies, journals and tells the drain): delivery never sees the drain.
 *
 * <p>Life cycle, as the daemon uses it: made (and started) once the spool is open and the outcome stage made, then
 * handed to the drain's thread as its gateway; stop with {@link #close()} after the drain runner is closed and before
 * the outcome stage and the spool are. Once closing every route reports no capacity.
 *
 * <p>Threads: {@link #capacity} and {@link #deliver} are called on the drain thread and never block: deliver only counts
 * the dispatch and queues it for the I/O executor (content read) and the route's event loop (SMTP dialogue). Replies
 * are reported from those threads.
 *
 * <p><b>Delivery is at-least-once.</b> A message is sent twice only if the upstream took it but Sluice never learnt
 * so: the connection was lost after the end of data and before its reply ({@link DeliveryCounter#LOST_AFTER_DATA}), the
 * process died between the upstream's reply and the journal write, or the outcome could not be journaled at all
 * ({@code OutcomeCounter.OUTCOMES_UNJOURNALED}). A recipient whose outcome is journaled is never sent again.
 */
public final class Delivery implements DeliveryGateway, AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(Delivery.class);
    private static final String DEFAULT_HELO_NAME = "localhost";

    private final DeliveryContext context;
    private final RecipientVerificationContext verification;
    private final EnumCounters<DeliveryCounter> counters = new EnumCounters<>(DeliveryCounter.class, "delivery");
    private final ContentBudget budget;
    private volatile Map<String, RouteDelivery> routes = Map.of();
    /** The routes that verify recipients at RCPT ({@code recipients.verify.routes}); none by default. */
    private final Map<String, RecipientVerifier> verifiers;
    /** Each route's connection limit, from the settings until an operator changes it. */
    private final Map<String, AtomicInteger> limits;
    private final EventLoopGroup loops;
    private final ExecutorService io;
    private volatile boolean closed;

    /**
     * Creates each route's folders or pool and starts the threads; from now on routes report capacity. No route
     * verifies recipients.
     *
     * @param context concluded settings ({@link DeliveryContext#conclude}).
     * @param spool   the spool message content is read from.
     * @param reports where every reply goes, and every dispatch handed back unattempted.
     * @throws java.io.UncheckedIOException if a dir: route's folders cannot be created; nothing is left running.
     */
    public Delivery(final DeliveryContext context, final Spool spool, final DeliveryReports reports)
    {
        this(context, new RecipientVerificationContext(), spool, reports);
    }

    /**
     * Creates each route's folders or pool, its recipient verifier if it verifies recipients, and starts the threads;
     * from now on routes report capacity.
     *
     * @param context      concluded settings ({@link DeliveryContext#conclude}).
     * @param verification which routes verify recipients at RCPT, and how; concluded here against {@code context}.
     * @param spool        the spool message content is read from.
     * @param reports      where every reply goes, and every dispatch handed back unattempted.
     * @throws java.io.UncheckedIOException if a dir: route's folders cannot be created; nothing is left running.
     */
    public Delivery(final DeliveryContext context, final RecipientVerificationContext verification, final Spool spool,
        final DeliveryReports reports)
    {
        if (!context.isConcluded())
        {
            throw new IllegalStateException("conclude the DeliveryContext against the drain's context first");
        }
        Objects.requireNonNull(spool, "spool");
        Objects.requireNonNull(reports, "reports");
        this.context = context;
        this.verification = verification.conclude(context);
        this.budget = new ContentBudget(context.maxBytesInFlight());
        final Map<String, AtomicInteger> configured = new LinkedHashMap<>();
        for (final DeliveryContext.Route route : context.routes())
        {
            configured.put(route.name(), new AtomicInteger(route.maxConnections()));
        }
        this.limits = Collections.unmodifiableMap(configured);
        loops = new MultiThreadIoEventLoopGroup(context.eventLoopThreads(),
            new DefaultThreadFactory("sluice-delivery", true), NioIoHandler.newFactory());
        io = new ThreadPoolExecutor(context.ioThreads(), context.ioThreads(), 0, TimeUnit.MILLISECONDS,
            new LinkedBlockingQueue<>(), threads("sluice-delivery-io"));
        final String heloName = context.heloName().isEmpty() ? DEFAULT_HELO_NAME : context.heloName();
        final RouteServices services =
            new RouteServices(context, heloName, spool, reports, counters, io, loops, budget, limits);
        final Map<String, RouteDelivery> started = new LinkedHashMap<>();
        try
        {
            for (final DeliveryContext.Route route : context.routes())
            {
                final RouteDelivery delivery = route.target() instanceof RouteTarget.Dir
                    ? new DirRoute(route, services) : new SmtpRoute(route, services);
                started.put(route.name(), delivery);
                LOG.debug("delivery route {}", delivery.describe());
            }
        }
        catch (final RuntimeException ex)
        {
            stopThreads();
            throw ex;
        }
        routes = Map.copyOf(started);
        verifiers = startVerifiers(heloName);
    }

    private Map<String, RecipientVerifier> startVerifiers(final String heloName)
    {
        final Map<String, RecipientVerifier> started = new LinkedHashMap<>();
        for (final DeliveryContext.Route route : context.routes())
        {
            if (verification.routes().contains(route.name()))
            {
                started.put(route.name(), new RecipientVerifier(route, verification, context, heloName, counters,
                    loops.next(), io));
                LOG.info("route {}: recipients verified at RCPT with {}", route.name(), route.target());
            }
        }
        return Map.copyOf(started);
    }

    /** @return the route's recipient verification, or null if the route does not verify recipients (the default). */
    public RecipientVerifier recipientVerifier(final String route)
    {
        return verifiers.get(route);
    }

    /** @return each verifying route's state now (answers cached, unreachable and why), in the drain's order. */
    public List<String> verifierStates()
    {
        final List<String> states = new ArrayList<>();
        for (final DeliveryContext.Route route : context.routes())
        {
            final RecipientVerifier verifier = verifiers.get(route.name());
            if (verifier != null)
            {
                states.add(verifier.state());
            }
        }
        return states;
    }

    private static ThreadFactory threads(final String name)
    {
        final AtomicInteger count = new AtomicInteger();
        return runnable ->
        {
            final Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    @Override
    public int capacity(final String route)
    {
        final RouteDelivery delivery = routes.get(route);
        return delivery == null ? 0 : delivery.capacity();
    }

    @Override
    public boolean waitsOnJournal(final String route)
    {
        final RouteDelivery delivery = routes.get(route);
        if (delivery == null)
        {
            return false;
        }
        final int waiting = delivery.awaitingJournal();
        return waiting > 0 && 2 * waiting >= delivery.inUse();
    }

    @Override
    public void deliver(final Dispatch dispatch)
    {
        final RouteDelivery delivery = routes.get(dispatch.route());
        if (delivery == null)
        {
            throw new IllegalStateException("no delivery for route " + dispatch.route() + (closed ? ": delivery is closed" : ""));
        }
        delivery.deliver(dispatch);
    }

    /** @return each route's description (name, target, limit), in the drain's order. */
    public List<String> describeRoutes()
    {
        final List<String> descriptions = new ArrayList<>();
        for (final DeliveryContext.Route route : context.routes())
        {
            final RouteDelivery delivery = routes.get(route.name());
            descriptions.add(delivery != null ? delivery.describe() : route.name() + " -> " + route.target());
        }
        return descriptions;
    }

    /** @return the route's connection limit in force (dir: parallel writers). */
    public int maxConnections(final String route)
    {
        return limit(route).get();
    }

    /**
     * An operator's change of a route's connection limit: the drain sees it at its next duty cycle. Lowered, no new
     * transaction starts until fewer than the new limit are in progress (those in progress finish); connections left
     * idle above it close when their idle time runs out.
     *
     * @return the limit it replaced.
     * @throws IllegalArgumentException for an unknown route or a limit out of range; nothing changes then.
     */
    public int setMaxConnections(final String route, final int maxConnections)
    {
        final AtomicInteger limit = limit(route);
        if (maxConnections < 1 || maxConnections > DeliveryContext.MAX_CONNECTIONS_LIMIT)
        {
            throw new IllegalArgumentException("expected a connection limit from 1 to " + DeliveryContext.MAX_CONNECTIONS_LIMIT
                + " for route " + route + ", got " + maxConnections);
        }
        return limit.getAndSet(maxConnections);
    }

    /** @return dispatches taken and not finished on the route. */
    public int inUse(final String route)
    {
        limit(route);
        final RouteDelivery delivery = routes.get(route);
        return delivery == null ? 0 : delivery.inUse();
    }

    private AtomicInteger limit(final String route)
    {
        final AtomicInteger limit = limits.get(route);
        if (limit == null)
        {
            throw new IllegalArgumentException("no such route: " + route + " (routes: " + limits.keySet() + ")");
        }
        return limit;
    }

    /** @return each route's state now (connections in use; paused and why), in the drain's order. */
    public List<String> routeStates()
    {
        final List<String> states = new ArrayList<>();
        for (final DeliveryContext.Route route : context.routes())
        {
            final RouteDelivery delivery = routes.get(route.name());
            states.add(delivery != null ? delivery.state() : route.name() + ": not started");
        }
        return states;
    }

    /** @return message bytes held by deliveries in progress. */
    public long bytesInFlight()
    {
        return budget.inFlight();
    }

    /** @return dispatches taken and not finished, on every route. */
    public int inFlight()
    {
        int total = 0;
        for (final RouteDelivery delivery : routes.values())
        {
            total += delivery.inUse();
        }
        return total;
    }

    public EnumCounters<DeliveryCounter> counters()
    {
        return counters;
    }

    public DeliveryContext context()
    {
        return context;
    }

    /**
     * Stops: routes take no more dispatches and close idle connections; transactions in progress get up to
     * {@code delivery.shutdownGraceMs} to finish and have their outcomes journaled; whatever is left then is cut off
     * and its recipients deferred as lost connections. Call it after the drain runner is closed and before the spool.
     * Idempotent.
     */
    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        routes.values().forEach(RouteDelivery::beginClose);
        verifiers.values().forEach(RecipientVerifier::close);
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(context.shutdownGraceMs());
        awaitQuiet(deadline);
        if (inFlight() > 0)
        {
            LOG.warn("delivery stopping with {} dispatches still in progress after {} ms: cutting them off", inFlight(),
                context.shutdownGraceMs());
            routes.values().forEach(RouteDelivery::abort);
            awaitQuiet(System.nanoTime() + TimeUnit.SECONDS.toNanos(2));
        }
        stopThreads();
    }

    private void awaitQuiet(final long deadlineNanos)
    {
        while (inFlight() > 0 && System.nanoTime() < deadlineNanos)
        {
            try
            {
                Thread.sleep(10);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void stopThreads()
    {
        io.shutdownNow();
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
