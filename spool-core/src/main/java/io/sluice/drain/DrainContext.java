package io.sluice.drain;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

import io.sluice.config.InvalidSettingException;
import io.sluice.net.SourceNetworks;
import org.agrona.concurrent.IdleStrategy;

/**
 * The drain's settings: each has its configuration key and default side by side, a fluent setter, and one
 * {@link #conclude()} that validates them all and names the key of the first bad one.
 *
 * <p>List-valued settings are written as in the configuration file, comma-separated {@code name:value}
 * entries, e.g. {@code drain.routes=default:200:20,notifications:20:5}; {@link #conclude()} parses them into
 * {@link RouteSpec}s, {@link LaneSpec}s and a {@link RouteTable}. Names (routes, lanes, tenants) may not contain
 * {@code , : /} or whitespace.
 */
public final class DrainContext
{
    /**
     * Every upstream route as {@code name:ratePerSec:burst}. The rate is what the provider tolerates
     * (exceed it and the whole shared account is suspended); burst is how many may leave back to back.
     */
    public static final String ROUTES = "drain.routes";
    public static final String DEFAULT_ROUTES = "default:200:20,notifications:20:5";

    /** The route for every tenant and lane no other mapping names. */
    public static final String DEFAULT_ROUTE = "drain.defaultRoute";
    public static final String DEFAULT_DEFAULT_ROUTE = "default";

    /** {@code lane:route}: the appliance's own notifications never share fate with customer mail. */
    public static final String LANE_ROUTES = "drain.laneRoutes";
    public static final String DEFAULT_LANE_ROUTES = "notifications:notifications";

    /** {@code tenant:route} or {@code tenant/lane:route}: tenants that bring their own SMTP relay. */
    public static final String TENANT_ROUTES = "drain.tenantRoutes";
    public static final String DEFAULT_TENANT_ROUTES = "";

    /**
     * The lanes in service order, each {@code name:strict} or {@code name:weight}. Strict lanes go first, in the
     * order listed; weighted lanes share what is left in proportion to their weights, in the order listed within
     * each round, so the last lane ({@code suspect}) is served last and least. A strict lane can starve every
     * other lane on its route, so keep strict lanes for low-volume system mail, ideally on a route of their own.
     */
    public static final String LANES = "drain.lanes";
    public static final String DEFAULT_LANES = "notifications:strict,mail:16,bounces:4,suspect:1";

    /** The lane that mail on a lane not listed in {@link #LANES} is scheduled in. */
    public static final String DEFAULT_LANE = "drain.defaultLane";
    public static final String DEFAULT_DEFAULT_LANE = "mail";

    /**
     * {@code lane:ratePerSec}: a lane's own egress limit across all routes. Bounces get one so a burst of
     * DSNs can never take the route's whole rate (backscatter can double a gateway's load).
     */
    public static final String LANE_RATES = "drain.laneRates";
    public static final String DEFAULT_LANE_RATES = "bounces:10,suspect:1";

    /** Every tenant's egress limit in messages per second, across routes and lanes; 0 for none. */
    public static final String TENANT_RATE_PER_SEC = "drain.tenantRatePerSec";
    public static final double DEFAULT_TENANT_RATE_PER_SEC = 0;

    /** {@code tenant:ratePerSec} overrides of {@link #TENANT_RATE_PER_SEC}; 0 for none. */
    public static final String TENANT_RATES = "drain.tenantRates";
    public static final String DEFAULT_TENANT_RATES = "";

    /** Capacity of each tenant's egress bucket. */
    public static final String TENANT_BURST = "drain.tenantBurst";
    public static final int DEFAULT_TENANT_BURST = 10;

    /** Each tenant's weight within a lane: messages per round-robin turn. */
    public static final String TENANT_WEIGHT = "drain.tenantWeight";
    public static final int DEFAULT_TENANT_WEIGHT = 1;

    /** {@code tenant:weight} overrides of {@link #TENANT_WEIGHT}. */
    public static final String TENANT_WEIGHTS = "drain.tenantWeights";
    public static final String DEFAULT_TENANT_WEIGHTS = "";

    /**
     * Sources are grouped by network before they are served, so 2,000 flooding addresses in a few /24s share
     * those networks' turns instead of outnumbering 20 legitimate senders.
     */
    public static final String NETWORK_PREFIX_V4 = "drain.networkPrefixV4";
    public static final int DEFAULT_NETWORK_PREFIX_V4 = 24;

    public static final String NETWORK_PREFIX_V6 = "drain.networkPrefixV6";
    public static final int DEFAULT_NETWORK_PREFIX_V6 = 64;

    /** Delay before the first retry of a temporary failure. */
    public static final String RETRY_INITIAL_MS = "drain.retry.initialMs";
    public static final long DEFAULT_RETRY_INITIAL_MS = TimeUnit.MINUTES.toMillis(1);

    /** Ceiling of the retry delay. */
    public static final String RETRY_MAX_MS = "drain.retry.maxMs";
    public static final long DEFAULT_RETRY_MAX_MS = TimeUnit.HOURS.toMillis(1);

    /** Each further retry waits this many times longer than the one before. */
    public static final String RETRY_MULTIPLIER = "drain.retry.multiplier";
    public static final double DEFAULT_RETRY_MULTIPLIER = 2.0;

    /** Up to this fraction of each delay is taken off at random, so retries of one burst do not come back together. */
    public static final String RETRY_JITTER = "drain.retry.jitter";
    public static final double DEFAULT_RETRY_JITTER = 0.1;

