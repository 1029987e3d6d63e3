package io.sluice.ingress;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.AttributeKey;
import io.sluice.admission.Admission;
import io.sluice.ingress.auth.Authenticator;
import io.sluice.ingress.tls.ServerTlsContext;
import io.sluice.ingress.tls.SessionTls;
import io.sluice.ingress.tls.TlsContext;
import io.sluice.ingress.tls.TlsMode;
import io.sluice.net.Cidr;
import io.sluice.spool.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SMTP listener: Netty event loops, so thousands of flood connections cost a few threads, not one each
 * (a 2-core appliance cannot afford thread-per-connection). Each connection gets an idle timer, the
 * line/data decoder and its own {@link SmtpSession}; behind a load balancer, a PROXY protocol decoder
 * first, accepted only from the configured proxies.
 */
public final class SmtpServer implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(SmtpServer.class);

    /**
     * The event loops that accept connections and serve them: no separate acceptor thread. A client that connects for
     * each message (Postfix's smtp-source, many MTAs' one-shot deliveries) paid an acceptor wake-up and a hand-over to
     * another thread per message; an accepting loop now registers the connection itself when it picks itself.
     */
    private final EventLoopGroup workers;
    /**
     * How long a stop waits for the transactions in progress: a message being received or appended gets its reply
     * first. Well within systemd's {@code TimeoutStopSec}, which also covers delivery's own grace.
     */
    static final long SHUTDOWN_GRACE_MS = 5_000;

    /** The {@code smtp.listen} listener's channel: the first of {@link #channels}. */
    private final Channel channel;
    private final List<Channel> channels = new ArrayList<>();
    private static final AttributeKey<Listener> LISTENER = AttributeKey.valueOf("sluice.listener");
    private final IngressServices services;
    /** Every open session, so a stop can tell each one (a closed channel leaves the group by itself). */
    private final ChannelGroup sessions = new DefaultChannelGroup("smtp-sessions", GlobalEventExecutor.INSTANCE);
    private final AtomicBoolean closed = new AtomicBoolean();

    private SmtpServer(final IngressServices services, final List<Listener> listeners)
    {
        this.services = services;
        final IngressContext context = services.context();
        workers = new MultiThreadIoEventLoopGroup(context.eventLoopThreads(), NioIoHandler.newFactory());
        try
        {
            for (final Listener listener : listeners)
            {
                channels.add(bind(listener));
            }
        }
        catch (final RuntimeException ex)
        {
            channels.forEach(Channel::close);
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw ex;
        }
        channel = channels.get(0);
    }

    /** Binds one listener; its sessions share this server's event loops, services and connection caps. */
    private Channel bind(final Listener listener)
    {
        final IngressContext context = services.context();
        final ServerBootstrap bootstrap = new ServerBootstrap()
            .group(workers)
            .channel(NioServerSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, 4096)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(new ChannelInitializer<SocketChannel>()
            {
                @Override
                protected void initChannel(final SocketChannel ch)
                {
                    if (context.proxyProtocol())
                    {
                        if (!fromTrustedProxy(ch.remoteAddress(), context))
                        {
                            LOG.warn("PROXY listener: connection from untrusted {} closed", ch.remoteAddress());
                            ch.close();
                            return;
                        }
                        ch.pipeline().addLast("proxy", new HAProxyMessageDecoder());
                    }
                    if (listener.implicitTls())
                    {
                        // RFC 8314 section 3: TLS from the first byte; the greeting waits in the handler for the handshake.
                        ch.pipeline().addLast(SessionTls.HANDLER_NAME, services.tls().newHandler(ch.alloc(), false));
                    }
                    sessions.add(ch);
                    final SmtpFrameDecoder decoder = new SmtpFrameDecoder(context.maxLineLength());
                    ch.pipeline()
                        .addLast("idle", new IdleStateHandler(context.idleTimeoutMs(), 0, 0, TimeUnit.MILLISECONDS))
                        .addLast("frames", decoder)
                        .addLast("session", new SmtpSession(services, decoder, listener));
                }
            });
        final Channel bound;
        try
        {
            bound = bootstrap.bind(listener.address()).syncUninterruptibly().channel();
        }
        catch (final RuntimeException ex)
        {
            throw new IllegalStateException("cannot listen on " + listener.address() + " (" + listener.name() + "): "
                + ex.getMessage(), ex);
        }
        LOG.info("SMTP listening on {} ({}{}{}{})", bound.localAddress(), listener.name(),
            context.proxyProtocol() ? ", PROXY protocol" : "", listener.implicitTls() ? ", implicit TLS"
                : listener.startTls() == TlsMode.OFF ? "" : ", STARTTLS " + listener.startTls().name().toLowerCase(Locale.ROOT),
            listener.authenticationRequired() ? ", AUTH required" : "");
        bound.attr(LISTENER).set(listener);
        return bound;
    }

    private static boolean fromTrustedProxy(final InetSocketAddress remote, final IngressContext context)
    {
        for (final Cidr proxy : context.trustedProxies())
        {
            if (proxy.contains(remote.getAddress()))
            {
                return true;
            }
        }
        return false;
    }

    /** Binds the listener, without recipient verification; fails with a message naming the address if it cannot. */
    public static SmtpServer start(
        final IngressContext context, final SourcePolicy policy, final Admission admission, final Spool spool, final Clock clock)
    {
        return start(context, policy, admission, RecipientVerification.NONE, spool, clock);
    }

    /**
     * Binds the listener; fails with a message naming the address if it cannot.
     *
     * @param verification asked at RCPT about each recipient in a relay domain.
     */
    public static SmtpServer start(final IngressContext context, final SourcePolicy policy, final Admission admission,
        final RecipientVerification verification, final Spool spool, final Clock clock)
    {
        return start(context, policy, admission, verification, spool, clock, null);
    }

    /** @param quarantine where spoofed mail with the QUARANTINE action is announced; null: such mail is refused. */
    public static SmtpServer start(final IngressContext context, final SourcePolicy policy, final Admission admission,
        final RecipientVerification verification, final Spool spool, final Clock clock, final QuarantineIntake quarantine)
    {
        return start(context, policy, admission, verification, spool, clock, quarantine, new TlsContext().conclude(), null);
    }

    /**
     * Binds {@code smtp.listen} and each submission listener {@code tlsSettings} sets, without SMTP AUTH.
     *
     * @param tls the certificate the listeners serve, or null when {@code tlsSettings} names none.
     */
    public static SmtpServer start(final IngressContext context, final SourcePolicy policy, final Admission admission,
        final RecipientVerification verification, final Spool spool, final Clock clock, final QuarantineIntake quarantine,
        final TlsContext tlsSettings, final ServerTlsContext tls)
    {
        return start(context, policy, admission, verification, spool, clock, quarantine, tlsSettings, tls,
            Authenticator.off());
    }

    /**
     * Binds {@code smtp.listen} and each submission listener {@code tlsSettings} sets.
     *
     * @param tls           the certificate the listeners serve, or null when {@code tlsSettings} names none.
     * @param authenticator SMTP AUTH's users and checks; {@link Authenticator#off()} offers no AUTH.
     */
    public static SmtpServer start(final IngressContext context, final SourcePolicy policy, final Admission admission,
        final RecipientVerification verification, final Spool spool, final Clock clock, final QuarantineIntake quarantine,
        final TlsContext tlsSettings, final ServerTlsContext tls, final Authenticator authenticator)
    {
        if (tlsSettings.configured() != (tls != null))
        {
            throw new IllegalArgumentException("the listeners' certificate must be given exactly when the settings name one");
        }
        final IngressContext concluded = context.conclude();
        return new SmtpServer(new IngressServices(concluded, policy, admission, verification, spool, clock, quarantine, tls,
            authenticator), Listener.all(concluded.listen(), tlsSettings.conclude()));
    }

    /** @return SMTP AUTH's users, failures and counters. */
    public Authenticator authenticator()
    {
        return services.authenticator();
    }

    /** @return the listeners' certificate, or null when none is configured. */
    public ServerTlsContext tls()
    {
        return services.tls();
    }

    /** @return where the listener named {@code name} ({@code smtp}, {@code submission}, {@code submissions}) is bound. */
    public InetSocketAddress localAddress(final String name)
    {
        for (final Channel bound : channels)
        {
            if (bound.attr(LISTENER).get().name().equals(name))
            {
                return (InetSocketAddress)bound.localAddress();
            }
        }
        throw new IllegalArgumentException("no " + name + " listener");
    }

    /** @return the bound address (the real port when configured with port 0). */
    public InetSocketAddress localAddress()
    {
        return (InetSocketAddress)channel.localAddress();
    }

    /** Pauses or resumes taking mail: while paused, new sessions get 421 4.3.2 and new transactions 452 4.3.1. */
    public void pause(final boolean pause)
    {
        services.pause(pause);
        LOG.warn("SMTP ingress {} by the operator", pause ? "paused" : "resumed");
    }

    public boolean isPaused()
    {
        return services.isPaused();
    }

    /** @return true while the listener is bound and the server not closed: readiness's "listener up". */
    public boolean isListening()
    {
        return !closed.get() && channel.isActive();
    }

    /**
     * @return every event loop: the watchdog posts a heartbeat task on each, so a loop stuck in a handler is seen as one
     *         whose task never runs.
     */
    public List<Executor> eventLoops()
    {
        final List<Executor> loops = new ArrayList<>();
        workers.forEach(loops::add);
        return loops;
    }

    /** @return connections open now. */
    public int openConnections()
    {
        return services.limiter().open();
    }

    /**
     * Stops as systemd's SIGTERM asks: no new connections; a session between transactions gets {@code 421 4.3.2} at
     * once; one whose message is being received or appended finishes it, gets its {@code 250} (or refusal), then the
     * {@code 421}. Whatever is still open after {@link #SHUTDOWN_GRACE_MS} is closed: its sender never had a
     * {@code 250} for the message in progress, so it keeps it and retries. The spool must still be open meanwhile.
     * Idempotent.
     */
    @Override
    public void close()
    {
        if (!closed.compareAndSet(false, true))
        {
            return;
        }
        channels.forEach(bound -> bound.close().syncUninterruptibly());
        sessions.forEach(session -> session.pipeline().fireUserEventTriggered(SmtpSession.SHUTDOWN));
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SHUTDOWN_GRACE_MS);
        while (!sessions.isEmpty() && System.nanoTime() < deadline)
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
        if (!sessions.isEmpty())
        {
            LOG.warn("SMTP stopping: {} sessions still open after {} ms closed without a reply to their transaction",
                sessions.size(), SHUTDOWN_GRACE_MS);
        }
        sessions.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
