package io.sluice.delivery;

import io.sluice.counters.EnumCounters;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import io.netty.channel.EventLoop;
import io.sluice.drain.SmtpReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kept-open connections one route's {@link RecipientVerifier} probes on: at most
 * {@code recipients.verify.maxConnections}, each carrying one {@link RecipientProbe} at a time, opened with the route's
 * TLS and AUTH settings by the same {@link SmtpConnection} delivery uses, parked between probes and closed with QUIT
 * after {@code delivery.connectionIdleMs} idle, {@value #MAX_PROBES_PER_CONNECTION} probes or
 * {@value #MAX_REFUSALS_PER_CONNECTION} refusals.
 *
 * <p>A connection that cannot be opened (refused, timed out, no session within {@code recipients.verify.timeoutMs}, TLS
 * or AUTH refused) makes the upstream "down" for {@code delivery.reconnectDelayMs}: no connection is tried meanwhile,
 * and the asks waiting for one are answered {@link ProbeVerdict#UNAVAILABLE} at once rather than at their deadline.
 *
 * <p>Threads: confined to its event loop; host names are resolved on the I/O executor.
 */
final class ProbePool
{
    /**
     * Postfix's smtpd counts each refused RCPT as an error and slows the session down after 10
     * ({@code smtpd_soft_error_limit}): a connection that drew this many refusals is closed, and a fresh one opened.
     */
    static final int MAX_REFUSALS_PER_CONNECTION = 5;
    /** Postfix counts RSET as a junk command and penalises a session after 100 ({@code smtpd_junk_command_limit}). */
    static final int MAX_PROBES_PER_CONNECTION = 50;
    private static final Logger LOG = LoggerFactory.getLogger(RecipientVerifier.class);

    /** Where an ask's verdict goes: told once, unless the ask is withdrawn first. */
    interface Answer
    {
        void answered(ProbeVerdict verdict, String reply);
    }

    /** One address to ask the upstream about. Loop-confined. */
    static final class Ask
    {
        final String recipient;
        final Answer answer;
        SmtpConnection connection;
        boolean reused;
        boolean retried;
        boolean over;

        Ask(final String recipient, final Answer answer)
        {
            this.recipient = recipient;
            this.answer = answer;
        }

        void tell(final ProbeVerdict verdict, final String reply)
        {
            if (!over)
            {
                over = true;
                answer.answered(verdict, reply);
            }
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

    private final DeliveryContext.Route route;
    private final RecipientVerificationContext settings;
    private final DeliveryContext context;
    private final String heloName;
    private final EnumCounters<DeliveryCounter> counters;
    private final EventLoop loop;
    private final Executor io;
    private final Clock clock;
    private final ArrayDeque<Ask> queue = new ArrayDeque<>();
    private final ArrayDeque<SmtpConnection> idle = new ArrayDeque<>();
    /** The connections opening or usable; one is taken out when it is told to QUIT or aborted. */
    private final Map<SmtpConnection, Pooled> pool = new HashMap<>();
    private long downUntilMillis;
    private long clearUntilMillis;
    private boolean closing;
    /** Why the upstream is down; empty while it is not. Read by the console from any thread. */
    private volatile String problem = "";

    ProbePool(final DeliveryContext.Route route, final RecipientVerificationContext settings, final DeliveryContext context,
        final String heloName, final EnumCounters<DeliveryCounter> counters, final EventLoop loop, final Executor io)
    {
        this.route = route;
        this.settings = settings;
        this.context = context;
        this.heloName = heloName;
        this.counters = counters;
        this.loop = loop;
        this.io = io;
        this.clock = settings.clock();
    }

    /** @return true if an ask now would find nobody to ask: the upstream is down and no connection is left. */
    boolean isDown()
    {
        return pool.isEmpty() && clock.millis() < downUntilMillis;
    }

    /** @return why the upstream is unreachable, or empty. */
    String problem()
    {
        return problem;
    }

    /** Queues an ask for the next free connection. */
    void ask(final Ask ask)
    {
        queue.add(ask);
        dispatch();
    }

    /** Takes an ask back (it expired): out of the queue, or its connection aborted, since its reply cannot be waited for. */
    void withdraw(final Ask ask, final String why)
    {
        ask.over = true;
        queue.remove(ask);
        final SmtpConnection connection = ask.connection;
        if (connection != null)
        {
            ask.connection = null;
            pool.remove(connection);
            connection.abort(why);
        }
    }

    /** Gives waiting asks idle connections, and opens connections for the rest as the limit allows. */
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
        if (closing || clock.millis() < downUntilMillis)
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

    private void probe(final Ask ask, final SmtpConnection connection)
    {
        final Pooled pooled = pool.get(connection);
        pooled.probes++;
        ask.connection = connection;
        ask.reused = pooled.probes > 1;
        connection.verify(new RecipientProbe(connection, ask.recipient, new RecipientProbe.Listener()
        {
            @Override
            public void answered(final ProbeVerdict verdict, final String reply)
            {
                if (verdict == ProbeVerdict.UNKNOWN)
                {
                    pooled.refusals++;
                }
                ask.tell(verdict, reply);
            }

            @Override
            public void lost(final String why)
            {
                ask.connection = null;
                if (ask.over)
                {
                    return;
                }
                if (ask.reused && !ask.retried)
                {
                    // A kept-open connection the upstream had closed: nothing was asked, so ask on another (the pool
                    // hears of the closed connection next, and dispatches).
                    ask.retried = true;
                    queue.addFirst(ask);
                    return;
                }
                ask.tell(ProbeVerdict.UNAVAILABLE, why);
            }

            @Override
            public void ended(final SmtpConnection ended, final boolean reusable)
            {
                ask.connection = null;
                if (reusable)
                {
                    park(ended);
                }
                dispatch();
            }
        }));
    }

    /** @return the kept-open connections waiting for a probe now. Loop only. */
    int idleConnections()
    {
        return idle.size();
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

    private void open()
    {
        final Pooled pooled = new Pooled();
        final boolean startTls = route.security().tls() != RouteSecurity.Tls.NONE && clock.millis() >= clearUntilMillis;
        final SmtpConnection connection = new SmtpConnection(context, counters, heloName, route, startTls, new Owner(pooled));
        pool.put(connection, pooled);
        pooled.handshakeDeadline = loop.schedule(() -> connection.abort("no session with " + route.target() + " within "
            + RecipientVerificationContext.TIMEOUT_MS + "=" + settings.timeoutMs()), settings.timeoutMs(), TimeUnit.MILLISECONDS);
        connection.open(io, loop);
    }

    private void down(final String why)
    {
        if (problem.isEmpty())
        {
            LOG.warn("route {}: recipient probes cannot reach {} ({}); recipients stay unverified for {} ms, then it is tried"
                + " again", route.name(), route.target(), why, context.reconnectDelayMs());
        }
        problem = why;
        downUntilMillis = clock.millis() + context.reconnectDelayMs();
    }

    /** Stops: every waiting ask is told {@link ProbeVerdict#UNAVAILABLE} and every connection closes. */
    void close()
    {
        closing = true;
        while (!queue.isEmpty())
        {
            queue.poll().tell(ProbeVerdict.UNAVAILABLE, "delivery is stopping");
        }
        for (final SmtpConnection connection : new ArrayList<>(pool.keySet()))
        {
            if (connection.isIdle())
            {
                retire(connection);
            }
            else
            {
                pool.remove(connection);
                connection.abort("delivery is stopping");
            }
        }
    }

    /** One pooled connection's life, as the connection reports it. */
    private final class Owner implements SmtpConnection.Owner
    {
        private final Pooled pooled;

        Owner(final Pooled pooled)
        {
            this.pooled = pooled;
        }

        private void opened()
        {
            if (pooled.opening)
            {
                pooled.opening = false;
                pooled.handshakeDeadline.cancel(false);
            }
        }

        @Override
        public void ready(final SmtpConnection ready)
        {
            opened();
            if (!problem.isEmpty())
            {
                LOG.info("route {}: recipient probes reach {} again", route.name(), route.target());
                problem = "";
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
            opened();
            down(why);
        }

        @Override
        public void sessionRefused(final SmtpConnection refused, final SmtpReply reply)
        {
            opened();
            down(reply.toString());
        }

        @Override
        public void tlsFailed(final SmtpConnection failed, final String why)
        {
            opened();
            clearUntilMillis = clock.millis() + SmtpRoute.CLEAR_AFTER_TLS_FAILURE_MS;
            LOG.warn("route {}: recipient probes: {}; tls=opportunistic, so probing in clear for a while", route.name(), why);
        }

        @Override
        public void closed(final SmtpConnection closed)
        {
            opened();
            pool.remove(closed);
            idle.remove(closed);
            if (isDown())
            {
                // Nobody left to ask: the waiting asks get their answer now, not at their deadline.
                while (!queue.isEmpty())
                {
                    queue.poll().tell(ProbeVerdict.UNAVAILABLE, problem);
                }
            }
            dispatch();
        }
    }
}