    /** A message still undelivered this long after it was received fails (RFC 5321 §4.5.4.1: give up after 4-5 days). */
    public static final String MAX_QUEUE_LIFETIME_MS = "drain.maxQueueLifetimeMs";
    public static final long DEFAULT_MAX_QUEUE_LIFETIME_MS = TimeUnit.DAYS.toMillis(5);

    /** A throttled route's rate is multiplied by this (at most once per {@link #AIMD_INTERVAL_MS}). */
    public static final String AIMD_DECREASE_FACTOR = "drain.aimd.decreaseFactor";
    public static final double DEFAULT_AIMD_DECREASE_FACTOR = 0.5;

    /** Per interval with successes and no throttling, the rate grows by this fraction of the configured rate. */
    public static final String AIMD_RECOVERY_FRACTION = "drain.aimd.recoveryFraction";
    public static final double DEFAULT_AIMD_RECOVERY_FRACTION = 0.05;

    /** The AIMD interval: the least time between two decreases, and between two recovery steps. */
    public static final String AIMD_INTERVAL_MS = "drain.aimd.intervalMs";
    public static final long DEFAULT_AIMD_INTERVAL_MS = 1000;

    /** Backing off never takes a route below this rate (or below its configured rate, if that is lower). */
    public static final String AIMD_FLOOR_RATE_PER_SEC = "drain.aimd.floorRatePerSec";
    public static final double DEFAULT_AIMD_FLOOR_RATE_PER_SEC = 1.0;

    /** The demotion lane: where a source's mail goes while the upstream keeps rejecting it for policy (5.7.x). */
    public static final String DEMOTION_LANE = "drain.demotion.lane";
    public static final String DEFAULT_DEMOTION_LANE = "suspect";

    /**
     * What happens to a demoted source's or network's pending mail: {@code quarantine} (held in the spool, never sent
     * until an operator releases it) or {@code suspect-lane} (sent on, slowly, in {@link #DEMOTION_LANE}). Quarantine by
     * default: every message of a network the upstream already rejects for policy is one more policy rejection
     * charged to the provider account, however slowly it goes, and enough of them get the account suspended.
     */
    public static final String DEMOTION_ACTION = "drain.demotion.action";
    public static final String DEFAULT_DEMOTION_ACTION = "quarantine";
    static final String ACTION_QUARANTINE = "quarantine";
    static final String ACTION_SUSPECT_LANE = "suspect-lane";

    /** Policy rejections (5.7.x) of one source's mail within {@link #DEMOTION_DURATION_MS} that demote it. */
    public static final String DEMOTION_POLICY_REJECTIONS = "drain.demotion.policyRejections";
    public static final int DEFAULT_DEMOTION_POLICY_REJECTIONS = 3;

    /**
     * Policy rejections (5.7.x) of one network's mail (its /24 or /64) within {@link #DEMOTION_DURATION_MS} that demote
     * the whole network: a snowshoe flood spreads over so many addresses that each sees one or two rejections, while
     * its mail already in the spool would go on to the provider at full speed. Matches admission's demotion
     * ({@code admission.reputation.demoteAfter}), which tempfails the network's new mail from the same point on.
     */
    public static final String DEMOTION_NETWORK_POLICY_REJECTIONS = "drain.demotion.networkPolicyRejections";
    public static final int DEFAULT_DEMOTION_NETWORK_POLICY_REJECTIONS = 5;

    /** How long a demotion lasts after the last policy rejection, and the window rejections are counted in. */
    public static final String DEMOTION_DURATION_MS = "drain.demotion.durationMs";
    public static final long DEFAULT_DEMOTION_DURATION_MS = TimeUnit.HOURS.toMillis(1);

    /** Upper bound on recipients in one dispatch (RFC 5321 §4.5.3.1.8: servers must take at least 100). */
    public static final String MAX_RECIPIENTS_PER_DISPATCH = "drain.maxRecipientsPerDispatch";
    public static final int DEFAULT_MAX_RECIPIENTS_PER_DISPATCH = 100;

    /**
     * A dispatch with no outcome after this long is assumed lost and scheduled again (at-least-once). Longer than
     * the sum of RFC 5321 §4.5.3.2's client timeouts, so a slow but live transaction is never sent twice.
     */
    public static final String IN_FLIGHT_TIMEOUT_MS = "drain.inFlightTimeoutMs";
    public static final long DEFAULT_IN_FLIGHT_TIMEOUT_MS = TimeUnit.HOURS.toMillis(1);

    /** The sliding window the measured drain rate is averaged over. */
    public static final String RATE_WINDOW_MS = "drain.rateWindowMs";
    public static final long DEFAULT_RATE_WINDOW_MS = 10_000;

    /** How often the drain agent publishes its {@link DrainStatus}. */
    public static final String STATUS_INTERVAL_MS = "drain.statusIntervalMs";
    public static final long DEFAULT_STATUS_INTERVAL_MS = 250;

    /** Dispatches one duty cycle of the drain agent hands over at most, so events are never starved. */
    public static final String MAX_DISPATCHES_PER_CYCLE = "drain.maxDispatchesPerCycle";
    public static final int DEFAULT_MAX_DISPATCHES_PER_CYCLE = 256;

