package io.sluice.daemon;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells systemd how the service is doing over {@code $NOTIFY_SOCKET} (the {@code sd_notify(3)} protocol):
 * {@code READY=1} once the daemon serves, {@code STATUS=} lines for {@code systemctl status},
 * {@code WATCHDOG=1} while the daemon is healthy, {@code STOPPING=1} when it begins to stop.
 * The JDK has no Unix datagram sockets, so the datagrams go through junixsocket.
 *
 * <p>Without {@code NOTIFY_SOCKET} (started by hand, by a test, or under {@code Type=simple}) every method
 * is a no-op. Sending is best effort: a failure is logged, never thrown, because a daemon that cannot reach
 * systemd must still serve mail (systemd acts on the missing message by itself: start timeout or watchdog).
 *
 * <p>The daemon's call sequence:
 * <pre>{@code
 * SystemdNotifier systemd = SystemdNotifier.fromEnvironment();         // once, at start
 * // ... spool recovered, listeners bound, JMX serving:
 * systemd.ready("accepting on 0.0.0.0:25; 12 pending");               // READY=1 + STATUS=
 * systemd.startHeartbeat(healthy, statusLine);                         // WATCHDOG=1 + STATUS= every half interval
 * // ... on shutdown, first thing:
 * systemd.stopping("stopping: finishing SMTP transactions");          // STOPPING=1 + STATUS=, heartbeat ends
 * // ... close the stages, then:
 * systemd.close();
 * }</pre>
 * Methods are thread-safe; datagrams are sent in call order.
 */
public final class SystemdNotifier implements AutoCloseable
{
    public static final String NOTIFY_SOCKET = "NOTIFY_SOCKET";
    /** Set by systemd when the unit has {@code WatchdogSec=}: the interval in microseconds. */
    public static final String WATCHDOG_USEC = "WATCHDOG_USEC";
    /** Set by systemd with {@code WATCHDOG_USEC}: the watchdog is for this pid only (children inherit the variable). */
    public static final String WATCHDOG_PID = "WATCHDOG_PID";
    /** Without a watchdog, STATUS= is refreshed this often, so {@code systemctl status} shows a live backlog. */
    static final Duration STATUS_INTERVAL = Duration.ofSeconds(10);

    private static final Logger LOG = LoggerFactory.getLogger(SystemdNotifier.class);
    private static final SystemdNotifier DISABLED = new SystemdNotifier(null, null, Duration.ZERO);

    private final AFUNIXDatagramChannel channel;
    private final SocketAddress target;
    private final Duration watchdogInterval;
    private ScheduledExecutorService heartbeat;
    private ScheduledFuture<?> heartbeatTask;
    private boolean stopping;
    private boolean lastSendFailed;
    /** Touched only by the heartbeat thread. */
    private boolean lastBeatHealthy = true;

    private SystemdNotifier(final AFUNIXDatagramChannel channel, final SocketAddress target, final Duration watchdogInterval)
    {
        this.channel = channel;
        this.target = target;
        this.watchdogInterval = watchdogInterval;
    }

    /** @return a notifier that sends nothing. */
    public static SystemdNotifier disabled()
    {
        return DISABLED;
    }

    /** Reads {@code NOTIFY_SOCKET}, {@code WATCHDOG_USEC} and {@code WATCHDOG_PID} from this process's environment. */
    public static SystemdNotifier fromEnvironment()
    {
        return fromEnvironment(System.getenv(), ProcessHandle.current().pid());
    }

    /**
     * As {@code sd_notify(3)} and {@code sd_watchdog_enabled(3)} read {@code environment}: no socket means
     * disabled; a watchdog interval counts only when {@code WATCHDOG_PID} is absent or equals {@code pid}.
     * A socket systemd's protocol does not allow (neither an absolute path nor {@code @abstract}) is logged
     * and disables the notifier rather than stopping the daemon.
     */
    public static SystemdNotifier fromEnvironment(final Map<String, String> environment, final long pid)
    {
        final String socketName = environment.get(NOTIFY_SOCKET);
        if (socketName == null || socketName.isEmpty())
        {
            return DISABLED;
        }
        Duration watchdog = Duration.ZERO;
        final String usec = environment.get(WATCHDOG_USEC);
        final String watchdogPid = environment.get(WATCHDOG_PID);
        if (usec != null && (watchdogPid == null || watchdogPid.equals(Long.toString(pid))))
        {
            try
            {
                watchdog = Duration.ofNanos(Math.multiplyExact(Long.parseLong(usec.trim()), 1_000L));
            }
            catch (final NumberFormatException | ArithmeticException ex)
            {
                LOG.warn("ignoring {}={}: expected microseconds; no watchdog keep-alives will be sent", WATCHDOG_USEC, usec);
            }
        }
        try
        {
            return open(socketName, watchdog);
        }
        catch (final IllegalArgumentException | IOException ex)
        {
            LOG.error("cannot notify systemd through {}={}: {}; a Type=notify unit will time out waiting for READY=1",
                NOTIFY_SOCKET, socketName, ex.getMessage());
            return DISABLED;
        }
    }

