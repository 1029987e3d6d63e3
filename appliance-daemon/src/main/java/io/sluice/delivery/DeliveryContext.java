package io.sluice.delivery;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.sluice.config.InvalidSettingException;
import io.sluice.drain.DrainContext;
import io.sluice.drain.RouteSpec;

/**
 * Delivery's settings: where each drain route's mail goes and how the SMTP client behaves. Each setting has its key
 * and default side by side, a fluent setter, and {@link #conclude(DrainContext)} validates them all against the
 * drain's routes, naming the key of the first bad one.
 *
 * <p>The reply timeouts are RFC 5321 §4.5.3.2's: a client waits at least 5 minutes for the greeting, MAIL and RCPT,
 * 2 minutes for the reply to DATA, 3 minutes for each block of data to be taken and 10 minutes for the reply to the
 * end of data. A timeout is treated as a lost connection.
 */
public final class DeliveryContext
{
    /** {@code delivery.route.<name>.target}: {@code smtp://host:port} or {@code dir:PATH}, one for every drain route. */
    public static final String ROUTE_PREFIX = "delivery.route.";
    public static final String TARGET_SUFFIX = ".target";
    /** {@code delivery.route.<name>.maxConnections}: the route's connection limit (dir: parallel writers). */
    public static final String MAX_CONNECTIONS_SUFFIX = ".maxConnections";

    /** The connection limit of a route that sets none of its own. */
    public static final String MAX_CONNECTIONS = "delivery.maxConnections";
    public static final int DEFAULT_MAX_CONNECTIONS = 10;

    /** The name this client gives in EHLO/HELO; empty for the listener's {@code smtp.hostname}. */
    public static final String HELO_NAME = "delivery.heloName";
    public static final String DEFAULT_HELO_NAME = "";

    /** TCP connect. Not in RFC 5321; Postfix uses 30 s. A connect timeout counts as a refused connection. */
    public static final String CONNECT_TIMEOUT_MS = "delivery.timeout.connectMs";
    public static final long DEFAULT_CONNECT_TIMEOUT_MS = TimeUnit.SECONDS.toMillis(30);

    /** RFC 5321 §4.5.3.2.1: initial 220 message, 5 minutes. */
    public static final String GREETING_TIMEOUT_MS = "delivery.timeout.greetingMs";
    public static final long DEFAULT_GREETING_TIMEOUT_MS = TimeUnit.MINUTES.toMillis(5);

    /** EHLO, HELO, RSET and QUIT replies (RFC 5321 gives none; the MAIL value). */
    public static final String COMMAND_TIMEOUT_MS = "delivery.timeout.commandMs";
    public static final long DEFAULT_COMMAND_TIMEOUT_MS = TimeUnit.MINUTES.toMillis(5);

    /** RFC 5321 §4.5.3.2.2: MAIL command, 5 minutes. */
    public static final String MAIL_TIMEOUT_MS = "delivery.timeout.mailMs";
    public static final long DEFAULT_MAIL_TIMEOUT_MS = TimeUnit.MINUTES.toMillis(5);

    /** RFC 5321 §4.5.3.2.3: RCPT command, 5 minutes. */
    public static final String RCPT_TIMEOUT_MS = "delivery.timeout.rcptMs";
    public static final long DEFAULT_RCPT_TIMEOUT_MS = TimeUnit.MINUTES.toMillis(5);

    /** RFC 5321 §4.5.3.2.4: DATA initiation (the 354), 2 minutes. */
    public static final String DATA_INIT_TIMEOUT_MS = "delivery.timeout.dataInitMs";
    public static final long DEFAULT_DATA_INIT_TIMEOUT_MS = TimeUnit.MINUTES.toMillis(2);

    /** RFC 5321 §4.5.3.2.5: each data block (here a 64 KiB write) taken by the server, 3 minutes. */
    public static final String DATA_BLOCK_TIMEOUT_MS = "delivery.timeout.dataBlockMs";
    public static final long DEFAULT_DATA_BLOCK_TIMEOUT_MS = TimeUnit.MINUTES.toMillis(3);

    /** RFC 5321 §4.5.3.2.6: the reply to the end of data, 10 minutes. */
    public static final String DATA_END_TIMEOUT_MS = "delivery.timeout.dataEndMs";
    public static final long DEFAULT_DATA_END_TIMEOUT_MS = TimeUnit.MINUTES.toMillis(10);