    /**
     * Routes an operator paused: their mail stays in the spool, counted as paused, until resumed. Written by the
     * control plane when an operator pauses a route, so the pause survives a restart.
     */
    public static final String PAUSED_ROUTES = "drain.pausedRoutes";
    public static final String DEFAULT_PAUSED_ROUTES = "";

    /** Tenants an operator paused in the drain (comma-separated); kept across restarts as {@link #PAUSED_ROUTES}. */
    public static final String PAUSED_TENANTS = "drain.pausedTenants";
    public static final String DEFAULT_PAUSED_TENANTS = "";

    /** Sources (client addresses) an operator paused in the drain (comma-separated); kept as {@link #PAUSED_ROUTES}. */
    public static final String PAUSED_SOURCES = "drain.pausedSources";
    public static final String DEFAULT_PAUSED_SOURCES = "";

    static final double MAX_RATE_PER_SEC = 1_000_000;
    private static final int MAX_WEIGHT = 1000;
    private static final int MAX_BURST = 1_000_000;
    private static final String STRICT = "strict";

    private String routesSpec = DEFAULT_ROUTES;
    private String defaultRoute = DEFAULT_DEFAULT_ROUTE;
    private String laneRoutesSpec = DEFAULT_LANE_ROUTES;
    private String tenantRoutesSpec = DEFAULT_TENANT_ROUTES;
    private String lanesSpec = DEFAULT_LANES;
    private String defaultLane = DEFAULT_DEFAULT_LANE;
    private String laneRatesSpec = DEFAULT_LANE_RATES;
    private double tenantRatePerSec = DEFAULT_TENANT_RATE_PER_SEC;
    private String tenantRatesSpec = DEFAULT_TENANT_RATES;
    private int tenantBurst = DEFAULT_TENANT_BURST;
    private int tenantWeight = DEFAULT_TENANT_WEIGHT;
    private String tenantWeightsSpec = DEFAULT_TENANT_WEIGHTS;
    private int networkPrefixV4 = DEFAULT_NETWORK_PREFIX_V4;
    private int networkPrefixV6 = DEFAULT_NETWORK_PREFIX_V6;
    private long retryInitialMs = DEFAULT_RETRY_INITIAL_MS;
    private long retryMaxMs = DEFAULT_RETRY_MAX_MS;
    private double retryMultiplier = DEFAULT_RETRY_MULTIPLIER;
    private double retryJitter = DEFAULT_RETRY_JITTER;
    private long maxQueueLifetimeMs = DEFAULT_MAX_QUEUE_LIFETIME_MS;
    private double aimdDecreaseFactor = DEFAULT_AIMD_DECREASE_FACTOR;
    private double aimdRecoveryFraction = DEFAULT_AIMD_RECOVERY_FRACTION;
    private long aimdIntervalMs = DEFAULT_AIMD_INTERVAL_MS;
    private double aimdFloorRatePerSec = DEFAULT_AIMD_FLOOR_RATE_PER_SEC;
    private String demotionLane = DEFAULT_DEMOTION_LANE;
    private String demotionAction = DEFAULT_DEMOTION_ACTION;
    private int demotionPolicyRejections = DEFAULT_DEMOTION_POLICY_REJECTIONS;
    private int demotionNetworkPolicyRejections = DEFAULT_DEMOTION_NETWORK_POLICY_REJECTIONS;
    private SourceNetworks demotionExemptNetworks = SourceNetworks.of(List.of());
    private long demotionDurationMs = DEFAULT_DEMOTION_DURATION_MS;
    private int maxRecipientsPerDispatch = DEFAULT_MAX_RECIPIENTS_PER_DISPATCH;
    private long inFlightTimeoutMs = DEFAULT_IN_FLIGHT_TIMEOUT_MS;
    private long rateWindowMs = DEFAULT_RATE_WINDOW_MS;
    private long statusIntervalMs = DEFAULT_STATUS_INTERVAL_MS;
    private int maxDispatchesPerCycle = DEFAULT_MAX_DISPATCHES_PER_CYCLE;
    private String pausedRoutesSpec = DEFAULT_PAUSED_ROUTES;
    private String pausedTenantsSpec = DEFAULT_PAUSED_TENANTS;
    private String pausedSourcesSpec = DEFAULT_PAUSED_SOURCES;
    private Clock clock = Clock.systemUTC();
    private RandomGenerator random = new Random();
    // Null: the agent's own, which sleeps until something is due and is woken by every event (DrainAgent).
    private Supplier<IdleStrategy> idleStrategy;

    private List<RouteSpec> routes;
    private List<LaneSpec> lanes;
    private RouteTable routeTable;
    private Map<String, Double> tenantRates;
    private Map<String, Integer> tenantWeights;
    private Set<String> pausedRoutes;
    private Set<String> pausedTenants;
    private Set<String> pausedSources;
    private boolean concluded;

