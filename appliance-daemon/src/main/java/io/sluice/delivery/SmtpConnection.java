package io.sluice.delivery;

import io.sluice.counters.EnumCounters;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.smtp.DefaultSmtpRequest;
import io.netty.handler.codec.smtp.SmtpCommand;
import io.netty.handler.codec.smtp.SmtpRequestEncoder;
import io.sluice.drain.Dispatch;
import io.sluice.drain.SmtpReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection to an upstream relay: greeting, EHLO (HELO if EHLO is refused), then transactions, each one
 * MAIL, RCPT per recipient and DATA, written in one flush when the server offers PIPELINING (RFC 2920), one command at
 * a time otherwise. Every reply has the RFC 5321 §4.5.3.2 timeout of its command; a timeout, a closed connection or a
 * malformed reply ends the connection, and a transaction in progress reports each recipient without a reply as
 * {@link SmtpReply#connectionLost}.
 *
 * <p><b>The one duplicate at-least-once allows</b>: if the connection is lost after the end of data was sent but before
 * its reply arrived, the upstream may have taken the message. Its recipients are deferred and the message is sent again
 * later, so it can arrive twice; each such loss is counted ({@link DeliveryCounter#LOST_AFTER_DATA}) and logged.
 *
 * <p><b>TLS and AUTH</b> ({@link RouteSecurity}): after EHLO, STARTTLS when the route asks for it and the server offers
 * it ({@link SmtpStartTls}, RFC 3207), then AUTH PLAIN or LOGIN when the route has credentials ({@link SmtpAuth},
 * RFC 4954). With {@code tls=required} the connection is never used in clear: a server that does not offer STARTTLS, a
 * failed handshake or a certificate that does not verify ends it before any MAIL, and the owner hears
 * {@link Owner#sessionRefused} with a {@link SmtpReply#routeProblem}, as for refused credentials.
 *
 * <p>This class is the session: the Netty handler, the queue of replies it waits for with their timeouts, greeting and
 * EHLO, and the connection's life in its route's pool. Each transaction is a {@link SmtpTransaction}; the parts reach
 * back through the package-private methods below, all on the event loop.
 *
 * <p>Commands go through Netty's {@link SmtpRequestEncoder}; the content is dot-stuffed by {@link OutboundMessage}
 * because the encoder does not stuff. Addresses with UTF-8 are sent as raw UTF-8 bytes (the encoder writes chars as
 * ASCII) and only to a server that offers SMTPUTF8 (RFC 6531).
 *
 * <p>Threads: confined to the event loop it was connected on, as its route's pool is; no method is thread-safe.
 */
final class SmtpConnection extends ChannelInboundHandlerAdapter
{
    /** Content is written in blocks of this size, each with the data-block timeout. */
    static final int DATA_BLOCK_BYTES = 64 * 1024;
    private static final Logger LOG = LoggerFactory.getLogger(SmtpConnection.class);

    /** The pool's side of a connection. */
    interface Owner
    {
        /** The connection is ready for a transaction after its greeting and EHLO/HELO. */
        void ready(SmtpConnection connection);

        /** No session could be opened: refused, timed out, or greeted or answered with an error. */
        void handshakeFailed(SmtpConnection connection, String why);

        /**
         * The session could not be set up as the route's TLS or AUTH settings demand (STARTTLS required but missing or
         * failed, credentials refused): the connection is closed, nothing was sent, and {@code reply} says why.
         */
        void sessionRefused(SmtpConnection connection, SmtpReply reply);

        /** Opportunistic TLS only: the STARTTLS handshake failed and the connection is gone; a clear one may follow. */
        void tlsFailed(SmtpConnection connection, String why);

        /** The connection is gone, for whatever reason; called once, last. */
        void closed(SmtpConnection connection);
    }

    /** What a transaction reports when it ends. */
    interface TransactionDone
    {
        /**
         * @param replies  one reply per dispatched recipient index.
         * @param reusable true if the connection may carry another transaction (after RSET).
         */
        void done(TreeMap<Integer, SmtpReply> replies, boolean reusable);
    }

    /** Where the session stands; the parts move it through {@link #state(State)}. */
    enum State
    {
        CONNECTING, GREETING, HELLO, SECURING, AUTHENTICATING, IDLE, PROBING, TRANSACTION, VERIFYING, QUITTING, CLOSED
    }

    private record Expect(String command, long timeoutMs, Consumer<UpstreamReply> handler)
    {
    }

    private final DeliveryContext context;
    private final EnumCounters<DeliveryCounter> counters;
    private final String heloName;
    private final DeliveryContext.Route route;
    private final RouteTarget.Smtp target;
    private final RouteSecurity security;
    private final String peer;
    private final Owner owner;
    private final SmtpStartTls tls;
    private final SmtpAuth auth;
    private final ArrayDeque<Expect> expected = new ArrayDeque<>();
    private Channel channel;
    private EventLoop loop;
    private State state = State.CONNECTING;
    /** The timeout of the reply at the head of {@link #expected}, counted from when it got there. */
    private final DeadlineTimer replyTimer = new DeadlineTimer(this::loop, this::replyTimedOut);
    /** The pool's idle limit, from {@link #idle}. */
    private final DeadlineTimer idleTimer = new DeadlineTimer(this::loop, this::idleTimedOut);
    private Runnable idleExpired;
    private final EhloExtensions extensions = new EhloExtensions();
    private SmtpReply refusal;
    private boolean contentExpected;
    private int transactions;
    private SmtpTransaction tx;
    private Runnable probeOk;
    private Runnable probeDead;
    /** The recipient probe in progress ({@link RecipientProbe}), on a connection of a route's verification pool. */
    private RecipientProbe verification;
    /** A transaction began (MAIL sent) and did not reach the reply to its end of data: RSET before the next one. */
    private boolean needsReset;

    /**
     * @param route    an {@code smtp://} route, with its security settings.
     * @param startTls whether to ask for STARTTLS: the route's {@code tls} is not {@code none}, and an opportunistic
     *                 route has not fallen back to clear text for a while.
     */
    SmtpConnection(
        final DeliveryContext context, final EnumCounters<DeliveryCounter> counters, final String heloName,
        final DeliveryContext.Route route, final boolean startTls, final Owner owner)
    {
        this.context = context;
        this.counters = counters;
        this.heloName = heloName;
        this.route = route;
        this.target = (RouteTarget.Smtp)route.target();
        this.security = route.security();
        this.peer = target.toString();
        this.owner = owner;
        this.tls = new SmtpStartTls(this, startTls, security.tls() == RouteSecurity.Tls.REQUIRED);
        this.auth = new SmtpAuth(this, security);
    }

    /**
     * Resolves the target's host name on {@code io} (a lookup blocks, so never on the event loop), then connects on
     * {@code eventLoop}. Call it on {@code eventLoop}; the owner hears {@link Owner#handshakeFailed} if the name does not
     * resolve or {@code io} is stopping.
     */
    void open(final Executor io, final EventLoop eventLoop)
    {
        try
        {
            io.execute(() -> resolve(eventLoop));
        }
        catch (final RejectedExecutionException ex)
        {
            abort("delivery is stopping");
        }
    }

    /** On the I/O executor. */
    private void resolve(final EventLoop eventLoop)
    {
        try
        {
            final InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(target.host()), target.port());
            eventLoop.execute(() -> connect(eventLoop, address));
        }
        catch (final UnknownHostException ex)
        {
            eventLoop.execute(() -> abort("cannot resolve " + target.host() + ": " + ex.getMessage()));
        }
        catch (final RejectedExecutionException ex)
        {
            LOG.debug("route {} stopped while resolving {}", route.name(), target.host());
        }
    }

    /** Connects on {@code loop}; the owner hears {@link Owner#ready} or {@link Owner#handshakeFailed}. */
    void connect(final EventLoop eventLoop, final InetSocketAddress address)
    {
        loop = eventLoop;
        if (state == State.CLOSED)
        {
            // Aborted while its address was being resolved.
            return;
        }
        final SmtpConnection handler = this;
        final Bootstrap bootstrap = new Bootstrap()
            .group(eventLoop)
            .channel(NioSocketChannel.class)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int)context.connectTimeoutMs())
            .option(ChannelOption.TCP_NODELAY, true)
            .handler(new ChannelInitializer<SocketChannel>()
            {
                @Override
                protected void initChannel(final SocketChannel ch)
                {
                    ch.pipeline()
                        .addLast("replies", new SmtpReplyDecoder())
                        .addLast("requests", new SmtpRequestEncoder())
                        .addLast("client", handler);
                }
            });
        bootstrap.connect(address).addListener(f ->
        {
            if (!f.isSuccess())
            {
                fail("connect to " + peer + " failed: " + describe(f.cause()));
            }
        });
    }

    static String describe(final Throwable cause)
    {
        if (cause == null)
        {
            return "unknown cause";
        }
        final String message = cause.getMessage();
        return message == null ? cause.getClass().getSimpleName() : message;
    }

    int transactions()
    {
        return transactions;
    }

    boolean isOpen()
    {
        return state != State.CLOSED;
    }

    @Override
    public String toString()
    {
        return peer + " " + (channel == null ? "" : channel.localAddress()) + " " + state;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Netty events

    @Override
    public void handlerAdded(final ChannelHandlerContext ctx)
    {
        // Before connect() returns: a loopback connect can complete, and fail, within it.
        channel = ctx.channel();
    }

    @Override
    public void channelActive(final ChannelHandlerContext ctx)
    {
        if (state != State.CONNECTING)
        {
            return;
        }
        state = State.GREETING;
        expect("the greeting", context.greetingTimeoutMs(), this::onGreeting);
    }

    @Override
    public void channelRead(final ChannelHandlerContext ctx, final Object msg)
    {
        if (!(msg instanceof UpstreamReply reply))
        {
            ctx.fireChannelRead(msg);
            return;
        }
        final Expect head = expected.poll();
        if (head == null)
        {
            // A 421 while idle is a server closing the connection; anything else is out of order.
            fail("unexpected reply while " + state.name().toLowerCase(Locale.ROOT) + ": " + reply);
            return;
        }
        final Expect next = expected.peek();
        if (next != null)
        {
            armReplyTimer(next);
        }
        else
        {
            replyTimer.drop();
        }
        if (state == State.TRANSACTION && tx != null && tx.closedBeforeFirstReply(reply))
        {
            fail("closed before the transaction: " + reply);
            return;
        }
        head.handler().accept(reply);
    }

    @Override
    public void channelInactive(final ChannelHandlerContext ctx)
    {
        fail(state == State.QUITTING ? "closed after QUIT" : "connection closed by " + peer);
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
    {
        fail("connection to " + peer + " broke: " + describe(cause));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Replies and timeouts

    void expect(final String command, final long timeoutMs, final Consumer<UpstreamReply> handler)
    {
        final Expect expect = new Expect(command, timeoutMs, handler);
        expected.add(expect);
        if (expected.size() == 1)
        {
            armReplyTimer(expect);
        }
    }

    /** {@code expect} is now the reply waited for: its timeout counts from now. */
    private void armReplyTimer(final Expect expect)
    {
        final long now = System.nanoTime();
        replyTimer.set(now, now + TimeUnit.MILLISECONDS.toNanos(expect.timeoutMs()));
    }

    private void replyTimedOut()
    {
        final Expect head = expected.peek();
        if (head == null || state == State.CLOSED)
        {
            return;
        }
        counters.increment(DeliveryCounter.TIMEOUTS);
        fail("no reply to " + head.command() + " from " + peer + " within " + head.timeoutMs() + " ms");
    }

    /**
     * Ends the connection for a failure. Whoever waits on it hears of it once: the owner's handshake, a probe, or the
     * transaction (whose recipients without a reply are reported as lost).
     */
    void fail(final String why)
    {
        if (state == State.CLOSED)
        {
            return;
        }
        final State was = state;
        state = State.CLOSED;
        expected.clear();
        replyTimer.cancel();
        idleTimer.cancel();
        if (channel != null)
        {
            channel.close();
        }
        switch (was)
        {
            case CONNECTING, GREETING, HELLO, SECURING, AUTHENTICATING -> sessionFailed(was, why);
            case PROBING ->
            {
                counters.increment(DeliveryCounter.DEAD_CONNECTIONS);
                LOG.debug("pooled connection {} found dead: {}", this, why);
                probeDead.run();
            }
            case TRANSACTION ->
            {
                final SmtpTransaction lost = tx;
                tx = null;
                lost.connectionFailed(why);
            }
            case VERIFYING ->
            {
                final RecipientProbe lost = verification;
                verification = null;
                lost.connectionFailed(why);
            }
            default -> LOG.debug("connection {} closed: {}", this, why);
        }
        owner.closed(this);
    }

    /** Tells the owner why no session came of this connection: a refusal, a failed STARTTLS, or a connection failure. */
    private void sessionFailed(final State was, final String why)
    {
        if (refusal != null)
        {
            owner.sessionRefused(this, refusal);
        }
        else if (was == State.SECURING)
        {
            counters.increment(DeliveryCounter.TLS_FAILURES);
            if (security.tls() == RouteSecurity.Tls.REQUIRED)
            {
                owner.sessionRefused(this, SmtpReply.routeProblem("4.7.5", why + "; nothing sent in clear ("
                    + key(RouteSecurity.TLS_SUFFIX) + "=required)"));
            }
            else
            {
                owner.tlsFailed(this, why);
            }
        }
        else
        {
            counters.increment(DeliveryCounter.CONNECT_FAILURES);
            owner.handshakeFailed(this, why);
        }
    }

    /** Ends a session the route's settings forbid to use: says QUIT, closes, and the owner hears the reply. */
    void refuse(final SmtpReply reply)
    {
        refusal = reply;
        command(SmtpCommand.QUIT);
        channel.flush();
        fail(reply.text());
    }

    String key(final String suffix)
    {
        return DeliveryContext.ROUTE_PREFIX + route.name() + suffix;
    }

    /** Closes after a reply that ends the session (a 421), or because the pool no longer wants the connection. */
    private void closeQuietly()
    {
        if (state == State.CLOSED)
        {
            return;
        }
        state = State.CLOSED;
        expected.clear();
        replyTimer.cancel();
        idleTimer.cancel();
        channel.close();
        owner.closed(this);
    }

    /** Ends the connection at once (shutdown, a dispatch past its deadline), as a failure. */
    void abort(final String why)
    {
        fail(why);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Session start

    private void onGreeting(final UpstreamReply reply)
    {
        if (reply.code() != 220)
        {
            fail("greeting from " + peer + ": " + reply);
            return;
        }
        ehlo("EHLO");
    }

    /** Says EHLO, forgetting what the server offered before (at the start, and again after STARTTLS). */
    void ehlo(final String label)
    {
        state = State.HELLO;
        extensions.clear();
        command(SmtpCommand.EHLO, heloName);
        channel.flush();
        expect(label, context.commandTimeoutMs(), this::onEhlo);
    }

    private void onEhlo(final UpstreamReply reply)
    {
        if (reply.isPositive())
        {
            extensions.read(reply);
            afterHello();
            return;
        }
        if (reply.code() >= 500)
        {
            // RFC 5321 §3.2: a server that does not know EHLO gets HELO.
            command(SmtpCommand.HELO, heloName);
            channel.flush();
            expect("HELO", context.commandTimeoutMs(), this::onHelo);
            return;
        }
        fail("EHLO to " + peer + ": " + reply);
    }

    private void onHelo(final UpstreamReply reply)
    {
        if (reply.isPositive())
        {
            afterHello();
            return;
        }
        fail("HELO to " + peer + ": " + reply);
    }

    /** After EHLO/HELO: STARTTLS if asked for and not done yet, then AUTH if the route has credentials, then ready. */
    void afterHello()
    {
        if (tls.begin())
        {
            return;
        }
        if (security.authenticates())
        {
            auth.begin(tls.isSecured());
            return;
        }
        ready();
    }

    void ready()
    {
        if (security.tls() == RouteSecurity.Tls.REQUIRED && !tls.isSecured())
        {
            // Unreachable by the state machine above; here so that no future path can send a message in clear.
            refuse(SmtpReply.routeProblem("4.7.10", "no TLS with " + peer + "; nothing sent in clear"));
            return;
        }
        state = State.IDLE;
        counters.increment(DeliveryCounter.CONNECTIONS_OPENED);
        LOG.debug("connected to {} from {}{}; extensions {}", peer, channel.localAddress(),
            tls.isSecured() ? " over TLS" : "", extensions.keywords());
        owner.ready(this);
    }

    boolean offersPipelining()
    {
        return extensions.offers("PIPELINING");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Pool life: idle, probe, quit

    /** Parks the connection in the pool; after {@code idleMs} without use, {@code expired} runs (the pool says QUIT). */
    void idle(final long idleMs, final Runnable expired)
    {
        state = State.IDLE;
        idleExpired = expired;
        final long now = System.nanoTime();
        idleTimer.set(now, now + TimeUnit.MILLISECONDS.toNanos(idleMs));
    }

    /** Out of the pool: no idle limit (the timer's task stays, and finds nothing to do if it runs meanwhile). */
    private void leavePool()
    {
        idleTimer.drop();
        idleExpired = null;
    }

    private void idleTimedOut()
    {
        if (state == State.IDLE && idleExpired != null)
        {
            idleExpired.run();
        }
    }

    /** @return true if the connection is parked and may be probed for another transaction. */
    boolean isIdle()
    {
        return state == State.IDLE;
    }

    /** @return true if the last transaction ended before the reply to its data, so the server may hold its state. */
    boolean needsReset()
    {
        return needsReset;
    }

    /**
     * Before reuse after an unfinished transaction, RSET: it clears whatever that transaction left and proves the
     * connection is alive. After a finished one the next transaction goes straight on (RFC 5321 §4.1.1.4: the reply to
     * the end of data ends the transaction either way); a connection the server closed meanwhile is then found dead by
     * that transaction before any reply, which costs the message no attempt either.
     */
    void probe(final Runnable ok, final Runnable dead)
    {
        leavePool();
        state = State.PROBING;
        probeOk = ok;
        probeDead = dead;
        command(SmtpCommand.RSET);
        channel.flush();
        expect("RSET", context.commandTimeoutMs(), reply ->
        {
            if (!reply.isPositive())
            {
                fail("RSET answered " + reply);
                return;
            }
            state = State.IDLE;
            needsReset = false;
            probeOk.run();
        });
    }

    /** Says QUIT and closes once it is answered (or its timeout passes). */
    void quit()
    {
        if (state == State.CLOSED || state == State.QUITTING)
        {
            return;
        }
        idleTimer.cancel();
        state = State.QUITTING;
        if (contentExpected)
        {
            command(SmtpCommand.RSET);
        }
        command(SmtpCommand.QUIT);
        channel.flush();
        expected.clear();
        replyTimer.cancel();
        expect("QUIT", context.commandTimeoutMs(), reply -> closeQuietly());
    }

    // ---------------------------------------------------------------------------------------------------------
    // Transactions

    void command(final SmtpCommand command, final CharSequence... parameters)
    {
        if (command.equals(SmtpCommand.RSET))
        {
            contentExpected = false;
        }
        // No promise per command: a failed write reaches exceptionCaught, which fails the connection.
        channel.write(new DefaultSmtpRequest(command, parameters), channel.voidPromise());
        if (command.equals(SmtpCommand.DATA))
        {
            contentExpected = true;
        }
    }

    /**
     * Sends one message. The connection must be idle: fresh, probed, or after a finished transaction.
     *
     * @param dispatch the recipients and envelope.
     * @param message  the prepared content; not released here.
     * @param done     told once, with a reply for each recipient, unless {@code dead} is told instead.
     * @param dead     told instead if the connection was reused and turns out dead before the first reply.
     */
    void send(final Dispatch dispatch, final OutboundMessage message, final TransactionDone done, final Runnable dead)
    {
        leavePool();
        transactions++;
        tx = new SmtpTransaction(this, dispatch, message, done, dead, transactions > 1);
        state = State.TRANSACTION;
        tx.start();
    }

    /** The transaction in progress ended: the connection is idle again, or closes if the server is closing. */
    void transactionEnded(final boolean reusable)
    {
        tx = null;
        if (reusable)
        {
            state = State.IDLE;
        }
        else
        {
            closeQuietly();
        }
    }

    /** Asks about one recipient ({@code MAIL FROM:<>}, RCPT, RSET; never DATA). The connection must be idle. */
    void verify(final RecipientProbe probe)
    {
        leavePool();
        verification = probe;
        state = State.VERIFYING;
        probe.start();
    }

    /** The probe in progress ended: the connection is idle again, or closes if the server is closing. */
    void verificationEnded(final boolean reusable)
    {
        verification = null;
        transactionEnded(reusable);
    }

    /** @return true while {@code transaction} is the one in progress. */
    boolean isTransacting(final SmtpTransaction transaction)
    {
        return tx == transaction && state == State.TRANSACTION;
    }

    // ---------------------------------------------------------------------------------------------------------
    // For the parts of the session (STARTTLS, AUTH, a transaction)

    void flush()
    {
        channel.flush();
    }

    /** The last of the content is being written: a QUIT from now on needs no RSET before it. */
    void contentEnded()
    {
        contentExpected = false;
    }

    void needsReset(final boolean needed)
    {
        needsReset = needed;
    }

    State state()
    {
        return state;
    }

    void state(final State next)
    {
        state = next;
    }

    Channel channel()
    {
        return channel;
    }

    EventLoop loop()
    {
        return loop;
    }

    EhloExtensions extensions()
    {
        return extensions;
    }

    DeliveryContext context()
    {
        return context;
    }

    EnumCounters<DeliveryCounter> counters()
    {
        return counters;
    }

    RouteSecurity security()
    {
        return security;
    }

    RouteTarget.Smtp target()
    {
        return target;
    }

    String peer()
    {
        return peer;
    }
}
