package io.sluice.delivery;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.sluice.config.Concludable;
import io.sluice.config.InvalidSettingException;
import io.sluice.config.Setting;
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
public final class DeliveryContext extends Concludable
{
    public static final int MAX_CONNECTIONS_LIMIT = 10_000;
    private static final int MAX_THREADS = 256;

    /** {@code delivery.route.<name>.target}: {@code smtp://host:port} or {@code dir:PATH}, one for every drain route. */
    public static final String ROUTE_PREFIX = "delivery.route.";
    public static final String TARGET_SUFFIX = ".target";
    /** {@code delivery.route.<name>.maxConnections}: the route's connection limit (dir: parallel writers). */
    public static final String MAX_CONNECTIONS_SUFFIX = ".maxConnections";

    /** The connection limit of a route that sets none of its own. */
    public static final Setting<Integer> MAX_CONNECTIONS = Setting.ofInt("delivery.maxConnections", 10)
        .range(1, MAX_CONNECTIONS_LIMIT)
        .doc("The connection limit of a route that sets no `delivery.route.<route>.maxConnections` (for "
            + "`dir:`, parallel writers).")
        .build();

    /** The name this client gives in EHLO/HELO; empty for the listener's {@code smtp.hostname}. */
    public static final Setting<String> HELO_NAME = Setting.ofString("delivery.heloName", "")
        .check(name -> name.chars().noneMatch(c -> c <= ' ' || c >= 127), "a host name without spaces, or empty")
        .derivedFrom("`smtp.hostname`")
        .doc("The name given in EHLO/HELO (empty = `smtp.hostname`).")
        .build();

    /** TCP connect. Not in RFC 5321; Postfix uses 30 s. A connect timeout counts as a refused connection. */
    public static final Setting<Long> CONNECT_TIMEOUT_MS =
        Setting.ofLong("delivery.timeout.connectMs", TimeUnit.SECONDS.toMillis(30))
        .check(ms -> ms > 0, "a positive number of milliseconds")
        .doc("Connecting, 30 s. Each timeout ends the connection: the transaction's recipients are deferred "
            + "as a lost connection.")
        .build();

    /** RFC 5321 §4.5.3.2.1: initial 220 message, 5 minutes. */
    public static final Setting<Long> GREETING_TIMEOUT_MS =
        Setting.ofLong("delivery.timeout.greetingMs", TimeUnit.MINUTES.toMillis(5))
        .check(ms -> ms > 0, "a positive number of milliseconds")
        .doc("RFC 5321 §4.5.3.2.1: initial 220 message, 5 minutes.")
        .build();

    /** EHLO, HELO, RSET and QUIT replies (RFC 5321 gives none; the MAIL value). */
    public static final Setting<Long> COMMAND_TIMEOUT_MS =
        Setting.ofLong("delivery.timeout.commandMs", TimeUnit.MINUTES.toMillis(5))
        .check(ms -> ms > 0, "a positive number of milliseconds")
        .doc("EHLO, HELO, RSET and QUIT replies (RFC 5321 gives none; the MAIL value).")
        .build();

    /** RFC 5321 §4.5.3.2.2: MAIL command, 5 minutes. */
    public static final Setting<Long> MAIL_TIMEOUT_MS = Setting.ofLong("delivery.timeout.mailMs", TimeUnit.MINUTES.toMillis(5))
        .check(ms -> ms > 0, "a positive number of milliseconds")
        .doc("RFC 5321 §4.5.3.2.2: MAIL command, 5 minutes.")
        .build();

    /** RFC 5321 §4.5.3.2.3: RCPT command, 5 minutes. */
    public static final Setting<Long> RCPT_TIMEOUT_MS = Setting.ofLong("delivery.timeout.rcptMs", TimeUnit.MINUTES.toMillis(5))
        .check(ms -> ms > 0, "a positive number of milliseconds")
        .doc("RFC 5321 §4.5.3.2.3: RCPT command, 5 minutes.")
        .build();

    /** RFC 5321 §4.5.3.2.4: DATA initiation (the 354), 2 minutes. */
    public static final Setting<Long> DATA_INIT_TIMEOUT_MS =
        Setting.ofLong("delivery.timeout.dataInitMs", TimeUnit.MINUTES.toMillis(2))
        .check(ms -> ms > 0, "a positive number of milliseconds")
        .doc("RFC 5321 §4.5.3.2.4: DATA initiation (the 354), 2 minutes.")
        .build();

    /** RFC 5321 §4.5.3.2.5: each data block (here a 64 KiB write) taken by the server, 3 minutes. */
    public static final Setting<Long> DATA_BLOCK_TIMEOUT_MS =
        Setting.ofLong("delivery.timeout.dataBlockMs", TimeUnit.MINUTES.toMillis(3))
        .check(ms -> ms > 0, "a positive number of milliseconds")
        .doc("RFC 5321 §4.5.3.2.5: each data block (here a 64 KiB write) taken by the server, 3 minutes.")
        .build();