    /**
     * A whole dispatch, connect to last reply. Must be shorter than {@code drain.inFlightTimeoutMs}: the drain assumes a
     * dispatch lost after that and schedules it again, so a slower transaction could be sent twice. Past this limit the
     * connection is closed and its recipients deferred as if it were lost.
     */
    public static final String DISPATCH_TIMEOUT_MS = "delivery.timeout.dispatchMs";
    public static final long DEFAULT_DISPATCH_TIMEOUT_MS = TimeUnit.MINUTES.toMillis(45);

    /** An idle pooled connection is closed with QUIT after this long. */
    public static final String CONNECTION_IDLE_MS = "delivery.connectionIdleMs";
    public static final long DEFAULT_CONNECTION_IDLE_MS = TimeUnit.SECONDS.toMillis(10);

    /** Transactions over one connection before it is closed with QUIT and a fresh one opened. */
    public static final String MAX_MESSAGES_PER_CONNECTION = "delivery.maxMessagesPerConnection";
    public static final int DEFAULT_MAX_MESSAGES_PER_CONNECTION = 100;

    /**
     * After a route refuses a connection, no new connection is tried for this long; then one probe at a time until a
     * connection succeeds. Meanwhile the route has no capacity, so its mail stays ready in the drain rather than being
     * deferred message by message.
     */
    public static final String RECONNECT_DELAY_MS = "delivery.reconnectDelayMs";
    public static final long DEFAULT_RECONNECT_DELAY_MS = TimeUnit.SECONDS.toMillis(5);

    /** Netty event loop threads for every SMTP route's connections. */
    public static final String EVENT_LOOP_THREADS = "delivery.eventLoopThreads";
    public static final int DEFAULT_EVENT_LOOP_THREADS = 2;

    /** Threads that read message content from the spool, resolve host names and write dir: files. */
    public static final String IO_THREADS = "delivery.ioThreads";
    public static final int DEFAULT_IO_THREADS = 2;

    /**
     * Message bytes all deliveries in progress may hold in memory together (each reads its whole message); above it no
     * route takes a new dispatch until one finishes. One message is always allowed, whatever its size.
     */
    public static final String MAX_BYTES_IN_FLIGHT = "delivery.maxBytesInFlight";
    public static final long DEFAULT_MAX_BYTES_IN_FLIGHT = 256L << 20;

    /** On stop, how long transactions in flight may take to finish before their connections are closed. */
    public static final String SHUTDOWN_GRACE_MS = "delivery.shutdownGraceMs";
    public static final long DEFAULT_SHUTDOWN_GRACE_MS = TimeUnit.SECONDS.toMillis(10);

    /** The most connections one route may have. */
    public static final int MAX_CONNECTIONS_LIMIT = 10_000;
    private static final int MAX_THREADS = 256;

    /**
     * One route's delivery: its name (a drain route), target, connection limit and, for an {@code smtp://} route, its
     * TLS and AUTH settings.
     */
    public record Route(String name, RouteTarget target, int maxConnections, RouteSecurity security)
    {
        /** A route in clear text without AUTH. */
        public Route(final String name, final RouteTarget target, final int maxConnections)
        {
            this(name, target, maxConnections, RouteSecurity.NONE);
        }
    }

    private final Map<String, RouteTarget> targets = new LinkedHashMap<>();
    private final Map<String, Integer> routeConnections = new LinkedHashMap<>();
    private final Map<String, RouteSecurity> routeSecurity = new LinkedHashMap<>();
    private int maxConnections = DEFAULT_MAX_CONNECTIONS;
    private String heloName = DEFAULT_HELO_NAME;
    private long connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS;
    private long greetingTimeoutMs = DEFAULT_GREETING_TIMEOUT_MS;
    private long commandTimeoutMs = DEFAULT_COMMAND_TIMEOUT_MS;
    private long mailTimeoutMs = DEFAULT_MAIL_TIMEOUT_MS;
    private long rcptTimeoutMs = DEFAULT_RCPT_TIMEOUT_MS;
    private long dataInitTimeoutMs = DEFAULT_DATA_INIT_TIMEOUT_MS;
    private long dataBlockTimeoutMs = DEFAULT_DATA_BLOCK_TIMEOUT_MS;
    private long dataEndTimeoutMs = DEFAULT_DATA_END_TIMEOUT_MS;
    private long dispatchTimeoutMs = DEFAULT_DISPATCH_TIMEOUT_MS;
    private long connectionIdleMs = DEFAULT_CONNECTION_IDLE_MS;
    private int maxMessagesPerConnection = DEFAULT_MAX_MESSAGES_PER_CONNECTION;
    private long reconnectDelayMs = DEFAULT_RECONNECT_DELAY_MS;
    private int eventLoopThreads = DEFAULT_EVENT_LOOP_THREADS;
    private int ioThreads = DEFAULT_IO_THREADS;
    private long shutdownGraceMs = DEFAULT_SHUTDOWN_GRACE_MS;
    private long maxBytesInFlight = DEFAULT_MAX_BYTES_IN_FLIGHT;
    private Clock clock = Clock.systemUTC();

