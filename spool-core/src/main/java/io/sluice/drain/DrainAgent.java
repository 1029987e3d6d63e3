package io.sluice.drain;

import io.sluice.counters.EnumCounters;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;

import io.sluice.agent.WakeableIdleStrategy;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolListener;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.status.AtomicCounter;
import org.jctools.queues.MpscUnboundedXaddArrayQueue;

/**
 * The drain: it owns a {@link DrainScheduler} and, on its own thread, every duty cycle applies the events other threads
 * sent it, does what time made due, and hands ready dispatches to the {@link DeliveryGateway} while each route has
 * capacity and tokens. It needs nothing to be made, so every stage can be built in the order data flows, each from
 * the ones before it: the drain, the spool (its listener feeding the drain), the outcome stage (telling the drain each
 * reply's feedback), delivery (reporting to the outcome stage), and last the drain's thread, delivering to it. Run the
 * thread with an {@code AgentRunner}, which catches and counts whatever a duty cycle throws, so the drain never dies
 * silently:
 * <pre>{@code
 * DrainAgent drain = new DrainAgent(context);
 * try (Spool spool = Spool.open(spoolContext, drain.listener())) {
 *     drain.loadFrom(spool);                           // before SMTP or delivery start
 *     DeliveryGateway delivery = ...;                  // reports its replies to the outcome stage
 *     AgentRunner runner = new AgentRunner(drain.idleStrategy(), errorHandler, drain.errorCounter(),
 *         drain.deliveringTo(delivery));
 *     AgentRunner.startOnThread(runner);
 *     ...
 * }
 * }</pre>
 *
 * <p>Threads: the {@link Agent} from {@link #deliveringTo} runs on the drain thread; every other method is
 * thread-safe and only enqueues (spool events, reply feedback, operator commands) or reads the last published
 * {@link DrainStatus}. The queue is an unbounded MPSC queue: the spool's journal writer must never block on the
 * drain, and a lost snapshot would leave a message unsent until the next restart. It is bounded in practice by
 * admission (which refuses mail when the backlog grows) and drained every duty cycle.
 *
 * <p>Waiting: unless {@code DrainContext.idleStrategy} sets another, the thread sleeps until the scheduler next has
 * something due ({@link DrainScheduler#nanosUntilDue}: a timer, or the next token of a route with mail ready and room)
 * or the next status publication, at most {@link #MAX_PARK_MS}, and every enqueue wakes it: at 200 messages a second
 * it wakes a few times per message, not dozens, and an idle drain a few times a second.
 */
public final class DrainAgent
{
    private static final int MAX_EVENTS_PER_CYCLE = 4096;
    /** The longest sleep: bounds how late the drain notices what no event announces (a route's reconnect delay ending). */
    static final long MAX_PARK_MS = 20;
    private static final long MAX_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(MAX_PARK_MS);
    private static final int SPINS_BEFORE_PARK = 50;

    private final DrainContext context;
    private final DrainScheduler scheduler;
    /** Whether {@link #deliveringTo} made the drain's one agent. */
    private boolean delivering;
    private final MpscUnboundedXaddArrayQueue<Consumer<DrainScheduler>> events = new MpscUnboundedXaddArrayQueue<>(1024);
    private final List<String> routes;
    private final WakeableIdleStrategy wakeable;
    private final SpoolListener listener = new SpoolListener()
    {
        @Override
        public void onAccepted(final PendingMessage message)
        {
            enqueue(drain -> drain.onSnapshot(message));
        }

        @Override
        public void onOutcome(final PendingMessage message)
        {
            enqueue(drain -> drain.onSnapshot(message));
        }
    };
    private volatile DrainStatus status;
    private long lastStatusMillis;
    /** Drain thread only: publish the status at the end of this duty cycle, whatever the interval. */
    private boolean publishNow;
    private int routeCursor;
    /** System.nanoTime() before which, without an event, a duty cycle has nothing to do: it returns at once. */
    private long quietUntilNanos;

    /** @param context settings; concluded here if they are not yet. */
    public DrainAgent(final DrainContext context)
    {
        this(context, EgressTokens.Source.LOCAL);
    }

    /**
     * @param context settings; concluded here if they are not yet.
     * @param egress  each route's second gate beside its own bucket: a fleet's shared rate; {@link EgressTokens.Source#LOCAL}
     *                for none.
     */
    public DrainAgent(final DrainContext context, final EgressTokens.Source egress)
    {
        this.context = context.conclude();
        scheduler = new DrainScheduler(context, egress);
        routes = scheduler.routeNames();
        status = scheduler.status();
        lastStatusMillis = context.clock().millis();
        wakeable = new WakeableIdleStrategy(SPINS_BEFORE_PARK, 0, TimeUnit.MILLISECONDS.toNanos(MAX_PARK_MS),
            () -> !events.isEmpty(), () -> quietUntilNanos - System.nanoTime());
    }