    /**
     * Opens a notifier for an explicit socket, as {@code NOTIFY_SOCKET} spells it.
     *
     * @param notifySocket     an absolute path, or {@code @name} for Linux's abstract namespace
     * @param watchdogInterval systemd's {@code WatchdogSec=}; zero or negative for no watchdog
     * @throws IllegalArgumentException if {@code notifySocket} is neither
     * @throws IOException              if no Unix datagram socket can be created
     */
    public static SystemdNotifier open(final String notifySocket, final Duration watchdogInterval) throws IOException
    {
        final SocketAddress target;
        if (notifySocket.startsWith("@") && notifySocket.length() > 1)
        {
            target = AFUNIXSocketAddress.inAbstractNamespace(notifySocket.substring(1));
        }
        else if (notifySocket.startsWith("/"))
        {
            target = AFUNIXSocketAddress.of(Path.of(notifySocket));
        }
        else
        {
            throw new IllegalArgumentException("expected an absolute path or @abstract-name, got '" + notifySocket + "'");
        }
        final Duration watchdog = watchdogInterval.isNegative() ? Duration.ZERO : watchdogInterval;
        final AFUNIXDatagramChannel channel = AFUNIXDatagramChannel.open();
        // Never block: a stalled systemd must not stall the daemon's start, heartbeat or shutdown.
        channel.configureBlocking(false);
        return new SystemdNotifier(channel, target, watchdog);
    }

    /** @return true if notifications go anywhere. */
    public boolean enabled()
    {
        return channel != null;
    }

    /** @return systemd's watchdog interval, or zero when the unit has none (or it is for another pid). */
    public Duration watchdogInterval()
    {
        return watchdogInterval;
    }

    /** {@code READY=1} with a status line: the daemon is serving (spool recovered, listeners bound). */
    public void ready(final String status)
    {
        send("READY=1\nSTATUS=" + oneLine(status));
    }

    /** A {@code STATUS=} line, shown by {@code systemctl status}. */
    public void status(final String status)
    {
        send("STATUS=" + oneLine(status));
    }

    /** One {@code WATCHDOG=1} keep-alive; {@link #startHeartbeat} sends these on its own. */
    public void watchdog()
    {
        send("WATCHDOG=1");
    }

    /**
     * Asks systemd for more time in the current start or stop phase, e.g. while a long recovery or the
     * in-flight SMTP transactions finish ({@code EXTEND_TIMEOUT_USEC=}).
     */
    public void extendTimeout(final Duration more)
    {
        send("EXTEND_TIMEOUT_USEC=" + TimeUnit.NANOSECONDS.toMicros(more.toNanos()));
    }

    /**
     * {@code STOPPING=1} with a status line; ends the heartbeat so no later {@code STATUS=} contradicts it.
     * Call it first thing on shutdown.
     */
    public void stopping(final String status)
    {
        synchronized (this)
        {
            stopping = true;
            if (heartbeatTask != null)
            {
                heartbeatTask.cancel(false);
            }
        }
        send("STOPPING=1\nSTATUS=" + oneLine(status));
    }