    private List<Route> routes;
    private boolean concluded;

    /** @return the key of a route's target setting. */
    public static String targetKey(final String route)
    {
        return ROUTE_PREFIX + route + TARGET_SUFFIX;
    }

    /** @return the key of a route's connection limit. */
    public static String maxConnectionsKey(final String route)
    {
        return ROUTE_PREFIX + route + MAX_CONNECTIONS_SUFFIX;
    }

    /**
     * Validates every setting and checks that each of the drain's routes, and no other, has a target.
     *
     * @param drain the drain's settings; concluded here if they are not yet.
     * @return this, frozen.
     * @throws InvalidSettingException naming the first setting that cannot work, its value and what is expected.
     */
    public DeliveryContext conclude(final DrainContext drain)
    {
        if (concluded)
        {
            return this;
        }
        drain.conclude();
        final List<String> drainRoutes = new ArrayList<>();
        for (final RouteSpec spec : drain.routeSpecs())
        {
            drainRoutes.add(spec.name());
        }
        for (final String name : targets.keySet())
        {
            if (!drainRoutes.contains(name))
            {
                throw new InvalidSettingException(targetKey(name), targets.get(name),
                    "expected a route listed in " + DrainContext.ROUTES + " " + drainRoutes);
            }
        }
        for (final String name : routeConnections.keySet())
        {
            if (!drainRoutes.contains(name))
            {
                throw new InvalidSettingException(maxConnectionsKey(name), routeConnections.get(name),
                    "expected a route listed in " + DrainContext.ROUTES + " " + drainRoutes);
            }
            requireRange(maxConnectionsKey(name), routeConnections.get(name), 1, MAX_CONNECTIONS_LIMIT);
        }
        requireRange(MAX_CONNECTIONS, maxConnections, 1, MAX_CONNECTIONS_LIMIT);
        for (final String name : routeSecurity.keySet())
        {
            if (!drainRoutes.contains(name))
            {
                throw new InvalidSettingException(ROUTE_PREFIX + name + RouteSecurity.TLS_SUFFIX, routeSecurity.get(name).tls(),
                    "expected a route listed in " + DrainContext.ROUTES + " " + drainRoutes);
            }
        }
        final List<Route> concludedRoutes = new ArrayList<>();
        for (final String name : drainRoutes)
        {
            final RouteTarget target = targets.get(name);
            if (target == null)
            {
                throw new InvalidSettingException(targetKey(name), "",
                    "expected smtp://host:port or dir:PATH for route " + name + " (listed in " + DrainContext.ROUTES + ")");
            }
            final RouteSecurity security = routeSecurity.containsKey(name)
                ? routeSecurity.get(name).conclude(ROUTE_PREFIX + name, target) : RouteSecurity.NONE;
            concludedRoutes.add(new Route(name, target, routeConnections.getOrDefault(name, maxConnections), security));
        }
        if (heloName == null || heloName.chars().anyMatch(c -> c <= ' ' || c >= 127))
        {
            throw new InvalidSettingException(HELO_NAME, heloName, "expected a host name without spaces, or empty");
        }
        requirePositive(CONNECT_TIMEOUT_MS, connectTimeoutMs);
        requirePositive(GREETING_TIMEOUT_MS, greetingTimeoutMs);
        requirePositive(COMMAND_TIMEOUT_MS, commandTimeoutMs);
        requirePositive(MAIL_TIMEOUT_MS, mailTimeoutMs);
        requirePositive(RCPT_TIMEOUT_MS, rcptTimeoutMs);
        requirePositive(DATA_INIT_TIMEOUT_MS, dataInitTimeoutMs);
        requirePositive(DATA_BLOCK_TIMEOUT_MS, dataBlockTimeoutMs);
        requirePositive(DATA_END_TIMEOUT_MS, dataEndTimeoutMs);
        requirePositive(DISPATCH_TIMEOUT_MS, dispatchTimeoutMs);
        if (connectTimeoutMs > Integer.MAX_VALUE)
        {
            throw new InvalidSettingException(CONNECT_TIMEOUT_MS, connectTimeoutMs, "expected at most " + Integer.MAX_VALUE);
        }
        if (dispatchTimeoutMs >= drain.inFlightTimeoutMs())
        {
            throw new InvalidSettingException(DISPATCH_TIMEOUT_MS, dispatchTimeoutMs, "expected less than "
                + DrainContext.IN_FLIGHT_TIMEOUT_MS + " (" + drain.inFlightTimeoutMs()
                + "), so the drain never sends a message again while it is still being delivered");
        }
        requirePositive(CONNECTION_IDLE_MS, connectionIdleMs);
        requireRange(MAX_MESSAGES_PER_CONNECTION, maxMessagesPerConnection, 1, 1_000_000);
        requireRange(RECONNECT_DELAY_MS, reconnectDelayMs, 0, TimeUnit.HOURS.toMillis(1));
        requireRange(EVENT_LOOP_THREADS, eventLoopThreads, 1, MAX_THREADS);
        requireRange(IO_THREADS, ioThreads, 1, MAX_THREADS);
        requireRange(SHUTDOWN_GRACE_MS, shutdownGraceMs, 0, TimeUnit.MINUTES.toMillis(10));
        requireRange(MAX_BYTES_IN_FLIGHT, maxBytesInFlight, 1, Long.MAX_VALUE);
        if (clock == null)
        {
            throw new InvalidSettingException("clock", null, "expected a clock");
        }
        routes = Collections.unmodifiableList(concludedRoutes);
        concluded = true;
        return this;
    }