    /**
     * @return the idle strategy to run this agent with: {@code DrainContext.idleStrategy}'s if one is set, else one
     *         that sleeps until something is due and is woken by every event. Call once, for the agent's runner.
     */
    public IdleStrategy idleStrategy()
    {
        return context.idleStrategy() != null ? context.idleStrategy().get() : wakeable;
    }

    private void enqueue(final Consumer<DrainScheduler> event)
    {
        events.offer(event);
        wakeable.wake();
    }

    /** Drain thread: how long until the scheduler or the status publication has something to do by itself. */
    private long nanosUntilDue(final DeliveryGateway gateway)
    {
        final long nowMillis = context.clock().millis();
        final long statusDue =
            TimeUnit.MILLISECONDS.toNanos(Math.max(0, lastStatusMillis + context.statusIntervalMs() - nowMillis));
        return Math.min(statusDue, scheduler.nanosUntilDue(route -> gateway.capacity(route) > 0));
    }

    /** @return the listener to open the spool with: it passes every snapshot to the drain thread. Thread-safe. */
    public SpoolListener listener()
    {
        return listener;
    }

    /**
     * Where demoted mail is quarantined (see {@link DrainScheduler#quarantineTo}); call before {@link #load}, as the
     * events apply in order. Thread-safe.
     */
    public void quarantineTo(final QuarantineSink sink)
    {
        Objects.requireNonNull(sink, "sink");
        enqueue(drain -> drain.quarantineTo(sink));
    }

    /**
     * Loads the spool's pending messages on the drain thread, read one by one from the spool's index ({@code
     * pendingAfter}: no copy of the backlog), and from then on reads every snapshot the drain needs from the spool
     * ({@link DrainScheduler#readFrom}): the drain keeps compact facts per message, not the messages. Call it once, right
     * after {@code Spool.open(context, agent.listener())} and before anything is delivered. What is accepted or decided
     * meanwhile may be loaded and then told again by the listener: a snapshot applied twice changes nothing, and the
     * listener's last is the spool's latest. Thread-safe.
     */
    public void loadFrom(final Spool spool)
    {
        Objects.requireNonNull(spool, "spool");
        enqueue(drain ->
        {
            drain.readFrom(spool::pending);
            drain.load(spool.pendingAfter(Long.MIN_VALUE, false));
            publishNow = true;
        });
    }

    /**
     * Queues pending messages for the drain thread, which keeps their latest snapshots itself (a drain without a spool
     * to read them from; with one, {@link #loadFrom}). Call it once, right after {@code Spool.open(context,
     * agent.listener())} and before anything is appended or delivered, with {@code spool.pendingMessages()}: the
     * listener's later snapshots are then all newer. Thread-safe.
     */
    public void load(final Collection<PendingMessage> pending)
    {
        final List<PendingMessage> copy = List.copyOf(pending);
        enqueue(drain ->
        {
            drain.load(copy);
            // The backlog found at start is what an operator asks about first: published now, not at the next interval.
            publishNow = true;
        });
    }

    /**
     * Queues a reply's feedback (AIMD, demotion, counters) for the drain thread: the outcome stage classified the
     * reply and tells the drain once. Thread-safe.
     *
     * <p>It does not wake the drain: the event that needs the drain follows it in the same queue, so it is applied
     * first, in order: the journal's snapshot of the outcome, or {@link #requeueThrottled}. Waking for it as well woke
     * the drain twice per delivered message, each time a full duty cycle with nothing to dispatch (the connection
     * stays busy until the outcome is journaled). Feedback that is followed by nothing (an outcome that changed
     * nothing) is applied at the drain's next cycle, at most {@link #MAX_PARK_MS} later.
     *
     * @param route     the route the dispatch went by.
     * @param sourceKey the message's source.
     * @param outcome   the classified reply.
     */
    public void onOutcome(final String route, final String sourceKey, final ReplyOutcome outcome)
    {
        Objects.requireNonNull(outcome, "outcome");
        events.offer(drain -> drain.recordFeedback(route, sourceKey, outcome));
    }

    /** See {@link DrainScheduler#onRouteThrottled(String)}. Thread-safe. */
    public void onRouteThrottled(final String route)
    {
        enqueue(drain -> drain.onRouteThrottled(route));
    }

