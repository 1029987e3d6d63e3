package io.sluice.delivery;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.channel.EventLoop;
import io.sluice.drain.Dispatch;
import io.sluice.drain.SmtpReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SMTP route's connection pool: at most {@code maxConnections} connections to its relay, each carrying one
 * transaction at a time, reused (after RSET) while they are alive, closed with QUIT after
 * {@code delivery.connectionIdleMs} idle or {@code delivery.maxMessagesPerConnection} messages.
 *
 * <p>Every dispatch holds one slot from {@link #deliver} until the outcome stage has journaled its replies, so the
 * number of connections never exceeds the slots (a dispatch either takes an idle connection or opens one), and neither
 * does the number of messages a crash could send twice. The content is read from the spool and dot-stuffed on the I/O
 * executor, host names are resolved there too, and everything else happens on the route's own event loop, which
 * confines the pool's state without locks.
 *
 * <p>A refused connection (or a timed-out connect, or an error greeting) defers the dispatch with
 * {@link SmtpReply#connectionRefused}, which the drain counts as throttling (AIMD). The route then reports no capacity
 * for {@code delivery.reconnectDelayMs}, and afterwards one dispatch at a time until a connection succeeds, so a down
 * relay is probed, not hammered, and its mail waits ready in the drain instead of collecting retry delays.
 *
 * <p>A session the route's TLS or AUTH settings forbid to use (STARTTLS required but missing or failed, credentials
 * refused) defers the dispatch with the {@link SmtpReply#routeProblem} its connection reports and pauses the route the
 * same way, but is not throttling: the route's rate stays. With opportunistic TLS, a failed STARTTLS handshake sends the
 * same dispatch again at once over a clear connection, and the route's connections skip STARTTLS for
 * {@link #CLEAR_AFTER_TLS_FAILURE_MS}, rather than paying a failed handshake each time.
 */
final class SmtpRoute implements RouteDelivery
{
    /** How long an opportunistic route delivers in clear after a failed STARTTLS handshake before trying TLS again. */
    static final long CLEAR_AFTER_TLS_FAILURE_MS = TimeUnit.HOURS.toMillis(1);
    private static final Logger LOG = LoggerFactory.getLogger(SmtpRoute.class);

    private final DeliveryContext.Route route;
    private final RouteTarget.Smtp target;
    private final RouteServices services;
    private final DeliveryContext context;
    private final EventLoop loop;
    private final AtomicInteger inUse = new AtomicInteger();
    /** Slots whose replies went to the outcome stage and wait for the journal: see {@link #complete}. */
    private final AtomicInteger awaitingJournal = new AtomicInteger();
    private volatile boolean reachable = true;
    private volatile long retryAtMillis;
    /** Why the route last became unusable (refused connection, TLS, credentials); for the console. */
    private volatile String lastProblem = "";
    private volatile boolean closing;
    /** Opportunistic TLS: until when connections skip STARTTLS after a failed handshake. Event-loop confined. */
    private long clearUntilMillis;

    // Confined to the route's event loop.
    private final ArrayDeque<SmtpConnection> idle = new ArrayDeque<>();
    private final Set<SmtpConnection> connections = new HashSet<>();
    /** The jobs on the loop, at most one a slot. */
    private final Set<Job> jobs = new HashSet<>();
    /**
     * The jobs' dispatch timeouts, one timer for all (issue 21: not one a message): set for the earliest deadline, it
     * expires the jobs past theirs and is set again for the earliest left.
     */
    private final DeadlineTimer deadlines;

    /** One dispatch on its way through the pool. Event-loop confined once it reaches the loop. */
    private static final class Job
    {
        final Dispatch dispatch;
        OutboundMessage message;
        SmtpConnection connection;
        /** {@link System#nanoTime()} by which the dispatch must be over; set when it reaches the loop. */
        long deadline;
        boolean timed;
        boolean expired;
        boolean done;

        Job(final Dispatch dispatch)
        {
            this.dispatch = dispatch;
        }
    }

    SmtpRoute(final DeliveryContext.Route route, final RouteServices services)
    {
        this.route = route;
        this.target = (RouteTarget.Smtp)route.target();
        this.services = services;
        this.context = services.context();
        this.loop = services.loops().next();
        this.deadlines = new DeadlineTimer(() -> loop, this::deadlinesDue);
    }

    @Override
    public String describe()
    {
        return route.name() + " -> " + target + " (up to " + services.maxConnections(route.name()) + " connections, "
            + route.security() + ")";
    }

    @Override
    public String state()
    {
        final StringBuilder text = new StringBuilder(route.name()).append(": ").append(inUse.get()).append(" of ")
            .append(services.maxConnections(route.name())).append(" connections in use");
        if (!reachable)
        {
            final long waitMs = Math.max(0, retryAtMillis - context.clock().millis());
            text.append("; PAUSED, next try in ").append(waitMs).append(" ms, then one connection at a time: ")
                .append(lastProblem);
        }
        else if (!lastProblem.isEmpty())
        {
            text.append("; last problem, since cleared: ").append(lastProblem);
        }
        return text.toString();
    }

    @Override
    public int capacity()
    {
        if (closing || !services.budget().hasRoom())
        {
            return 0;
        }
        final int busy = inUse.get();
        final int free = services.maxConnections(route.name()) - busy;
        if (free <= 0)
        {
            return 0;
        }
        if (reachable)
        {
            return free;
        }
        return busy == 0 && context.clock().millis() >= retryAtMillis ? 1 : 0;
    }

    @Override
    public int inUse()
    {
        return inUse.get();
    }

    @Override
    public int awaitingJournal()
    {
        return awaitingJournal.get();
    }

    @Override
    public void deliver(final Dispatch dispatch)
    {
        inUse.incrementAndGet();
        services.budget().acquire(dispatch.message().contentLength());
        final Job job = new Job(dispatch);
        try
        {
            services.io().execute(() -> prepare(job));
        }
        catch (final RejectedExecutionException ex)
        {
            endSlot(job);
            services.giveBack(dispatch);
        }
    }

    /** Frees the job's connection slot and its share of the content budget. */
    private void endSlot(final Job job)
    {
        services.budget().release(job.dispatch.message().contentLength());
        inUse.decrementAndGet();
    }

    /** On the I/O executor: the content, read and made ready for DATA. */
    private void prepare(final Job job)
    {
        final ByteBuffer content;
        try
        {
            content = services.spool().readContent(job.dispatch.messageId());
        }
        catch (final IOException | RuntimeException ex)
        {
            services.counters().increment(DeliveryCounter.LOCAL_ERRORS);
            LOG.error("{}: content unreadable, deferred", job.dispatch.message().queueId(), ex);
            final SmtpReply reply = SmtpReply.of(451, "4.3.0", "local error: message content unreadable: " + ex.getMessage());
            onLoop(job, () -> complete(job, replyForAll(job.dispatch, reply)));
            return;
        }
        if (content == null)
        {
            // Finished meanwhile (purged by an operator): nothing to send, nothing to journal.
            onLoop(job, () -> giveBack(job));
            return;
        }
        job.message = OutboundMessage.prepare(content);
        onLoop(job, () -> assign(job));
    }

    /** Runs {@code task} on the route's loop; if the loop is gone (stopped), hands the dispatch back instead. */
    private void onLoop(final Job job, final Runnable task)
    {
        try
        {
            loop.execute(task);
        }
        catch (final RejectedExecutionException ex)
        {
            release(job);
            endSlot(job);
            services.giveBack(job.dispatch);
        }
    }

    private static TreeMap<Integer, SmtpReply> replyForAll(final Dispatch dispatch, final SmtpReply reply)
    {
        final TreeMap<Integer, SmtpReply> replies = new TreeMap<>();
        for (final int index : dispatch.recipientIndexes())
        {
            replies.put(index, reply);
        }
        return replies;
    }

    /** Finds the job a connection: an idle one (after RSET if its last transaction was unfinished), or a new one. */
    private void assign(final Job job)
    {
        if (job.done)
        {
            return;
        }
        if (!job.timed)
        {
            job.timed = true;
            final long now = System.nanoTime();
            job.deadline = now + TimeUnit.MILLISECONDS.toNanos(context.dispatchTimeoutMs());
            jobs.add(job);
            deadlines.setNoLaterThan(now, job.deadline);
        }
        if (job.expired)
        {
            complete(job, replyForAll(job.dispatch, SmtpReply.connectionLost(
                "not sent within " + DeliveryContext.DISPATCH_TIMEOUT_MS + "=" + context.dispatchTimeoutMs())));
            return;
        }
        if (closing && job.connection == null)
        {
            giveBack(job);
            return;
        }
        SmtpConnection pooled = idle.pollFirst();
        while (pooled != null && !pooled.isIdle())
        {
            pooled = idle.pollFirst();
        }
        if (pooled != null)
        {
            final SmtpConnection reused = pooled;
            job.connection = reused;
            if (reused.needsReset())
            {
                reused.probe(() -> transact(reused, job), () ->
                {
                    job.connection = null;
                    assign(job);
                });
            }
            else
            {
                transact(reused, job);
            }
            return;
        }
        open(job);
    }

    private void open(final Job job)
    {
        final boolean startTls = route.security().tls() != RouteSecurity.Tls.NONE
            && context.clock().millis() >= clearUntilMillis;
        final SmtpConnection connection = new SmtpConnection(context, services.counters(), services.heloName(), route, startTls,
            new SmtpConnection.Owner()
            {
                @Override
                public void ready(final SmtpConnection ready)
                {
                    if (!reachable)
                    {
                        LOG.info("route {}: {} reachable again", route.name(), target);
                        reachable = true;
                    }
                    transact(ready, job);
                }

                @Override
                public void handshakeFailed(final SmtpConnection failed, final String why)
                {
                    if (job.expired)
                    {
                        // Aborted by us (deadline, shutdown): says nothing about the relay.
                        complete(job, replyForAll(job.dispatch, SmtpReply.connectionLost(why)));
                        return;
                    }
                    unreachable(why);
                    complete(job, replyForAll(job.dispatch, SmtpReply.connectionRefused(why)));
                }

                @Override
                public void sessionRefused(final SmtpConnection refused, final SmtpReply reply)
                {
                    if (job.expired)
                    {
                        complete(job, replyForAll(job.dispatch, SmtpReply.connectionLost(reply.text())));
                        return;
                    }
                    unreachable(reply.toString());
                    complete(job, replyForAll(job.dispatch, reply));
                }

                @Override
                public void tlsFailed(final SmtpConnection failed, final String why)
                {
                    job.connection = null;
                    clearUntilMillis = context.clock().millis() + CLEAR_AFTER_TLS_FAILURE_MS;
                    LOG.warn("route {}: {}; tls=opportunistic, so delivering in clear for the next {} min", route.name(), why,
                        TimeUnit.MILLISECONDS.toMinutes(CLEAR_AFTER_TLS_FAILURE_MS));
                    assign(job);
                }

                @Override
                public void closed(final SmtpConnection closed)
                {
                    connections.remove(closed);
                    idle.remove(closed);
                }
            });
        connections.add(connection);
        job.connection = connection;
        connection.open(services.io(), loop);
    }

    private void unreachable(final String why)
    {
        final boolean was = reachable;
        lastProblem = why;
        reachable = false;
        retryAtMillis = context.clock().millis() + context.reconnectDelayMs();
        if (was)
        {
            LOG.warn("route {}: {} unusable ({}); trying again in {} ms", route.name(), target, why,
                context.reconnectDelayMs());
        }
    }

    private void transact(final SmtpConnection connection, final Job job)
    {
        if (job.done || job.expired)
        {
            job.connection = null;
            reuseOrClose(connection, true);
            assign(job);
            return;
        }
        if (connection.transactions() > 0)
        {
            services.counters().increment(DeliveryCounter.REUSED_TRANSACTIONS);
        }
        connection.send(job.dispatch, job.message, (replies, reusable) ->
        {
            job.connection = null;
            complete(job, replies);
            reuseOrClose(connection, reusable);
        }, () ->
        {
            // Closed by the server while it was idle: no attempt was made, so the job just takes another connection.
            job.connection = null;
            assign(job);
        });
    }

    private void reuseOrClose(final SmtpConnection connection, final boolean reusable)
    {
        if (reusable && connection.isOpen() && !closing && connection.transactions() < context.maxMessagesPerConnection())
        {
            connection.idle(context.connectionIdleMs(), () ->
            {
                idle.remove(connection);
                connection.quit();
            });
            idle.addFirst(connection);
        }
        else
        {
            connection.quit();
        }
    }

    private void deadlinesDue()
    {
        final long now = System.nanoTime();
        long earliest = 0;
        boolean waiting = false;
        for (final Job job : new ArrayList<>(jobs))
        {
            if (job.deadline - now <= 0)
            {
                expire(job);
            }
            else if (!waiting || job.deadline - earliest < 0)
            {
                earliest = job.deadline;
                waiting = true;
            }
        }
        if (waiting)
        {
            deadlines.setNoLaterThan(now, earliest);
        }
    }

    private void expire(final Job job)
    {
        if (job.done)
        {
            return;
        }
        job.expired = true;
        final String why = "dispatch not finished within " + DeliveryContext.DISPATCH_TIMEOUT_MS + "="
            + context.dispatchTimeoutMs();
        if (job.connection != null)
        {
            job.connection.abort(why);
        }
        if (!job.done)
        {
            complete(job, replyForAll(job.dispatch, SmtpReply.connectionLost(why)));
        }
    }

    /**
     * Ends a job with its replies: they go to the outcome stage, and its slot is free again once they are journaled. Until
     * then the route counts the slot as busy, so the messages delivered upstream but not yet journaled as such (what a
     * crash would send twice) never outnumber the route's connections.
     */
    private void complete(final Job job, final Map<Integer, SmtpReply> replies)
    {
        if (job.done)
        {
            return;
        }
        finishJob(job);
        awaitingJournal.incrementAndGet();
        services.reports().report(job.dispatch, replies).whenComplete((settled, failure) ->
        {
            awaitingJournal.decrementAndGet();
            endSlot(job);
        });
    }

    private void giveBack(final Job job)
    {
        if (job.done)
        {
            return;
        }
        finishJob(job);
        endSlot(job);
        services.giveBack(job.dispatch);
    }

    private void finishJob(final Job job)
    {
        job.done = true;
        // Its deadline leaves with it: the timer, if it runs for it, finds it gone.
        jobs.remove(job);
        release(job);
    }

    private static void release(final Job job)
    {
        if (job.message != null)
        {
            job.message.data().release();
            job.message = null;
        }
    }

    @Override
    public void beginClose()
    {
        closing = true;
        runOnLoop(() ->
        {
            final List<SmtpConnection> parked = new ArrayList<>(idle);
            idle.clear();
            parked.forEach(SmtpConnection::quit);
        });
    }

    @Override
    public void abort()
    {
        closing = true;
        runOnLoop(() ->
        {
            for (final Job job : new ArrayList<>(jobs))
            {
                job.expired = true;
                if (job.connection != null)
                {
                    job.connection.abort("delivery stopped");
                }
                if (!job.done)
                {
                    complete(job, replyForAll(job.dispatch, SmtpReply.connectionLost("delivery stopped")));
                }
            }
            new ArrayList<>(connections).forEach(c -> c.abort("delivery stopped"));
        });
    }

    private void runOnLoop(final Runnable task)
    {
        try
        {
            loop.execute(task);
        }
        catch (final RejectedExecutionException ex)
        {
            LOG.debug("route {}: event loop already stopped", route.name());
        }
    }
}