    /**
     * Validates and parses every setting.
     *
     * @return this, frozen.
     * @throws InvalidSettingException naming the first setting that cannot work, its value and what is expected.
     */
    public DrainContext conclude()
    {
        if (concluded)
        {
            return this;
        }
        routes = parseRoutes();
        final List<String> routeNames = new ArrayList<>();
        for (final RouteSpec route : routes)
        {
            routeNames.add(route.name());
        }
        requireIn(DEFAULT_ROUTE, defaultRoute, routeNames, "expected one of the routes in " + ROUTES);
        lanes = parseLanes();
        final List<String> laneNames = new ArrayList<>();
        for (final LaneSpec lane : lanes)
        {
            laneNames.add(lane.name());
        }
        requireIn(DEFAULT_LANE, defaultLane, laneNames, "expected one of the lanes in " + LANES);
        requireIn(DEMOTION_LANE, demotionLane, laneNames, "expected one of the weighted lanes in " + LANES);
        if (lane(demotionLane).strict())
        {
            throw new InvalidSettingException(DEMOTION_LANE, demotionLane, "expected a weighted lane, not a strict one");
        }
        routeTable = parseRouteTable(routeNames);
        requireRate(TENANT_RATE_PER_SEC, tenantRatePerSec, true);
        tenantRates = new HashMap<>();
        for (final String[] entry : entries(TENANT_RATES, tenantRatesSpec, 2))
        {
            tenantRates.put(name(TENANT_RATES, entry[0]), rate(TENANT_RATES, entry[1], true));
        }
        requireRange(TENANT_BURST, tenantBurst, 1, MAX_BURST);
        requireRange(TENANT_WEIGHT, tenantWeight, 1, MAX_WEIGHT);
        tenantWeights = new HashMap<>();
        for (final String[] entry : entries(TENANT_WEIGHTS, tenantWeightsSpec, 2))
        {
            tenantWeights.put(name(TENANT_WEIGHTS, entry[0]), integer(TENANT_WEIGHTS, entry[1], 1, MAX_WEIGHT));
        }
        requireRange(NETWORK_PREFIX_V4, networkPrefixV4, 0, 32);
        requireRange(NETWORK_PREFIX_V6, networkPrefixV6, 0, 128);
        concludeRetryAndAimd();
        requireIn(DEMOTION_ACTION, demotionAction, List.of(ACTION_QUARANTINE, ACTION_SUSPECT_LANE),
            "expected one of");
        requireRange(DEMOTION_POLICY_REJECTIONS, demotionPolicyRejections, 1, 1_000_000);
        requireRange(DEMOTION_NETWORK_POLICY_REJECTIONS, demotionNetworkPolicyRejections, 1, 1_000_000);
        requirePositive(DEMOTION_DURATION_MS, demotionDurationMs);
        requireRange(MAX_RECIPIENTS_PER_DISPATCH, maxRecipientsPerDispatch, 1, 100_000);
        requirePositive(IN_FLIGHT_TIMEOUT_MS, inFlightTimeoutMs);
        if (rateWindowMs < 10)
        {
            throw new InvalidSettingException(RATE_WINDOW_MS, rateWindowMs, "expected at least 10");
        }
        requirePositive(STATUS_INTERVAL_MS, statusIntervalMs);
        requireRange(MAX_DISPATCHES_PER_CYCLE, maxDispatchesPerCycle, 1, 1_000_000);
        concludePauses(routeNames);
        if (clock == null)
        {
            throw new InvalidSettingException("clock", null, "expected a clock");
        }
        if (random == null)
        {
            throw new InvalidSettingException("random", null, "expected a random generator");
        }
        concluded = true;
        return this;
    }

    private void concludeRetryAndAimd()
    {
        requirePositive(RETRY_INITIAL_MS, retryInitialMs);
        if (retryMaxMs < retryInitialMs)
        {
            throw new InvalidSettingException(RETRY_MAX_MS, retryMaxMs,
                "expected at least " + RETRY_INITIAL_MS + " (" + retryInitialMs + ")");
        }
        if (!(retryMultiplier >= 1 && retryMultiplier <= 100))
        {
            throw new InvalidSettingException(RETRY_MULTIPLIER, retryMultiplier, "expected 1.0 to 100.0");
        }
        if (!(retryJitter >= 0 && retryJitter < 1))
        {
            throw new InvalidSettingException(RETRY_JITTER, retryJitter, "expected 0.0 up to (not including) 1.0");
        }
        if (maxQueueLifetimeMs < retryInitialMs)
        {
            throw new InvalidSettingException(MAX_QUEUE_LIFETIME_MS, maxQueueLifetimeMs,
                "expected at least " + RETRY_INITIAL_MS + " (" + retryInitialMs + ")");
        }
        if (!(aimdDecreaseFactor > 0 && aimdDecreaseFactor < 1))
        {
            throw new InvalidSettingException(AIMD_DECREASE_FACTOR, aimdDecreaseFactor,
                "expected more than 0.0 and less than 1.0");
        }
        if (!(aimdRecoveryFraction > 0 && aimdRecoveryFraction <= 1))
        {
            throw new InvalidSettingException(AIMD_RECOVERY_FRACTION, aimdRecoveryFraction, "expected more than 0.0, up to 1.0");
        }
        requirePositive(AIMD_INTERVAL_MS, aimdIntervalMs);
        requireRate(AIMD_FLOOR_RATE_PER_SEC, aimdFloorRatePerSec, false);
    }

    private void concludePauses(final List<String> routeNames)
    {
        pausedRoutes = new TreeSet<>();
        for (final String route : names(PAUSED_ROUTES, pausedRoutesSpec))
        {
            pausedRoutes.add(knownRoute(PAUSED_ROUTES, pausedRoutesSpec, name(PAUSED_ROUTES, route), routeNames));
        }
        pausedTenants = new TreeSet<>();
        for (final String tenant : names(PAUSED_TENANTS, pausedTenantsSpec))
        {
            pausedTenants.add(name(PAUSED_TENANTS, tenant));
        }
        // Source keys are addresses, IPv6 ones with colons: only commas and spaces separate them.
        pausedSources = new TreeSet<>(names(PAUSED_SOURCES, pausedSourcesSpec));
        pausedRoutes = Collections.unmodifiableSet(pausedRoutes);
        pausedTenants = Collections.unmodifiableSet(pausedTenants);
        pausedSources = Collections.unmodifiableSet(pausedSources);
    }