    /**
     * Sends, every half watchdog interval (or every {@link #STATUS_INTERVAL} without a watchdog), a fresh
     * {@code STATUS=} line and, only while {@code healthy} says so, {@code WATCHDOG=1}. When {@code healthy}
     * is false or throws, the keep-alive is withheld and systemd restarts the daemon once {@code WatchdogSec}
     * passes; the status line says so meanwhile. Both suppliers run on the notifier's own thread and must be
     * cheap (read counters, check that the worker threads are alive). A no-op when disabled; calling it again
     * replaces the previous heartbeat.
     *
     * @param healthy e.g. {@code () -> journalWriter.isAlive() && drainRunner.isAlive()}
     * @param status  e.g. {@code () -> pending + " pending, oldest " + age + " s, draining " + rate + "/s"}
     */
    public synchronized void startHeartbeat(final BooleanSupplier healthy, final Supplier<String> status)
    {
        if (!enabled() || stopping)
        {
            return;
        }
        if (heartbeat == null)
        {
            heartbeat = Executors.newSingleThreadScheduledExecutor(r ->
            {
                final Thread thread = new Thread(r, "sluice-systemd-notify");
                thread.setDaemon(true);
                return thread;
            });
        }
        if (heartbeatTask != null)
        {
            heartbeatTask.cancel(false);
        }
        // Half the interval, as sd_watchdog_enabled(3) advises: one late beat still arrives in time.
        final long periodNs = watchdogInterval.isZero()
            ? STATUS_INTERVAL.toNanos() : Math.max(1, watchdogInterval.toNanos() / 2);
        heartbeatTask = heartbeat.scheduleAtFixedRate(() -> beat(healthy, status), 0, periodNs, TimeUnit.NANOSECONDS);
    }

    private void beat(final BooleanSupplier healthy, final Supplier<String> status)
    {
        final boolean ok = isHealthy(healthy);
        final String line = statusLine(status);
        if (ok != lastBeatHealthy)
        {
            if (ok)
            {
                LOG.info("healthy again: WATCHDOG=1 resumes");
            }
            else
            {
                LOG.warn("unhealthy: withholding WATCHDOG=1{}", watchdogInterval.isZero()
                    ? " (the unit has no WatchdogSec)" : "; systemd restarts the daemon " + watchdogInterval.toMillis()
                    + " ms after the last keep-alive");
            }
            lastBeatHealthy = ok;
        }
        if (ok)
        {
            sendUnlessStopping(watchdogInterval.isZero() ? "STATUS=" + line : "WATCHDOG=1\nSTATUS=" + line);
        }
        else
        {
            sendUnlessStopping("STATUS=UNHEALTHY " + line);
        }
    }

    private static boolean isHealthy(final BooleanSupplier healthy)
    {
        try
        {
            return healthy.getAsBoolean();
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("health check failed", ex);
            return false;
        }
    }

    private static String statusLine(final Supplier<String> status)
    {
        try
        {
            return oneLine(status.get());
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("status line failed", ex);
            return "status unavailable: " + ex;
        }
    }

    /** A beat racing {@link #stopping} must not follow STOPPING=1 with a cheerful STATUS=. */
    private synchronized void sendUnlessStopping(final String message)
    {
        if (!stopping)
        {
            send(message);
        }
    }

    /** Sends one datagram of {@code KEY=value} lines; logs the first failure of a run of failures at WARN. */
    private synchronized void send(final String message)
    {
        if (channel == null)
        {
            return;
        }
        try
        {
            if (channel.send(ByteBuffer.wrap(message.getBytes(StandardCharsets.UTF_8)), target) == 0)
            {
                throw new IOException("systemd's socket buffer is full; notification dropped");
            }
            lastSendFailed = false;
        }
        catch (final IOException | RuntimeException ex)
        {
            if (!lastSendFailed)
            {
                LOG.warn("cannot notify systemd ({}): {}", firstLine(message), ex.toString());
            }
            else
            {
                LOG.debug("cannot notify systemd ({}): {}", firstLine(message), ex.toString());
            }
            lastSendFailed = true;
        }
    }

    /** A value must stay on one line: the protocol separates assignments with newlines. */
    private static String oneLine(final String text)
    {
        return text == null ? "" : text.replace('\n', ' ').replace('\r', ' ');
    }

    private static String firstLine(final String message)
    {
        final int end = message.indexOf('\n');
        return end < 0 ? message : message.substring(0, end);
    }

    /** Ends the heartbeat and closes the socket; idempotent. Sends nothing: call {@link #stopping} before. */
    @Override
    public void close()
    {
        final ScheduledExecutorService executor;
        synchronized (this)
        {
            stopping = true;
            executor = heartbeat;
            heartbeat = null;
        }
        if (executor != null)
        {
            executor.shutdownNow();
            try
            {
                executor.awaitTermination(5, TimeUnit.SECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this)
        {
            if (channel != null)
            {
                try
                {
                    channel.close();
                }
                catch (final IOException ex)
                {
                    LOG.debug("closing the notify socket", ex);
                }
            }
        }
    }
}