    /** See {@link DrainScheduler#requeueThrottled(Dispatch, boolean)}. Thread-safe. */
    public void requeueThrottled(final Dispatch dispatch, final boolean whole)
    {
        enqueue(drain -> drain.requeueThrottled(dispatch, whole));
    }

    /** See {@link DrainScheduler#returnUndelivered(Dispatch)}. Thread-safe. */
    public void returnUndelivered(final Dispatch dispatch)
    {
        enqueue(drain -> drain.returnUndelivered(dispatch));
    }

    /** Takes effect on the drain thread's next duty cycle. Thread-safe. */
    public void pauseTenant(final String tenant)
    {
        operator(drain -> drain.switches().pauseTenant(tenant));
    }

    public void resumeTenant(final String tenant)
    {
        operator(drain -> drain.switches().resumeTenant(tenant));
    }

    public void pauseSource(final String sourceKey)
    {
        operator(drain -> drain.switches().pauseSource(sourceKey));
    }

    public void resumeSource(final String sourceKey)
    {
        operator(drain -> drain.switches().resumeSource(sourceKey));
    }

    /** Containment's hold of a tenant, apart from an operator's pause: see {@link PauseSwitches#holdTenant}. */
    public void holdTenant(final String tenant)
    {
        enqueue(drain -> drain.switches().holdTenant(tenant));
    }

    public void unholdTenant(final String tenant)
    {
        enqueue(drain -> drain.switches().unholdTenant(tenant));
    }

    /**
     * Stops sending on a route from the drain thread's next duty cycle. Thread-safe.
     *
     * @throws IllegalArgumentException at once for an unknown route.
     */
    public void pauseRoute(final String route)
    {
        requireRoute(route);
        operator(drain -> drain.switches().pauseRoute(route));
    }

    /** @throws IllegalArgumentException at once for an unknown route. */
    public void resumeRoute(final String route)
    {
        requireRoute(route);
        operator(drain -> drain.switches().resumeRoute(route));
    }

    /** @return the configured route names, in configuration order. Thread-safe. */
    public List<String> routeNames()
    {
        return routes;
    }

    /**
     * Makes every deferred message ready now, on the drain thread's next duty cycle: see
     * {@link DrainScheduler#retryDeferredNow()}. Thread-safe.
     *
     * @return completes with how many deferred messages were made ready.
     */
    public CompletableFuture<Integer> retryDeferredNow()
    {
        final CompletableFuture<Integer> done = new CompletableFuture<>();
        operator(drain -> done.complete(drain.retryDeferredNow()));
        return done;
    }

    /**
     * An operator's requeue by id: see {@link DrainScheduler#retryNow(Collection)}. Thread-safe.
     *
     * @return completes with how many deferred messages were made ready.
     */
    public CompletableFuture<Integer> retryNow(final Collection<Long> messageIds)
    {
        final List<Long> ids = List.copyOf(messageIds);
        final CompletableFuture<Integer> done = new CompletableFuture<>();
        operator(drain -> done.complete(drain.retryNow(ids)));
        return done;
    }

    /**
     * An operator's hold by id: see {@link DrainScheduler#hold}; {@code journal} runs on the drain thread. Thread-safe.
     *
     * @return completes with how many of them were in flight (held once the attempt under way is journaled).
     */
    public CompletableFuture<Integer> hold(final Collection<Long> messageIds, final Predicate<PendingMessage> journal)
    {
        Objects.requireNonNull(journal, "journal");
        final List<Long> ids = List.copyOf(messageIds);
        final CompletableFuture<Integer> done = new CompletableFuture<>();
        operator(drain -> done.complete(drain.hold(ids, journal)));
        return done;
    }

    /** An operator's command: applied on the drain thread, and the status published at once, so a console sees it. */
    private void operator(final Consumer<DrainScheduler> command)
    {
        enqueue(drain ->
        {
            command.accept(drain);
            publishNow = true;
        });
    }

    private void requireRoute(final String route)
    {
        if (!routes.contains(route))
        {
            throw new IllegalArgumentException("no such route: " + route + " (routes: " + routes + ")");
        }
    }

    /**
     * Changes a route's rate on the drain thread's next duty cycle. Thread-safe.
     *
     * @throws IllegalArgumentException at once for an unknown route or a bad rate or burst.
     */
    public void setRouteRate(final String route, final double ratePerSec, final int burst)
    {
        requireRoute(route);
        if (!(ratePerSec > 0 && ratePerSec <= DrainContext.MAX_RATE_PER_SEC) || burst < 1)
        {
            throw new IllegalArgumentException("expected a rate above 0 up to " + (long)DrainContext.MAX_RATE_PER_SEC
                + " and a burst of at least 1: " + ratePerSec + ", " + burst);
        }
        operator(drain -> drain.setRouteRate(route, ratePerSec, burst));
    }