    /** @return the non-empty items of a comma-separated list, trimmed. */
    private static List<String> names(final String key, final String spec)
    {
        if (spec == null)
        {
            throw new InvalidSettingException(key, null, "expected a comma-separated list (may be empty)");
        }
        final List<String> names = new ArrayList<>();
        for (final String item : spec.split(",", -1))
        {
            final String trimmed = item.trim();
            if (trimmed.chars().anyMatch(Character::isWhitespace))
            {
                throw new InvalidSettingException(key, spec, "expected names separated by commas; " + trimmed + " is not one");
            }
            if (!trimmed.isEmpty())
            {
                names.add(trimmed);
            }
        }
        return names;
    }

    private List<RouteSpec> parseRoutes()
    {
        final Map<String, RouteSpec> parsed = new LinkedHashMap<>();
        for (final String[] entry : entries(ROUTES, routesSpec, 3))
        {
            final String name = name(ROUTES, entry[0]);
            final RouteSpec route = new RouteSpec(name, rate(ROUTES, entry[1], false), integer(ROUTES, entry[2], 1, MAX_BURST));
            if (parsed.put(name, route) != null)
            {
                throw new InvalidSettingException(ROUTES, routesSpec, "expected each route once; " + name + " is repeated");
            }
        }
        if (parsed.isEmpty())
        {
            throw new InvalidSettingException(ROUTES, routesSpec, "expected at least one name:ratePerSec:burst route");
        }
        return List.copyOf(parsed.values());
    }

    private List<LaneSpec> parseLanes()
    {
        final Map<String, Double> laneRates = new HashMap<>();
        for (final String[] entry : entries(LANE_RATES, laneRatesSpec, 2))
        {
            laneRates.put(name(LANE_RATES, entry[0]), rate(LANE_RATES, entry[1], true));
        }
        final Map<String, LaneSpec> parsed = new LinkedHashMap<>();
        for (final String[] entry : entries(LANES, lanesSpec, 2))
        {
            final String name = name(LANES, entry[0]);
            final boolean strict = STRICT.equals(entry[1]);
            final int weight = strict ? 0 : integer(LANES, entry[1], 1, MAX_WEIGHT);
            final LaneSpec lane = new LaneSpec(name, strict, weight, laneRates.getOrDefault(name, 0.0));
            if (parsed.put(name, lane) != null)
            {
                throw new InvalidSettingException(LANES, lanesSpec, "expected each lane once; " + name + " is repeated");
            }
        }
        boolean weighted = false;
        for (final LaneSpec lane : parsed.values())
        {
            weighted |= !lane.strict();
        }
        if (!weighted)
        {
            throw new InvalidSettingException(LANES, lanesSpec, "expected at least one weighted lane (name:weight)");
        }
        for (final String lane : laneRates.keySet())
        {
            if (!parsed.containsKey(lane))
            {
                throw new InvalidSettingException(LANE_RATES, laneRatesSpec,
                    "expected lanes listed in " + LANES + "; " + lane + " is not");
            }
        }
        return List.copyOf(parsed.values());
    }

    private RouteTable parseRouteTable(final List<String> routeNames)
    {
        final Map<String, String> laneRoutes = new HashMap<>();
        for (final String[] entry : entries(LANE_ROUTES, laneRoutesSpec, 2))
        {
            laneRoutes.put(name(LANE_ROUTES, entry[0]), knownRoute(LANE_ROUTES, laneRoutesSpec, entry[1], routeNames));
        }
        final Map<String, String> tenantRoutes = new HashMap<>();
        final Map<String, String> tenantLaneRoutes = new HashMap<>();
        for (final String[] entry : entries(TENANT_ROUTES, tenantRoutesSpec, 2))
        {
            final String route = knownRoute(TENANT_ROUTES, tenantRoutesSpec, entry[1], routeNames);
            final int slash = entry[0].indexOf('/');
            if (slash < 0)
            {
                tenantRoutes.put(name(TENANT_ROUTES, entry[0]), route);
            }
            else
            {
                final String tenant = name(TENANT_ROUTES, entry[0].substring(0, slash));
                tenantLaneRoutes.put(tenant + "/" + name(TENANT_ROUTES, entry[0].substring(slash + 1)), route);
            }
        }
        return new RouteTable(defaultRoute, routeNames, laneRoutes, tenantRoutes, tenantLaneRoutes);
    }

    private static String knownRoute(final String key, final String spec, final String route, final List<String> routeNames)
    {
        if (!routeNames.contains(route))
        {
            throw new InvalidSettingException(key, spec, "expected routes listed in " + ROUTES + "; " + route + " is not");
        }
        return route;
    }