    /** RFC 5321 §4.5.3.2.6: the reply to the end of data, 10 minutes. */
    public static final Setting<Long> DATA_END_TIMEOUT_MS =
        Setting.ofLong("delivery.timeout.dataEndMs", TimeUnit.MINUTES.toMillis(10))
        .check(ms -> ms > 0, "a positive number of milliseconds")
        .doc("RFC 5321 §4.5.3.2.6: the reply to the end of data, 10 minutes.")
        .build();

    /**
     * A whole dispatch, connect to last reply. Must be shorter than {@code drain.inFlightTimeoutMs}: the drain assumes a
     * dispatch lost after that and schedules it again, so a slower transaction could be sent twice. Past this limit the
     * connection is closed and its recipients deferred as if it were lost.
     */
    public static final Setting<Long> DISPATCH_TIMEOUT_MS =
        Setting.ofLong("delivery.timeout.dispatchMs", TimeUnit.MINUTES.toMillis(45))
        .check(ms -> ms > 0, "a positive number of milliseconds")
        .checkedWith("less than `drain.inFlightTimeoutMs`")
        .doc("A whole dispatch, connect to last reply; must stay under drain.inFlightTimeoutMs.")
        .build();

    /** An idle pooled connection is closed with QUIT after this long. */
    public static final Setting<Long> CONNECTION_IDLE_MS =
        Setting.ofLong("delivery.connectionIdleMs", TimeUnit.SECONDS.toMillis(10))
        .check(ms -> ms > 0, "a positive number of milliseconds")
        .doc("An idle pooled connection says QUIT after this long.")
        .build();

    /** Transactions over one connection before it is closed with QUIT and a fresh one opened. */
    public static final Setting<Integer> MAX_MESSAGES_PER_CONNECTION = Setting.ofInt("delivery.maxMessagesPerConnection", 100)
        .range(1, 1_000_000)
        .doc("Transactions over one connection before it is closed with QUIT and a fresh one opened.")
        .build();

    /**
     * After a route refuses a connection, no new connection is tried for this long; then one probe at a time until a
     * connection succeeds. Meanwhile the route has no capacity, so its mail stays ready in the drain rather than being
     * deferred message by message.
     */
    public static final Setting<Long> RECONNECT_DELAY_MS =
        Setting.ofLong("delivery.reconnectDelayMs", TimeUnit.SECONDS.toMillis(5))
        .range(0, TimeUnit.HOURS.toMillis(1))
        .doc("After a refused connection the route waits this long, then probes with one connection at a "
            + "time.")
        .build();

    /** Netty event loop threads for every SMTP route's connections. */
    public static final Setting<Integer> EVENT_LOOP_THREADS = Setting.ofInt("delivery.eventLoopThreads", 2)
        .range(1, MAX_THREADS)
        .doc("SMTP client event loop threads.")
        .build();

    /** Threads that read message content from the spool, resolve host names and write dir: files. */
    public static final Setting<Integer> IO_THREADS = Setting.ofInt("delivery.ioThreads", 2)
        .range(1, MAX_THREADS)
        .doc("Threads that read message content from the spool, resolve host names and write dir: files.")
        .build();

    /**
     * Message bytes all deliveries in progress may hold in memory together (each reads its whole message); above it no
     * route takes a new dispatch until one finishes. One message is always allowed, whatever its size.
     */
    public static final Setting<Long> MAX_BYTES_IN_FLIGHT = Setting.ofLong("delivery.maxBytesInFlight", 256L << 20)
        .atLeast(1)
        .unit(Setting.Unit.BYTES)
        .doc("Message bytes all deliveries in progress may hold in memory (each reads its whole message from "
            + "the spool); above it no new delivery starts until one ends. One message is always allowed, "
            + "whatever its size.")
        .build();

    /** On stop, how long transactions in flight may take to finish before their connections are closed. */
    public static final Setting<Long> SHUTDOWN_GRACE_MS =
        Setting.ofLong("delivery.shutdownGraceMs", TimeUnit.SECONDS.toMillis(10))
        .range(0, TimeUnit.MINUTES.toMillis(10))
        .doc("On stop, how long transactions in progress may take to finish before they are cut off (and "
            + "deferred).")
        .build();

    /** The most connections one route may have. */