    /** @return the last published status, at most {@code drain.statusIntervalMs} old. Thread-safe. */
    public DrainStatus status()
    {
        return status;
    }

    /** For admission's {@code SpoolPressure}: see {@link DrainStatus#projectedDelayMillis(String)}. Thread-safe. */
    public long projectedDelayMillis(final String lane)
    {
        return status.projectedDelayMillis(lane);
    }

    /** @return the counter to give the {@code AgentRunner} as its error counter ({@link DrainCounter#AGENT_ERRORS}). */
    public AtomicCounter errorCounter()
    {
        return scheduler.counters().counter(DrainCounter.AGENT_ERRORS);
    }

    /** @return the drain's counters; readable from any thread. */
    public EnumCounters<DrainCounter> counters()
    {
        return scheduler.counters();
    }

    /**
     * The drain thread's agent, handing dispatches to {@code gateway}. Call once, when the gateway exists: the drain
     * has only one thread.
     *
     * @throws IllegalStateException on a second call.
     */
    public synchronized DutyCycle deliveringTo(final DeliveryGateway gateway)
    {
        Objects.requireNonNull(gateway, "gateway");
        if (delivering)
        {
            throw new IllegalStateException("the drain already has its thread's agent");
        }
        delivering = true;
        return new DutyCycle(gateway);
    }

    /** The drain thread's {@link Agent}: each {@link #doWork} is one duty cycle, handing dispatches to its gateway. */
    public final class DutyCycle implements Agent
    {
        private final DeliveryGateway gateway;

        private DutyCycle(final DeliveryGateway gateway)
        {
            this.gateway = gateway;
        }

        @Override
        public int doWork()
        {
            return dutyCycle(gateway);
        }

        @Override
        public void onClose()
        {
            scheduler.saveLearnedRates();
            status = scheduler.status();
        }

        @Override
        public String roleName()
        {
            return "sluice-drain";
        }
    }

    /**
     * One duty cycle: the events other threads sent, then (unless nothing can have changed) what time made due and
     * dispatches while routes have room and tokens, and the status when its interval has passed. A cycle that found
     * nothing to do works out when the next thing will be due ({@link #nanosUntilDue}); until then a cycle without
     * events returns at once, so the idle strategy's spins and the wake-ups of a quiet drain cost no scheduling work.
     */
    private int dutyCycle(final DeliveryGateway gateway)
    {
        int work = 0;
        Consumer<DrainScheduler> event;
        while (work < MAX_EVENTS_PER_CYCLE && (event = events.relaxedPoll()) != null)
        {
            event.accept(scheduler);
            work++;
        }
        final long nowNanos = System.nanoTime();
        if (work == 0 && nowNanos - quietUntilNanos < 0)
        {
            return 0;
        }
        work += scheduler.tick();
        work += dispatch(gateway);
        final long nowMillis = context.clock().millis();
        if (publishNow || nowMillis - lastStatusMillis >= context.statusIntervalMs() || nowMillis < lastStatusMillis)
        {
            publishNow = false;
            lastStatusMillis = nowMillis;
            status = scheduler.status();
        }
        quietUntilNanos = work > 0 ? nowNanos : nowNanos + Math.min(nanosUntilDue(gateway), MAX_PARK_NANOS);
        return work;
    }

    /** Round robin over routes, so one busy route cannot use up the cycle's budget before the others are asked. */
    private int dispatch(final DeliveryGateway gateway)
    {
        int dispatched = 0;
        final int budget = context.maxDispatchesPerCycle();
        boolean progress = true;
        while (progress && dispatched < budget)
        {
            progress = false;
            for (int i = 0; i < routes.size() && dispatched < budget; i++)
            {
                final String route = routes.get(routeCursor);
                routeCursor = (routeCursor + 1) % routes.size();
                if (gateway.capacity(route) <= 0)
                {
                    scheduler.onRouteSaturated(route, gateway.waitsOnJournal(route));
                    continue;
                }
                final Dispatch next = scheduler.pickNext(route);
                if (next == null)
                {
                    continue;
                }
                handOver(gateway, next);
                dispatched++;
                progress = true;
            }
        }
        return dispatched;
    }

    private void handOver(final DeliveryGateway gateway, final Dispatch dispatch)
    {
        try
        {
            gateway.deliver(dispatch);
        }
        catch (final RuntimeException ex)
        {
            scheduler.returnUndelivered(dispatch);
            throw ex;
        }
    }
}