    /** @return the entries of a {@code a:b,c:d} list, each split at its colons into exactly {@code parts} parts. */
    private static List<String[]> entries(final String key, final String spec, final int parts)
    {
        if (spec == null)
        {
            throw new InvalidSettingException(key, null, "expected a comma-separated list (may be empty)");
        }
        final List<String[]> entries = new ArrayList<>();
        for (final String item : spec.split(",", -1))
        {
            final String trimmed = item.trim();
            if (trimmed.isEmpty())
            {
                continue;
            }
            final String[] split = trimmed.split(":", -1);
            if (split.length != parts)
            {
                throw new InvalidSettingException(key, spec, "expected " + (parts == 2 ? "name:value" : "name:ratePerSec:burst")
                    + " entries; " + trimmed + " is not one");
            }
            for (int i = 0; i < split.length; i++)
            {
                split[i] = split[i].trim();
            }
            entries.add(split);
        }
        return entries;
    }

    private static String name(final String key, final String name)
    {
        if (name.isEmpty() || name.chars().anyMatch(c -> c == ',' || c == ':' || c == '/' || Character.isWhitespace(c)))
        {
            throw new InvalidSettingException(key, name, "expected a name without , : / or spaces");
        }
        return name;
    }

    private static double rate(final String key, final String text, final boolean zeroAllowed)
    {
        final double value;
        try
        {
            value = Double.parseDouble(text);
        }
        catch (final NumberFormatException ex)
        {
            throw new InvalidSettingException(key, text, "expected a rate in messages per second");
        }
        requireRate(key, value, zeroAllowed);
        return value;
    }

    private static void requireRate(final String key, final double value, final boolean zeroAllowed)
    {
        final boolean ok = zeroAllowed ? value >= 0 : value > 0;
        if (!ok || !(value <= MAX_RATE_PER_SEC))
        {
            throw new InvalidSettingException(key, value,
                "expected a rate " + (zeroAllowed ? "from 0 (none)" : "above 0") + " up to " + (long)MAX_RATE_PER_SEC
                + " messages/s");
        }
    }

    private static int integer(final String key, final String text, final int min, final int max)
    {
        try
        {
            final int value = Integer.parseInt(text);
            requireRange(key, value, min, max);
            return value;
        }
        catch (final NumberFormatException ex)
        {
            throw new InvalidSettingException(key, text, "expected a whole number from " + min + " to " + max);
        }
    }

    private static void requireRange(final String key, final long value, final long min, final long max)
    {
        if (value < min || value > max)
        {
            throw new InvalidSettingException(key, value, "expected a whole number from " + min + " to " + max);
        }
    }

    private static void requirePositive(final String key, final long value)
    {
        if (value <= 0)
        {
            throw new InvalidSettingException(key, value, "expected a positive number");
        }
    }

    private static void requireIn(final String key, final String value, final List<String> allowed, final String expected)
    {
        if (value == null || !allowed.contains(value))
        {
            throw new InvalidSettingException(key, value, expected + " " + allowed);
        }
    }

    private void checkMutable()
    {
        if (concluded)
        {
            throw new IllegalStateException("DrainContext is concluded and can no longer change");
        }
    }

    private void checkConcluded()
    {
        if (!concluded)
        {
            throw new IllegalStateException("DrainContext is not concluded yet");
        }
    }

    /** @return true once {@link #conclude()} has validated the settings. */
    public boolean isConcluded()
    {
        return concluded;
    }

    /** @return the parsed routes, in configuration order; after {@link #conclude()}. */
    public List<RouteSpec> routeSpecs()
    {
        checkConcluded();
        return routes;
    }

    /** @return the parsed lanes, in service order; after {@link #conclude()}. */
    public List<LaneSpec> laneSpecs()
    {
        checkConcluded();
        return lanes;
    }

    /** @return the lane named, or null; after {@link #conclude()} (or during it). */
    public LaneSpec lane(final String name)
    {
        for (final LaneSpec lane : lanes)
        {
            if (lane.name().equals(name))
            {
                return lane;
            }
        }
        return null;
    }

    /** @return the tenant/lane to route mapping; after {@link #conclude()}. */
    public RouteTable routeTable()
    {
        checkConcluded();
        return routeTable;
    }

    /** @return the tenant's egress limit in messages per second, 0 for none; after {@link #conclude()}. */
    public double tenantRatePerSec(final String tenant)
    {
        checkConcluded();
        return tenantRates.getOrDefault(tenant, tenantRatePerSec);
    }

    /** @return the tenant's weight within a lane; after {@link #conclude()}. */
    public int tenantWeight(final String tenant)
    {
        checkConcluded();
        return tenantWeights.getOrDefault(tenant, tenantWeight);
    }

    /** @return the routes paused at start ({@link #PAUSED_ROUTES}); after {@link #conclude()}. */
    public Set<String> pausedRouteNames()
    {
        checkConcluded();
        return pausedRoutes;
    }

    /** @return the tenants paused at start ({@link #PAUSED_TENANTS}); after {@link #conclude()}. */
    public Set<String> pausedTenantNames()
    {
        checkConcluded();
        return pausedTenants;
    }

    /** @return the sources paused at start ({@link #PAUSED_SOURCES}); after {@link #conclude()}. */
    public Set<String> pausedSourceKeys()
    {
        checkConcluded();
        return pausedSources;
    }

    public DrainContext routes(final String routesSpec)
    {
        checkMutable();
        this.routesSpec = routesSpec;
        return this;
    }

    public String routes()
    {
        return routesSpec;
    }

    public DrainContext defaultRoute(final String defaultRoute)
    {
        checkMutable();
        this.defaultRoute = defaultRoute;
        return this;
    }

    public String defaultRoute()
    {
        return defaultRoute;
    }

    public DrainContext laneRoutes(final String laneRoutesSpec)
    {
        checkMutable();
        this.laneRoutesSpec = laneRoutesSpec;
        return this;
    }