    private static void requirePositive(final String key, final long value)
    {
        if (value <= 0)
        {
            throw new InvalidSettingException(key, value, "expected a positive number of milliseconds");
        }
    }

    private static void requireRange(final String key, final long value, final long min, final long max)
    {
        if (value < min || value > max)
        {
            throw new InvalidSettingException(key, value, "expected a whole number from " + min + " to " + max);
        }
    }

    private void checkMutable()
    {
        if (concluded)
        {
            throw new IllegalStateException("DeliveryContext is concluded and can no longer change");
        }
    }

    public boolean isConcluded()
    {
        return concluded;
    }

    /** @return every drain route with its target and connection limit, in the drain's order; after conclude. */
    public List<Route> routes()
    {
        if (!concluded)
        {
            throw new IllegalStateException("DeliveryContext is not concluded yet");
        }
        return routes;
    }

    /** Sets a route's target, parsed from {@code text} ({@code smtp://host:port} or {@code dir:PATH}). */
    public DeliveryContext target(final String route, final String text)
    {
        return target(route, RouteTarget.parse(targetKey(route), text));
    }

    public DeliveryContext target(final String route, final RouteTarget target)
    {
        checkMutable();
        targets.put(route, target);
        return this;
    }

    /**
     * @return the TLS and AUTH settings of a route, to be set fluently (created on first use); concluded with this
     *         context.
     */
    public RouteSecurity routeSecurity(final String route)
    {
        checkMutable();
        return routeSecurity.computeIfAbsent(route, r -> new RouteSecurity());
    }

    public DeliveryContext routeMaxConnections(final String route, final int maxConnections)
    {
        checkMutable();
        routeConnections.put(route, maxConnections);
        return this;
    }

    public DeliveryContext maxConnections(final int maxConnections)
    {
        checkMutable();
        this.maxConnections = maxConnections;
        return this;
    }

    public int maxConnections()
    {
        return maxConnections;
    }

    public DeliveryContext heloName(final String heloName)
    {
        checkMutable();
        this.heloName = heloName;
        return this;
    }

    public String heloName()
    {
        return heloName;
    }

    public DeliveryContext connectTimeoutMs(final long connectTimeoutMs)
    {
        checkMutable();
        this.connectTimeoutMs = connectTimeoutMs;
        return this;
    }

    public long connectTimeoutMs()
    {
        return connectTimeoutMs;
    }