    /** Every declaration above (the per-route keys aside), in the order the configuration reference lists them. */
    public static final List<Setting<?>> SETTINGS = List.of(MAX_CONNECTIONS, HELO_NAME, CONNECT_TIMEOUT_MS,
        GREETING_TIMEOUT_MS, COMMAND_TIMEOUT_MS, MAIL_TIMEOUT_MS, RCPT_TIMEOUT_MS, DATA_INIT_TIMEOUT_MS, DATA_BLOCK_TIMEOUT_MS,
        DATA_END_TIMEOUT_MS, DISPATCH_TIMEOUT_MS, CONNECTION_IDLE_MS, MAX_MESSAGES_PER_CONNECTION, RECONNECT_DELAY_MS,
        EVENT_LOOP_THREADS, IO_THREADS, MAX_BYTES_IN_FLIGHT, SHUTDOWN_GRACE_MS);

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
    private int maxConnections = MAX_CONNECTIONS.defaultValue();
    private String heloName = HELO_NAME.defaultValue();
    private long connectTimeoutMs = CONNECT_TIMEOUT_MS.defaultValue();
    private long greetingTimeoutMs = GREETING_TIMEOUT_MS.defaultValue();
    private long commandTimeoutMs = COMMAND_TIMEOUT_MS.defaultValue();
    private long mailTimeoutMs = MAIL_TIMEOUT_MS.defaultValue();
    private long rcptTimeoutMs = RCPT_TIMEOUT_MS.defaultValue();
    private long dataInitTimeoutMs = DATA_INIT_TIMEOUT_MS.defaultValue();
    private long dataBlockTimeoutMs = DATA_BLOCK_TIMEOUT_MS.defaultValue();
    private long dataEndTimeoutMs = DATA_END_TIMEOUT_MS.defaultValue();
    private long dispatchTimeoutMs = DISPATCH_TIMEOUT_MS.defaultValue();
    private long connectionIdleMs = CONNECTION_IDLE_MS.defaultValue();
    private int maxMessagesPerConnection = MAX_MESSAGES_PER_CONNECTION.defaultValue();
    private long reconnectDelayMs = RECONNECT_DELAY_MS.defaultValue();
    private int eventLoopThreads = EVENT_LOOP_THREADS.defaultValue();
    private int ioThreads = IO_THREADS.defaultValue();
    private long shutdownGraceMs = SHUTDOWN_GRACE_MS.defaultValue();
    private long maxBytesInFlight = MAX_BYTES_IN_FLIGHT.defaultValue();
    private Clock clock = Clock.systemUTC();

    private List<Route> routes;

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
        if (isConcluded())
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
            final int limit = routeConnections.get(name);
            if (limit < 1 || limit > MAX_CONNECTIONS_LIMIT)
            {
                throw new InvalidSettingException(maxConnectionsKey(name), limit,
                    "expected a whole number from 1 to " + MAX_CONNECTIONS_LIMIT);
            }
        }
        MAX_CONNECTIONS.validate(maxConnections);
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
        HELO_NAME.validate(heloName);
        CONNECT_TIMEOUT_MS.validate(connectTimeoutMs);
        GREETING_TIMEOUT_MS.validate(greetingTimeoutMs);
        COMMAND_TIMEOUT_MS.validate(commandTimeoutMs);
        MAIL_TIMEOUT_MS.validate(mailTimeoutMs);
        RCPT_TIMEOUT_MS.validate(rcptTimeoutMs);
        DATA_INIT_TIMEOUT_MS.validate(dataInitTimeoutMs);
        DATA_BLOCK_TIMEOUT_MS.validate(dataBlockTimeoutMs);
        DATA_END_TIMEOUT_MS.validate(dataEndTimeoutMs);
        DISPATCH_TIMEOUT_MS.validate(dispatchTimeoutMs);
        if (connectTimeoutMs > Integer.MAX_VALUE)
        {
            throw CONNECT_TIMEOUT_MS.invalid(connectTimeoutMs, "at most " + Integer.MAX_VALUE);
        }
        if (dispatchTimeoutMs >= drain.inFlightTimeoutMs())
        {
            throw DISPATCH_TIMEOUT_MS.invalid(dispatchTimeoutMs, "less than "
                + DrainContext.IN_FLIGHT_TIMEOUT_MS + " (" + drain.inFlightTimeoutMs()
                + "), so the drain never sends a message again while it is still being delivered");
        }
        CONNECTION_IDLE_MS.validate(connectionIdleMs);
        MAX_MESSAGES_PER_CONNECTION.validate(maxMessagesPerConnection);
        RECONNECT_DELAY_MS.validate(reconnectDelayMs);
        EVENT_LOOP_THREADS.validate(eventLoopThreads);
        IO_THREADS.validate(ioThreads);
        SHUTDOWN_GRACE_MS.validate(shutdownGraceMs);
        MAX_BYTES_IN_FLIGHT.validate(maxBytesInFlight);
        if (clock == null)
        {
            throw new InvalidSettingException("clock", null, "expected a clock");
        }
        routes = Collections.unmodifiableList(concludedRoutes);
        markConcluded();
        return this;
    }

    /** @return every drain route with its target and connection limit, in the drain's order; after conclude. */
    public List<Route> routes()
    {
        checkConcluded();
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