    public String laneRoutes()
    {
        return laneRoutesSpec;
    }

    public DrainContext tenantRoutes(final String tenantRoutesSpec)
    {
        checkMutable();
        this.tenantRoutesSpec = tenantRoutesSpec;
        return this;
    }

    public String tenantRoutes()
    {
        return tenantRoutesSpec;
    }

    public DrainContext lanes(final String lanesSpec)
    {
        checkMutable();
        this.lanesSpec = lanesSpec;
        return this;
    }

    public String lanes()
    {
        return lanesSpec;
    }

    public DrainContext defaultLane(final String defaultLane)
    {
        checkMutable();
        this.defaultLane = defaultLane;
        return this;
    }

    public String defaultLane()
    {
        return defaultLane;
    }

    public DrainContext laneRates(final String laneRatesSpec)
    {
        checkMutable();
        this.laneRatesSpec = laneRatesSpec;
        return this;
    }

    public String laneRates()
    {
        return laneRatesSpec;
    }

    public DrainContext tenantRatePerSec(final double tenantRatePerSec)
    {
        checkMutable();
        this.tenantRatePerSec = tenantRatePerSec;
        return this;
    }

    public double tenantRatePerSec()
    {
        return tenantRatePerSec;
    }

    public DrainContext tenantRates(final String tenantRatesSpec)
    {
        checkMutable();
        this.tenantRatesSpec = tenantRatesSpec;
        return this;
    }

    public String tenantRates()
    {
        return tenantRatesSpec;
    }

    public DrainContext tenantBurst(final int tenantBurst)
    {
        checkMutable();
        this.tenantBurst = tenantBurst;
        return this;
    }

    public int tenantBurst()
    {
        return tenantBurst;
    }

    public DrainContext tenantWeight(final int tenantWeight)
    {
        checkMutable();
        this.tenantWeight = tenantWeight;
        return this;
    }

    public int tenantWeight()
    {
        return tenantWeight;
    }

    public DrainContext tenantWeights(final String tenantWeightsSpec)
    {
        checkMutable();
        this.tenantWeightsSpec = tenantWeightsSpec;
        return this;
    }

    public String tenantWeights()
    {
        return tenantWeightsSpec;
    }

    public DrainContext networkPrefixV4(final int networkPrefixV4)
    {
        checkMutable();
        this.networkPrefixV4 = networkPrefixV4;
        return this;
    }

    public int networkPrefixV4()
    {
        return networkPrefixV4;
    }

    public DrainContext networkPrefixV6(final int networkPrefixV6)
    {
        checkMutable();
        this.networkPrefixV6 = networkPrefixV6;
        return this;
    }

    public int networkPrefixV6()
    {
        return networkPrefixV6;
    }

    public DrainContext retryInitialMs(final long retryInitialMs)
    {
        checkMutable();
        this.retryInitialMs = retryInitialMs;
        return this;
    }

    public long retryInitialMs()
    {
        return retryInitialMs;
    }

    public DrainContext retryMaxMs(final long retryMaxMs)
    {
        checkMutable();
        this.retryMaxMs = retryMaxMs;
        return this;
    }

    public long retryMaxMs()
    {
        return retryMaxMs;
    }

    public DrainContext retryMultiplier(final double retryMultiplier)
    {
        checkMutable();
        this.retryMultiplier = retryMultiplier;
        return this;
    }

    public double retryMultiplier()
    {
        return retryMultiplier;
    }

    public DrainContext retryJitter(final double retryJitter)
    {
        checkMutable();
        this.retryJitter = retryJitter;
        return this;
    }

    public double retryJitter()
    {
        return retryJitter;
    }

    public DrainContext maxQueueLifetimeMs(final long maxQueueLifetimeMs)
    {
        checkMutable();
        this.maxQueueLifetimeMs = maxQueueLifetimeMs;
        return this;
    }

    public long maxQueueLifetimeMs()
    {
        return maxQueueLifetimeMs;
    }

    public DrainContext aimdDecreaseFactor(final double aimdDecreaseFactor)
    {
        checkMutable();
        this.aimdDecreaseFactor = aimdDecreaseFactor;
        return this;
    }

    public double aimdDecreaseFactor()
    {
        return aimdDecreaseFactor;
    }

    public DrainContext aimdRecoveryFraction(final double aimdRecoveryFraction)
    {
        checkMutable();
        this.aimdRecoveryFraction = aimdRecoveryFraction;
        return this;
    }

    public double aimdRecoveryFraction()
    {
        return aimdRecoveryFraction;
    }

    public DrainContext aimdIntervalMs(final long aimdIntervalMs)
    {
        checkMutable();
        this.aimdIntervalMs = aimdIntervalMs;
        return this;
    }

    public long aimdIntervalMs()
    {
        return aimdIntervalMs;
    }

    public DrainContext aimdFloorRatePerSec(final double aimdFloorRatePerSec)
    {
        checkMutable();
        this.aimdFloorRatePerSec = aimdFloorRatePerSec;
        return this;
    }

    public double aimdFloorRatePerSec()
    {
        return aimdFloorRatePerSec;
    }

    public DrainContext demotionLane(final String demotionLane)
    {
        checkMutable();
        this.demotionLane = demotionLane;
        return this;
    }

    public String demotionLane()
    {
        return demotionLane;
    }