    public DeliveryContext greetingTimeoutMs(final long greetingTimeoutMs)
    {
        checkMutable();
        this.greetingTimeoutMs = greetingTimeoutMs;
        return this;
    }

    public long greetingTimeoutMs()
    {
        return greetingTimeoutMs;
    }

    public DeliveryContext commandTimeoutMs(final long commandTimeoutMs)
    {
        checkMutable();
        this.commandTimeoutMs = commandTimeoutMs;
        return this;
    }

    public long commandTimeoutMs()
    {
        return commandTimeoutMs;
    }

    public DeliveryContext mailTimeoutMs(final long mailTimeoutMs)
    {
        checkMutable();
        this.mailTimeoutMs = mailTimeoutMs;
        return this;
    }

    public long mailTimeoutMs()
    {
        return mailTimeoutMs;
    }

    public DeliveryContext rcptTimeoutMs(final long rcptTimeoutMs)
    {
        checkMutable();
        this.rcptTimeoutMs = rcptTimeoutMs;
        return this;
    }

    public long rcptTimeoutMs()
    {
        return rcptTimeoutMs;
    }

    public DeliveryContext dataInitTimeoutMs(final long dataInitTimeoutMs)
    {
        checkMutable();
        this.dataInitTimeoutMs = dataInitTimeoutMs;
        return this;
    }

    public long dataInitTimeoutMs()
    {
        return dataInitTimeoutMs;
    }

    public DeliveryContext dataBlockTimeoutMs(final long dataBlockTimeoutMs)
    {
        checkMutable();
        this.dataBlockTimeoutMs = dataBlockTimeoutMs;
        return this;
    }

    public long dataBlockTimeoutMs()
    {
        return dataBlockTimeoutMs;
    }

    public DeliveryContext dataEndTimeoutMs(final long dataEndTimeoutMs)
    {
        checkMutable();
        this.dataEndTimeoutMs = dataEndTimeoutMs;
        return this;
    }

    public long dataEndTimeoutMs()
    {
        return dataEndTimeoutMs;
    }

    public DeliveryContext dispatchTimeoutMs(final long dispatchTimeoutMs)
    {
        checkMutable();
        this.dispatchTimeoutMs = dispatchTimeoutMs;
        return this;
    }

    public long dispatchTimeoutMs()
    {
        return dispatchTimeoutMs;
    }

    public DeliveryContext connectionIdleMs(final long connectionIdleMs)
    {
        checkMutable();
        this.connectionIdleMs = connectionIdleMs;
        return this;
    }

    public long connectionIdleMs()
    {
        return connectionIdleMs;
    }

    public DeliveryContext maxMessagesPerConnection(final int maxMessagesPerConnection)
    {
        checkMutable();
        this.maxMessagesPerConnection = maxMessagesPerConnection;
        return this;
    }

    public int maxMessagesPerConnection()
    {
        return maxMessagesPerConnection;
    }

    public DeliveryContext reconnectDelayMs(final long reconnectDelayMs)
    {
        checkMutable();
        this.reconnectDelayMs = reconnectDelayMs;
        return this;
    }

    public long reconnectDelayMs()
    {
        return reconnectDelayMs;
    }

    public DeliveryContext eventLoopThreads(final int eventLoopThreads)
    {
        checkMutable();
        this.eventLoopThreads = eventLoopThreads;
        return this;
    }

    public int eventLoopThreads()
    {
        return eventLoopThreads;
    }

    public DeliveryContext ioThreads(final int ioThreads)
    {
        checkMutable();
        this.ioThreads = ioThreads;
        return this;
    }

    public int ioThreads()
    {
        return ioThreads;
    }

    public DeliveryContext shutdownGraceMs(final long shutdownGraceMs)
    {
        checkMutable();
        this.shutdownGraceMs = shutdownGraceMs;
        return this;
    }

    public long shutdownGraceMs()
    {
        return shutdownGraceMs;
    }

    public DeliveryContext maxBytesInFlight(final long maxBytesInFlight)
    {
        checkMutable();
        this.maxBytesInFlight = maxBytesInFlight;
        return this;
    }

    public long maxBytesInFlight()
    {
        return maxBytesInFlight;
    }

    /** The clock for the reconnect delay; tests inject the same one as the drain's. */
    public DeliveryContext clock(final Clock clock)
    {
        checkMutable();
        this.clock = clock;
        return this;
    }

    public Clock clock()
    {
        return clock;
    }
}
