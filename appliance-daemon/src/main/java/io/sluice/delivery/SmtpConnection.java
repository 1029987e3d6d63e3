package io.sluice.delivery;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.smtp.DefaultLastSmtpContent;
import io.netty.handler.codec.smtp.DefaultSmtpContent;
import io.netty.handler.codec.smtp.DefaultSmtpRequest;
import io.netty.handler.codec.smtp.SmtpCommand;
import io.netty.handler.codec.smtp.SmtpContent;
import io.netty.handler.codec.smtp.SmtpRequestEncoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AsciiString;
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
 * it (RFC 3207), then a Netty {@link SslHandler} (JDK provider) at the head of the pipeline and EHLO again, since what
 * the server offers may change; then AUTH PLAIN or LOGIN (RFC 4954) when the route has credentials, never over a clear
 * connection unless {@code allowPlaintextAuth}. With {@code tls=required} the connection is never used in clear: a
 * server that does not offer STARTTLS, a failed handshake or a certificate that does not verify ends it before any MAIL,
 * and the owner hears {@link Owner#sessionRefused} with a {@link SmtpReply#routeProblem}, as for refused credentials.
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

    private enum State
    {
        CONNECTING, GREETING, HELLO, SECURING, AUTHENTICATING, IDLE, PROBING, TRANSACTION, QUITTING, CLOSED
    }

    private record Expect(String command, long timeoutMs, Consumer<UpstreamReply> handler)
    {
    }

    private final DeliveryContext context;
    private final DeliveryCounters counters;
    private final String heloName;
    private final DeliveryContext.Route route;
    private final RouteTarget.Smtp target;
    private final RouteSecurity security;
    private final String peer;
    private final boolean startTls;
    private final Owner owner;
    private final ArrayDeque<Expect> expected = new ArrayDeque<>();
    private Channel channel;
    private EventLoop loop;
    private State state = State.CONNECTING;
    private ScheduledFuture<?> replyTimer;
    private ScheduledFuture<?> idleTimer;
    /** EHLO keywords (upper case) and their parameters, e.g. AUTH -> "PLAIN LOGIN". */
    private final Map<String, String> extensions = new HashMap<>();
    private boolean secured;
    private boolean tlsDeclined;
    private SmtpReply refusal;
    private boolean contentExpected;
    private int transactions;
    private Transaction tx;
    private Runnable probeOk;
    private Runnable probeDead;
    /** A transaction began (MAIL sent) and did not reach the reply to its end of data: RSET before the next one. */
    private boolean needsReset;

    /**
     * @param route    an {@code smtp://} route, with its security settings.
     * @param startTls whether to ask for STARTTLS: the route's {@code tls} is not {@code none}, and an opportunistic
     *                 route has not fallen back to clear text for a while.
     */
    SmtpConnection(
        final DeliveryContext context, final DeliveryCounters counters, final String heloName,
        final DeliveryContext.Route route, final boolean startTls, final Owner owner)
    {
        this.context = context;
        this.counters = counters;
        this.heloName = heloName;
        this.route = route;
        this.target = (RouteTarget.Smtp)route.target();
        this.security = route.security();
        this.peer = target.toString();
        this.startTls = startTls || security.tls() == RouteSecurity.Tls.REQUIRED;
        this.owner = owner;
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

    private static String describe(final Throwable cause)
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
        cancelReplyTimer();
        final Expect next = expected.peek();
        if (next != null)
        {
            armReplyTimer(next);
        }
        if (state == State.TRANSACTION && tx != null && !tx.replied)
        {
            if (reply.code() == 421 && tx.reused)
            {
                // The server closed the idle connection as our next transaction reached it: nothing was taken.
                fail("closed before the transaction: " + reply);
                return;
            }
            tx.replied = true;
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

    private void expect(final String command, final long timeoutMs, final Consumer<UpstreamReply> handler)
    {
        final Expect expect = new Expect(command, timeoutMs, handler);
        expected.add(expect);
        if (expected.size() == 1)
        {
            armReplyTimer(expect);
        }
    }

    private void armReplyTimer(final Expect expect)
    {
        replyTimer = loop.schedule(() ->
        {
            counters.increment(DeliveryCounter.TIMEOUTS);
            fail("no reply to " + expect.command() + " from " + peer + " within " + expect.timeoutMs() + " ms");
        }, expect.timeoutMs(), TimeUnit.MILLISECONDS);
    }

    private void cancelReplyTimer()
    {
        if (replyTimer != null)
        {
            replyTimer.cancel(false);
            replyTimer = null;
        }
    }

    /**
     * Ends the connection for a failure. Whoever waits on it hears of it once: the owner's handshake, a probe, or the
     * transaction (whose recipients without a reply are reported as lost).
     */
    private void fail(final String why)
    {
        if (state == State.CLOSED)
        {
            return;
        }
        final State was = state;
        state = State.CLOSED;
        expected.clear();
        cancelReplyTimer();
        cancelIdleTimer();
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
                final Transaction lost = tx;
                tx = null;
                if (lost.deadOnReuse())
                {
                    counters.increment(DeliveryCounter.DEAD_CONNECTIONS);
                    LOG.debug("pooled connection {} found dead by its next transaction: {}", this, why);
                    lost.dead.run();
                }
                else
                {
                    counters.increment(DeliveryCounter.CONNECTIONS_LOST);
                    lost.lost(why);
                }
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
    private void refuse(final SmtpReply reply)
    {
        refusal = reply;
        command(SmtpCommand.QUIT);
        channel.flush();
        fail(reply.text());
    }

    private String key(final String suffix)
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
        cancelReplyTimer();
        cancelIdleTimer();
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
        state = State.HELLO;
        command(SmtpCommand.EHLO, heloName);
        channel.flush();
        expect("EHLO", context.commandTimeoutMs(), this::onEhlo);
    }

    private void onEhlo(final UpstreamReply reply)
    {
        if (reply.isPositive())
        {
            extensions.clear();
            for (int i = 1; i < reply.lines().size(); i++)
            {
                final String line = reply.lines().get(i).trim();
                int end = 0;
                while (end < line.length() && line.charAt(end) != ' ' && line.charAt(end) != '=')
                {
                    end++;
                }
                final String parameters = end < line.length() ? line.substring(end + 1).trim() : "";
                // "AUTH=LOGIN" is the pre-RFC 4954 form some servers still send beside "AUTH LOGIN".
                extensions.merge(line.substring(0, end).toUpperCase(Locale.ROOT), parameters, (a, b) -> a + " " + b);
            }
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
    private void afterHello()
    {
        if (!secured && startTls && !tlsDeclined)
        {
            if (extensions.containsKey("STARTTLS"))
            {
                state = State.SECURING;
                command(SmtpCommand.valueOf("STARTTLS"));
                channel.flush();
                expect("STARTTLS", context.commandTimeoutMs(), this::onStartTls);
                return;
            }
            if (security.tls() == RouteSecurity.Tls.REQUIRED)
            {
                counters.increment(DeliveryCounter.TLS_FAILURES);
                refuse(SmtpReply.routeProblem("4.7.10", peer + " does not offer STARTTLS; nothing sent in clear ("
                    + key(RouteSecurity.TLS_SUFFIX) + "=required)"));
                return;
            }
        }
        if (security.authenticates())
        {
            authenticate();
            return;
        }
        ready();
    }

    private void onStartTls(final UpstreamReply reply)
    {
        if (reply.code() != 220)
        {
            if (security.tls() == RouteSecurity.Tls.REQUIRED)
            {
                counters.increment(DeliveryCounter.TLS_FAILURES);
                refuse(SmtpReply.routeProblem("4.7.10", peer + " answered STARTTLS with " + reply + "; nothing sent in clear ("
                    + key(RouteSecurity.TLS_SUFFIX) + "=required)"));
                return;
            }
            // Opportunistic: the session goes on in clear, as it was.
            LOG.debug("{} declined STARTTLS: {}", peer, reply);
            tlsDeclined = true;
            afterHello();
            return;
        }
        final SmtpReplyDecoder decoder = channel.pipeline().get(SmtpReplyDecoder.class);
        if (decoder != null && decoder.hasBufferedBytes())
        {
            // RFC 3207 §4: bytes after the 220 in clear text would be read as if they came over TLS (command injection).
            fail(peer + " sent data after its 220 to STARTTLS, before the TLS handshake");
            return;
        }
        final SslHandler tls = security.sslContext().newHandler(channel.alloc(), target.host(), target.port());
        tls.setHandshakeTimeoutMillis(context.commandTimeoutMs());
        channel.pipeline().addFirst("tls", tls);
        tls.handshakeFuture().addListener(f ->
        {
            if (state != State.SECURING)
            {
                return;
            }
            if (!f.isSuccess())
            {
                fail("TLS handshake with " + peer + " failed: " + describe(f.cause()));
                return;
            }
            secured = true;
            counters.increment(DeliveryCounter.TLS_SESSIONS);
            LOG.debug("TLS with {}: {} {}", peer, tls.engine().getSession().getProtocol(),
                tls.engine().getSession().getCipherSuite());
            // RFC 3207 §4.2: forget what the server said before TLS and ask again.
            state = State.HELLO;
            extensions.clear();
            command(SmtpCommand.EHLO, heloName);
            channel.flush();
            expect("EHLO after STARTTLS", context.commandTimeoutMs(), this::onEhlo);
        });
    }

    /** SMTP AUTH (RFC 4954): PLAIN if offered, else LOGIN. */
    private void authenticate()
    {
        if (!secured && !security.allowPlaintextAuth())
        {
            counters.increment(DeliveryCounter.AUTH_FAILURES);
            refuse(SmtpReply.routeProblem("4.7.11", "not sending the password of " + security.username() + " to " + peer
                + " over a clear connection (no STARTTLS; " + key(RouteSecurity.ALLOW_PLAINTEXT_AUTH_SUFFIX) + "=false)"));
            return;
        }
        final String offered = " " + extensions.getOrDefault("AUTH", "").toUpperCase(Locale.ROOT) + " ";
        state = State.AUTHENTICATING;
        if (offered.contains(" PLAIN "))
        {
            final String response = base64("\0" + security.username() + "\0" + security.password());
            command(SmtpCommand.AUTH, "PLAIN", response);
            channel.flush();
            expect("AUTH PLAIN", context.commandTimeoutMs(), this::onAuthenticated);
        }
        else if (offered.contains(" LOGIN "))
        {
            command(SmtpCommand.AUTH, "LOGIN");
            channel.flush();
            expect("AUTH LOGIN", context.commandTimeoutMs(), reply -> onLoginChallenge(reply, security.username(), false));
        }
        else
        {
            counters.increment(DeliveryCounter.AUTH_FAILURES);
            refuse(SmtpReply.routeProblem("4.7.0", peer + (offered.isBlank() ? " does not offer AUTH"
                : " offers AUTH" + offered + "but neither PLAIN nor LOGIN") + ", and " + key(RouteSecurity.USERNAME_SUFFIX)
                + " is set"));
        }
    }

    /** AUTH LOGIN: the server asks (334) for the user name, then the password, each sent base64 on a line of its own. */
    private void onLoginChallenge(final UpstreamReply reply, final String answer, final boolean last)
    {
        if (reply.code() != 334)
        {
            authRefused(reply);
            return;
        }
        channel.writeAndFlush(Unpooled.copiedBuffer(base64(answer) + "\r\n", StandardCharsets.US_ASCII));
        expect("AUTH LOGIN", context.commandTimeoutMs(),
            last ? this::onAuthenticated : next -> onLoginChallenge(next, security.password(), true));
    }

    private void onAuthenticated(final UpstreamReply reply)
    {
        if (reply.code() != 235)
        {
            authRefused(reply);
            return;
        }
        counters.increment(DeliveryCounter.AUTHENTICATED);
        ready();
    }

    private void authRefused(final UpstreamReply reply)
    {
        counters.increment(DeliveryCounter.AUTH_FAILURES);
        refuse(SmtpReply.routeProblem("4.7.8", "authentication as " + security.username() + " to " + peer + " refused: "
            + reply + " (" + key(RouteSecurity.USERNAME_SUFFIX) + ", " + key(RouteSecurity.PASSWORD_FILE_SUFFIX) + ")"));
    }

    private static String base64(final String text)
    {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private void ready()
    {
        if (security.tls() == RouteSecurity.Tls.REQUIRED && !secured)
        {
            // Unreachable by the state machine above; here so that no future path can send a message in clear.
            refuse(SmtpReply.routeProblem("4.7.10", "no TLS with " + peer + "; nothing sent in clear"));
            return;
        }
        state = State.IDLE;
        counters.increment(DeliveryCounter.CONNECTIONS_OPENED);
        LOG.debug("connected to {} from {}{}; extensions {}", peer, channel.localAddress(), secured ? " over TLS" : "",
            extensions.keySet());
        owner.ready(this);
    }

    boolean offersPipelining()
    {
        return extensions.containsKey("PIPELINING");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Pool life: idle, probe, quit

    /** Parks the connection in the pool; after {@code idleMs} without use, {@code expired} runs (the pool says QUIT). */
    void idle(final long idleMs, final Runnable expired)
    {
        state = State.IDLE;
        cancelIdleTimer();
        idleTimer = loop.schedule(expired, idleMs, TimeUnit.MILLISECONDS);
    }

    /** @return true if the connection is parked and may be probed for another transaction. */
    boolean isIdle()
    {
        return state == State.IDLE;
    }

    private void cancelIdleTimer()
    {
        if (idleTimer != null)
        {
            idleTimer.cancel(false);
            idleTimer = null;
        }
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
        cancelIdleTimer();
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
        cancelIdleTimer();
        state = State.QUITTING;
        if (contentExpected)
        {
            command(SmtpCommand.RSET);
        }
        command(SmtpCommand.QUIT);
        channel.flush();
        expected.clear();
        cancelReplyTimer();
        expect("QUIT", context.commandTimeoutMs(), reply -> closeQuietly());
    }

    // ---------------------------------------------------------------------------------------------------------
    // Transactions

    private void command(final SmtpCommand command, final CharSequence... parameters)
    {
        if (command.equals(SmtpCommand.RSET))
        {
            contentExpected = false;
        }
        channel.write(new DefaultSmtpRequest(command, parameters));
        if (command.equals(SmtpCommand.DATA))
        {
            contentExpected = true;
        }
    }

    /** @return the text as bytes on the wire: ASCII as is, UTF-8 (SMTPUTF8 addresses) byte for byte. */
    private static CharSequence wire(final String text)
    {
        return new AsciiString(text.getBytes(StandardCharsets.UTF_8), false);
    }

    private static boolean isAscii(final String text)
    {
        return text.chars().allMatch(c -> c < 128);
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
        cancelIdleTimer();
        transactions++;
        tx = new Transaction(dispatch, message, done, dead, transactions > 1);
        state = State.TRANSACTION;
        final String sender = dispatch.envelope().sender();
        final boolean utf8 = extensions.containsKey("SMTPUTF8");
        // RFC 6531 §3.4: SMTPUTF8 only when the transaction needs it: a UTF-8 address, or UTF-8 header fields in a
        // message whose client sent it as SMTPUTF8 mail. A server without SMTPUTF8 must not get such mail: it fails.
        boolean needsUtf8 = !isAscii(sender) || dispatch.envelope().smtpUtf8() && message.headerEightBit();
        if (needsUtf8 && !utf8)
        {
            tx.all(isAscii(sender)
                ? SmtpReply.of(554, "5.6.9", "the message has UTF-8 header fields and needs SMTPUTF8, which " + peer
                    + " does not offer")
                : SmtpReply.of(553, "5.6.7", "the sender address needs SMTPUTF8, which " + peer + " does not offer"));
            finish(true);
            return;
        }
        for (final int index : dispatch.recipientIndexes())
        {
            final String recipient = dispatch.recipient(index);
            if (isAscii(recipient))
            {
                tx.toSend.add(index);
            }
            else if (utf8)
            {
                needsUtf8 = true;
                tx.toSend.add(index);
            }
            else
            {
                tx.replies.put(index,
                    SmtpReply.of(553, "5.6.7", "the address needs SMTPUTF8, which " + peer + " does not offer"));
            }
        }
        if (tx.toSend.isEmpty())
        {
            finish(true);
            return;
        }
        counters.increment(DeliveryCounter.TRANSACTIONS);
        final List<CharSequence> mail = new ArrayList<>(4);
        mail.add(wire("FROM:<" + sender + ">"));
        if (extensions.containsKey("SIZE"))
        {
            mail.add("SIZE=" + message.size());
        }
        if (message.eightBit() && extensions.containsKey("8BITMIME"))
        {
            mail.add("BODY=8BITMIME");
        }
        if (needsUtf8)
        {
            mail.add("SMTPUTF8");
        }
        command(SmtpCommand.MAIL, mail.toArray(new CharSequence[0]));
        needsReset = true;
        expect("MAIL", context.mailTimeoutMs(), this::onMail);
        if (offersPipelining())
        {
            counters.increment(DeliveryCounter.PIPELINED_TRANSACTIONS);
            tx.pipelined = true;
            for (final int index : tx.toSend)
            {
                rcpt(index);
            }
            command(SmtpCommand.DATA);
            expect("DATA", context.dataInitTimeoutMs(), this::onData);
        }
        channel.flush();
    }

    private void rcpt(final int index)
    {
        command(SmtpCommand.RCPT, wire("TO:<" + tx.dispatch.recipient(index) + ">"));
        expect("RCPT", context.rcptTimeoutMs(), reply -> onRcpt(index, reply));
    }

    private void onMail(final UpstreamReply reply)
    {
        if (closing(reply))
        {
            return;
        }
        if (!reply.isPositive())
        {
            tx.mailRefused = reply.toDrainReply();
            if (!tx.pipelined)
            {
                tx.all(tx.mailRefused);
                finish(true);
            }
            return;
        }
        if (!tx.pipelined)
        {
            rcpt(tx.toSend.get(0));
            channel.flush();
        }
    }

    private void onRcpt(final int index, final UpstreamReply reply)
    {
        if (closing(reply))
        {
            return;
        }
        if (tx.mailRefused == null)
        {
            if (reply.isPositive())
            {
                tx.accepted.add(index);
            }
            else
            {
                tx.replies.put(index, reply.toDrainReply());
            }
        }
        if (tx.pipelined)
        {
            return;
        }
        final int next = tx.toSend.indexOf(index) + 1;
        if (next < tx.toSend.size())
        {
            rcpt(tx.toSend.get(next));
        }
        else if (tx.accepted.isEmpty())
        {
            finish(true);
            return;
        }
        else
        {
            command(SmtpCommand.DATA);
            expect("DATA", context.dataInitTimeoutMs(), this::onData);
        }
        channel.flush();
    }

    private void onData(final UpstreamReply reply)
    {
        if (closing(reply))
        {
            return;
        }
        if (tx.mailRefused != null)
        {
            tx.all(tx.mailRefused);
        }
        if (reply.code() != 354)
        {
            tx.allAccepted(reply.toDrainReply());
            finish(true);
            return;
        }
        if (tx.mailRefused != null || tx.accepted.isEmpty())
        {
            // Pipelined and every recipient refused, yet the server wants data: an empty message ends it (RFC 2920 §3.1).
            contentExpected = false;
            channel.writeAndFlush(new DefaultLastSmtpContent(Unpooled.EMPTY_BUFFER));
            expect("the end of an empty data", context.dataEndTimeoutMs(), ignored ->
            {
                needsReset = false;
                finish(true);
            });
            return;
        }
        writeContent(0);
    }

    private void writeContent(final int offset)
    {
        final ByteBuf data = tx.message.data();
        final int remaining = data.readableBytes() - offset;
        final int length = Math.min(DATA_BLOCK_BYTES, remaining);
        final boolean last = length == remaining;
        final ByteBuf block = data.retainedSlice(data.readerIndex() + offset, length);
        final SmtpContent content = last ? new DefaultLastSmtpContent(block) : new DefaultSmtpContent(block);
        if (last)
        {
            contentExpected = false;
            expect("the end of data", context.dataEndTimeoutMs(), this::onEndOfData);
        }
        final Transaction writing = tx;
        final ScheduledFuture<?> blockTimer = loop.schedule(() ->
        {
            counters.increment(DeliveryCounter.TIMEOUTS);
            fail(peer + " took no data for " + context.dataBlockTimeoutMs() + " ms");
        }, context.dataBlockTimeoutMs(), TimeUnit.MILLISECONDS);
        channel.writeAndFlush(content).addListener(f ->
        {
            blockTimer.cancel(false);
            if (tx != writing || state != State.TRANSACTION)
            {
                return;
            }
            if (!f.isSuccess())
            {
                fail("writing data to " + peer + " failed: " + describe(f.cause()));
                return;
            }
            if (last)
            {
                writing.dataSent = true;
            }
            else
            {
                writeContent(offset + length);
            }
        });
    }

    private void onEndOfData(final UpstreamReply reply)
    {
        if (closing(reply))
        {
            return;
        }
        needsReset = false;
        tx.allAccepted(reply.toDrainReply());
        finish(true);
    }

    /**
     * A {@code 421} answers the command and says the server is closing (RFC 5321 §3.8): it is the reply of every
     * recipient still without one.
     *
     * @return true if the reply was a 421 and the transaction is over.
     */
    private boolean closing(final UpstreamReply reply)
    {
        if (reply.code() != 421)
        {
            return false;
        }
        if (tx.mailRefused != null)
        {
            tx.all(tx.mailRefused);
        }
        tx.allOpen(reply.toDrainReply());
        finish(false);
        return true;
    }

    private void finish(final boolean reusable)
    {
        final Transaction done = tx;
        tx = null;
        if (reusable)
        {
            state = State.IDLE;
        }
        else
        {
            closeQuietly();
        }
        done.done.done(done.replies, reusable);
    }

    /** The state of the transaction in progress. */
    private final class Transaction
    {
        final Dispatch dispatch;
        final OutboundMessage message;
        final TransactionDone done;
        /** Told instead of {@link #done} if a reused connection turns out dead before the first reply. */
        final Runnable dead;
        final boolean reused;
        final List<Integer> toSend = new ArrayList<>();
        final List<Integer> accepted = new ArrayList<>();
        final TreeMap<Integer, SmtpReply> replies = new TreeMap<>();
        boolean pipelined;
        SmtpReply mailRefused;
        boolean dataSent;
        boolean replied;

        Transaction(
            final Dispatch dispatch, final OutboundMessage message, final TransactionDone done, final Runnable dead,
            final boolean reused)
        {
            this.dispatch = dispatch;
            this.message = message;
            this.done = done;
            this.dead = dead;
            this.reused = reused;
        }

        /**
         * @return true if this transaction found its reused connection dead before any reply: nothing of it reached
         *         the server's queue (the content is only sent after a reply), so it is not an attempt.
         */
        boolean deadOnReuse()
        {
            return reused && !replied && !dataSent;
        }

        /** Every recipient gets this reply (a refused sender). */
        void all(final SmtpReply reply)
        {
            for (final int index : dispatch.recipientIndexes())
            {
                replies.putIfAbsent(index, reply);
            }
        }

        /** Every recipient the server accepted at RCPT gets the reply to the data. */
        void allAccepted(final SmtpReply reply)
        {
            for (final int index : accepted)
            {
                replies.put(index, reply);
            }
        }

        /** Every recipient without a reply yet gets this one. */
        void allOpen(final SmtpReply reply)
        {
            for (final int index : dispatch.recipientIndexes())
            {
                replies.putIfAbsent(index, reply);
            }
        }

        void lost(final String why)
        {
            final String detail;
            if (dataSent)
            {
                counters.increment(DeliveryCounter.LOST_AFTER_DATA);
                detail = why + " after the end of data, before its reply: " + peer
                    + " may have taken the message, which will be sent again (at-least-once)";
                LOG.warn("{} by {}: {}", dispatch.message().queueId(), dispatch.route(), detail);
            }
            else
            {
                detail = why;
            }
            if (mailRefused != null)
            {
                all(mailRefused);
            }
            allOpen(SmtpReply.connectionLost(detail));
            done.done(replies, false);
        }
    }
}