    /** @param action {@code quarantine} or {@code suspect-lane}: see {@link #DEMOTION_ACTION}. */
    public DrainContext demotionAction(final String action)
    {
        checkMutable();
        this.demotionAction = action;
        return this;
    }

    public String demotionAction()
    {
        return demotionAction;
    }

    /** @return true if a demoted source's mail is quarantined (when the drain has a {@link QuarantineSink}). */
    public boolean demotionQuarantines()
    {
        return ACTION_QUARANTINE.equals(demotionAction);
    }

    public DrainContext demotionPolicyRejections(final int demotionPolicyRejections)
    {
        checkMutable();
        this.demotionPolicyRejections = demotionPolicyRejections;
        return this;
    }

    public int demotionPolicyRejections()
    {
        return demotionPolicyRejections;
    }

    /**
     * The appliance's own sending networks (the daemon passes containment's, by default {@code relay.trustedNetworks}):
     * their policy rejections never demote them here. A tenant's own sending is containment's to judge (it holds the
     * tenant and tells the operator); demoting it to the slow suspect lane would throttle every message of that tenant
     * silently and starve containment of the verdicts it decides on.
     */
    public DrainContext demotionExemptNetworks(final SourceNetworks networks)
    {
        checkMutable();
        this.demotionExemptNetworks = Objects.requireNonNull(networks, "networks");
        return this;
    }

    public SourceNetworks demotionExemptNetworks()
    {
        return demotionExemptNetworks;
    }

    public DrainContext demotionNetworkPolicyRejections(final int rejections)
    {
        checkMutable();
        this.demotionNetworkPolicyRejections = rejections;
        return this;
    }

    public int demotionNetworkPolicyRejections()
    {
        return demotionNetworkPolicyRejections;
    }

    public DrainContext demotionDurationMs(final long demotionDurationMs)
    {
        checkMutable();
        this.demotionDurationMs = demotionDurationMs;
        return this;
    }

    public long demotionDurationMs()
    {
        return demotionDurationMs;
    }

    public DrainContext maxRecipientsPerDispatch(final int maxRecipientsPerDispatch)
    {
        checkMutable();
        this.maxRecipientsPerDispatch = maxRecipientsPerDispatch;
        return this;
    }

    public int maxRecipientsPerDispatch()
    {
        return maxRecipientsPerDispatch;
    }

    public DrainContext inFlightTimeoutMs(final long inFlightTimeoutMs)
    {
        checkMutable();
        this.inFlightTimeoutMs = inFlightTimeoutMs;
        return this;
    }

    public long inFlightTimeoutMs()
    {
        return inFlightTimeoutMs;
    }

    public DrainContext rateWindowMs(final long rateWindowMs)
    {
        checkMutable();
        this.rateWindowMs = rateWindowMs;
        return this;
    }

    public long rateWindowMs()
    {
        return rateWindowMs;
    }

    public DrainContext statusIntervalMs(final long statusIntervalMs)
    {
        checkMutable();
        this.statusIntervalMs = statusIntervalMs;
        return this;
    }

    public long statusIntervalMs()
    {
        return statusIntervalMs;
    }

    public DrainContext maxDispatchesPerCycle(final int maxDispatchesPerCycle)
    {
        checkMutable();
        this.maxDispatchesPerCycle = maxDispatchesPerCycle;
        return this;
    }

    public int maxDispatchesPerCycle()
    {
        return maxDispatchesPerCycle;
    }

    public DrainContext pausedRoutes(final String pausedRoutesSpec)
    {
        checkMutable();
        this.pausedRoutesSpec = pausedRoutesSpec;
        return this;
    }

    public String pausedRoutes()
    {
        return pausedRoutesSpec;
    }

    public DrainContext pausedTenants(final String pausedTenantsSpec)
    {
        checkMutable();
        this.pausedTenantsSpec = pausedTenantsSpec;
        return this;
    }

    public String pausedTenants()
    {
        return pausedTenantsSpec;
    }

    public DrainContext pausedSources(final String pausedSourcesSpec)
    {
        checkMutable();
        this.pausedSourcesSpec = pausedSourcesSpec;
        return this;
    }

    public String pausedSources()
    {
        return pausedSourcesSpec;
    }

    /**
     * The clock for rates, retry times, ages and windows; tests inject one they can move. A clock that steps
     * backwards never freezes a bucket: the scheduler only ever moves its own time forward.
     */
    public DrainContext clock(final Clock clock)
    {
        checkMutable();
        this.clock = clock;
        return this;
    }

    public Clock clock()
    {
        return clock;
    }

    /**
     * Source of retry jitter. It must be thread-safe if replies are classified on several threads (the default,
     * a {@link Random}, is); tests inject a seeded one.
     */
    public DrainContext random(final RandomGenerator random)
    {
        checkMutable();
        this.random = random;
        return this;
    }

    public RandomGenerator random()
    {
        return random;
    }

    /**
     * Replaces the drain thread's own idle strategy (which sleeps until something is due and wakes on every event)
     * with another, e.g. a busy spin for a latency benchmark; null restores the drain's own.
     */
    public DrainContext idleStrategy(final Supplier<IdleStrategy> idleStrategy)
    {
        checkMutable();
        this.idleStrategy = idleStrategy;
        return this;
    }

    /** @return the idle strategy that replaces the drain's own, or null; use {@code DrainAgent.idleStrategy()}. */
    public Supplier<IdleStrategy> idleStrategy()
    {
        return idleStrategy;
    }
}
