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

import io.sluice.config.Concludable;
import io.sluice.config.InvalidSettingException;
import io.sluice.config.Setting;
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
public final class DrainContext extends Concludable
{
    static final String ACTION_QUARANTINE = "quarantine";
    static final String ACTION_SUSPECT_LANE = "suspect-lane";
    private static final List<String> ACTIONS = List.of(ACTION_QUARANTINE, ACTION_SUSPECT_LANE);
    static final double MAX_RATE_PER_SEC = 1_000_000;
    private static final int MAX_WEIGHT = 1000;
    private static final int MAX_BURST = 1_000_000;

    /**
     * Every upstream route as {@code name:ratePerSec:burst}. The rate is what the provider tolerates
     * (exceed it and the whole shared account is suspended); burst is how many may leave back to back.
     */
    public static final Setting<String> ROUTES = Setting.ofString("drain.routes", "default:200:20,notifications:20:5")
        .checkedWith("name:ratePerSec:burst, each route once, rates above 0 up to 1000000, bursts 1 to 1000000")
        .doc("Every upstream route as name:ratePerSec:burst. The rate is what the provider tolerates (exceed "
            + "it and a shared account can be suspended for every tenant; see the suspended shared account in "
            + "[design.md](design.md)); burst is how many may leave back to back. Each route needs a delivery "
            + "target below (delivery.route.<name>.target).")
        .build();

    /** The route for every tenant and lane no other mapping names. */
    public static final Setting<String> DEFAULT_ROUTE = Setting.ofString("drain.defaultRoute", "default")
        .checkedWith("one of the routes in `drain.routes`")
        .doc("The route of every tenant and lane no other mapping names.")
        .build();

    /** {@code lane:route}: the appliance's own notifications never share fate with customer mail. */
    public static final Setting<String> LANE_ROUTES = Setting.ofString("drain.laneRoutes", "notifications:notifications")
        .checkedWith("lane:route, routes listed in `drain.routes`")
        .doc("lane:route. The appliance's own notifications never share fate with customer mail (the "
            + "suspended shared account in [design.md](design.md)).")
        .build();

    /** {@code tenant:route} or {@code tenant/lane:route}: tenants that bring their own SMTP relay. */
    public static final Setting<String> TENANT_ROUTES = Setting.ofString("drain.tenantRoutes", "")
        .checkedWith("tenant:route or tenant/lane:route, routes listed in `drain.routes`")
        .doc("tenant:route or tenant/lane:route, for tenants that bring their own SMTP relay "
            + "(comma-separated).")
        .build();

    /**
     * The lanes in service order, each {@code name:strict} or {@code name:weight}. Strict lanes go first, in the
     * order listed; weighted lanes share what is left in proportion to their weights, in the order listed within
     * each round, so the last lane ({@code suspect}) is served last and least. A strict lane can starve every
     * other lane on its route, so keep strict lanes for low-volume system mail, ideally on a route of their own.
     */
    public static final Setting<String> LANES =
        Setting.ofString("drain.lanes", "notifications:strict,mail:16,bounces:4,suspect:1")
        .checkedWith("name:strict or name:weight (1 to 1000), each lane once, at least one weighted")
        .doc("Lanes in service order, name:strict or name:weight. Strict lanes go first; weighted lanes share "
            + "the rest in proportion to their weights. Mail marked suspect by admission is served last and "
            + "least.")
        .build();

    /** The lane that mail on a lane not listed in {@link #LANES} is scheduled in. */
    public static final Setting<String> DEFAULT_LANE = Setting.ofString("drain.defaultLane", "mail")
        .checkedWith("one of the lanes in `drain.lanes`")
        .doc("The lane that mail on a lane not listed above is scheduled in.")
        .build();

    /**
     * {@code lane:ratePerSec}: a lane's own egress limit across all routes. Bounces get one so a burst of
     * DSNs can never take the route's whole rate (backscatter can double a gateway's load).
     */
    public static final Setting<String> LANE_RATES = Setting.ofString("drain.laneRates", "bounces:10,suspect:1")
        .checkedWith("lane:ratePerSec, lanes listed in `drain.lanes`")
        .doc("lane:ratePerSec: a lane's own egress limit across all routes (bounces can never take a route's "
            + "whole rate; the suspect lane, where demoted sources' and networks' spooled mail waits, trickles "
            + "at 1/s even when nothing else waits).")
        .build();

    /** Every tenant's egress limit in messages per second, across routes and lanes; 0 for none. */
    public static final Setting<Double> TENANT_RATE_PER_SEC = Setting.ofDouble("drain.tenantRatePerSec", 0)
        .check(rate -> rate >= 0 && rate <= MAX_RATE_PER_SEC, "a rate from 0 (none) up to 1000000 messages/s")
        .doc("Every tenant's egress limit in messages per second across routes and lanes (0 = none), "
            + "overrides as tenant:ratePerSec, and the size of each tenant's bucket.")
        .build();

    /** {@code tenant:ratePerSec} overrides of {@link #TENANT_RATE_PER_SEC}; 0 for none. */
    public static final Setting<String> TENANT_RATES = Setting.ofString("drain.tenantRates", "")
        .checkedWith("tenant:ratePerSec")
        .doc("`tenant:ratePerSec` overrides of `drain.tenantRatePerSec`; 0 for none.")
        .build();

    /** Capacity of each tenant's egress bucket. */
    public static final Setting<Integer> TENANT_BURST = Setting.ofInt("drain.tenantBurst", 10)
        .range(1, MAX_BURST)
        .doc("Capacity of each tenant's egress bucket.")
        .build();

    /** Each tenant's weight within a lane: messages per round-robin turn. */
    public static final Setting<Integer> TENANT_WEIGHT = Setting.ofInt("drain.tenantWeight", 1)
        .range(1, MAX_WEIGHT)
        .doc("Each tenant's weight within a lane (messages per round-robin turn), and tenant:weight "
            + "overrides.")
        .build();

    /** {@code tenant:weight} overrides of {@link #TENANT_WEIGHT}. */
    public static final Setting<String> TENANT_WEIGHTS = Setting.ofString("drain.tenantWeights", "")
        .checkedWith("tenant:weight, weights 1 to 1000")
        .doc("`tenant:weight` overrides of `drain.tenantWeight`.")
        .build();

    /**
     * Sources are grouped by network before they are served, so 2,000 flooding addresses in a few /24s share
     * those networks' turns instead of outnumbering 20 legitimate senders.
     */
    public static final Setting<Integer> NETWORK_PREFIX_V4 = Setting.ofInt("drain.networkPrefixV4", 24)
        .range(0, 32)
        .doc("Sources are grouped by network before they are served, so thousands of flooding addresses in a "
            + "few networks share those networks' turns (the backscatter flood in [design.md](design.md)).")
        .build();

    public static final Setting<Integer> NETWORK_PREFIX_V6 = Setting.ofInt("drain.networkPrefixV6", 64)
        .range(0, 128)
        .doc("The same for IPv6 sources.")
        .build();

    /** Delay before the first retry of a temporary failure. */
    public static final Setting<Long> RETRY_INITIAL_MS = Setting.ofLong("drain.retry.initialMs", TimeUnit.MINUTES.toMillis(1))
        .positive()
        .doc("Temporary failures (4xx) are retried after 1 minute, doubling up to 1 hour, each delay "
            + "shortened at random by up to the jitter fraction; a message still undelivered after the queue "
            + "lifetime (5 days) fails.")
        .build();

    /** Ceiling of the retry delay. */
    public static final Setting<Long> RETRY_MAX_MS = Setting.ofLong("drain.retry.maxMs", TimeUnit.HOURS.toMillis(1))
        .checkedWith("at least `drain.retry.initialMs`")
        .doc("Ceiling of the retry delay.")
        .build();

    /** Each further retry waits this many times longer than the one before. */
    public static final Setting<Double> RETRY_MULTIPLIER = Setting.ofDouble("drain.retry.multiplier", 2.0)
        .range(1.0, 100.0)
        .doc("Each further retry waits this many times longer than the one before.")
        .build();

    /** Up to this fraction of each delay is taken off at random, so retries of one burst do not come back together. */
    public static final Setting<Double> RETRY_JITTER = Setting.ofDouble("drain.retry.jitter", 0.1)
        .check(jitter -> jitter >= 0 && jitter < 1, "0.0 up to (not including) 1.0")
        .doc("Up to this fraction of each delay is taken off at random, so retries of one burst do not come "
            + "back together.")
        .build();

    /** A message still undelivered this long after it was received fails (RFC 5321 §4.5.4.1: give up after 4-5 days). */
    public static final Setting<Long> MAX_QUEUE_LIFETIME_MS =
        Setting.ofLong("drain.maxQueueLifetimeMs", TimeUnit.DAYS.toMillis(5))
        .checkedWith("at least `drain.retry.initialMs`")
        .doc("A message still undelivered this long after it was received fails (RFC 5321 §4.5.4.1: give up "
            + "after 4-5 days).")
        .build();

    /** A throttled route's rate is multiplied by this (at most once per {@link #AIMD_INTERVAL_MS}). */
    public static final Setting<Double> AIMD_DECREASE_FACTOR = Setting.ofDouble("drain.aimd.decreaseFactor", 0.5)
        .check(factor -> factor > 0 && factor < 1, "more than 0.0 and less than 1.0")
        .doc("When the upstream throttles (421, 4.7.x, refused connections) a route's rate is multiplied by "
            + "the decrease factor (at most once per interval); per interval with successes it grows back by "
            + "the recovery fraction of its configured rate. It never goes below the floor.")
        .build();

    /** Per interval with successes and no throttling, the rate grows by this fraction of the configured rate. */
    public static final Setting<Double> AIMD_RECOVERY_FRACTION = Setting.ofDouble("drain.aimd.recoveryFraction", 0.05)
        .check(fraction -> fraction > 0 && fraction <= 1, "more than 0.0, up to 1.0")
        .doc("Per interval with successes and no throttling, the rate grows by this fraction of the "
            + "configured rate.")
        .build();

    /** The AIMD interval: the least time between two decreases, and between two recovery steps. */
    public static final Setting<Long> AIMD_INTERVAL_MS = Setting.ofLong("drain.aimd.intervalMs", 1000)
        .positive()
        .doc("The AIMD interval: the least time between two decreases, and between two recovery steps.")
        .build();

    /** Backing off never takes a route below this rate (or below its configured rate, if that is lower). */
    public static final Setting<Double> AIMD_FLOOR_RATE_PER_SEC = Setting.ofDouble("drain.aimd.floorRatePerSec", 1.0)
        .check(rate -> rate > 0 && rate <= MAX_RATE_PER_SEC, "a rate above 0 up to 1000000 messages/s")
        .doc("Backing off never takes a route below this rate (or below its configured rate, if that is "
            + "lower).")
        .build();

    /** The demotion lane: where a source's mail goes while the upstream keeps rejecting it for policy (5.7.x). */
    public static final Setting<String> DEMOTION_LANE = Setting.ofString("drain.demotion.lane", "suspect")
        .checkedWith("one of the weighted lanes in `drain.lanes`")
        .doc("A source whose mail the upstream rejects for policy (5.7.x) this many times within the duration "
            + "is served in the demotion lane until the duration passes without a rejection.")
        .build();

    /**
     * What happens to a demoted source's or network's pending mail: {@code quarantine} (held in the spool, never sent
     * until an operator releases it) or {@code suspect-lane} (sent on, slowly, in {@link #DEMOTION_LANE}). Quarantine by
     * default: every message of a network the upstream already rejects for policy is one more policy rejection
     * charged to the provider account, however slowly it goes, and enough of them get the account suspended.
     */
    public static final Setting<String> DEMOTION_ACTION = Setting.ofString("drain.demotion.action", "quarantine")
        .check(action -> ACTIONS.contains(action), "one of " + ACTIONS)
        .doc("What a demoted source's or network's pending mail, and its mail arriving while it stays "
            + "demoted, becomes: `quarantine` (held in the spool, never delivered until an operator releases "
            + "it, see [Quarantine](drain-and-delivery.md#quarantine)) or `suspect-lane` (sent on slowly in the "
            + "demotion lane). Quarantine by default: each such message the upstream refuses again is one more "
            + "policy rejection charged to the provider account.")
        .build();

    /** Policy rejections (5.7.x) of one source's mail within {@link #DEMOTION_DURATION_MS} that demote it. */
    public static final Setting<Integer> DEMOTION_POLICY_REJECTIONS = Setting.ofInt("drain.demotion.policyRejections", 3)
        .range(1, 1_000_000)
        .doc("Policy rejections (5.7.x) of one source's mail within `drain.demotion.durationMs` that demote it.")
        .build();

    /**
     * Policy rejections (5.7.x) of one network's mail (its /24 or /64) within {@link #DEMOTION_DURATION_MS} that demote
     * the whole network: a snowshoe flood spreads over so many addresses that each sees one or two rejections, while
     * its mail already in the spool would go on to the provider at full speed. Matches admission's demotion
     * ({@code admission.reputation.demoteAfter}), which tempfails the network's new mail from the same point on.
     */
    public static final Setting<Integer> DEMOTION_NETWORK_POLICY_REJECTIONS =
        Setting.ofInt("drain.demotion.networkPolicyRejections", 5)
        .range(1, 1_000_000)
        .doc("Policy rejections of one network's mail (its /24 or /64) that demote the whole network: a "
            + "snowshoe flood's addresses draw one or two each.")
        .build();

    /** How long a demotion lasts after the last policy rejection, and the window rejections are counted in. */
    public static final Setting<Long> DEMOTION_DURATION_MS =
        Setting.ofLong("drain.demotion.durationMs", TimeUnit.HOURS.toMillis(1))
        .positive()
        .doc("How long a demotion lasts after the last policy rejection, and the window rejections are "
            + "counted in.")
        .build();

    /** Upper bound on recipients in one dispatch (RFC 5321 §4.5.3.1.8: servers must take at least 100). */
    public static final Setting<Integer> MAX_RECIPIENTS_PER_DISPATCH = Setting.ofInt("drain.maxRecipientsPerDispatch", 100)
        .range(1, 100_000)
        .doc("Recipients in one delivery transaction (RFC 5321: servers must take at least 100).")
        .build();

    /**
     * A dispatch with no outcome after this long is assumed lost and scheduled again (at-least-once). Longer than
     * the sum of RFC 5321 §4.5.3.2's client timeouts, so a slow but live transaction is never sent twice.
     */
    public static final Setting<Long> IN_FLIGHT_TIMEOUT_MS = Setting.ofLong("drain.inFlightTimeoutMs", TimeUnit.HOURS.toMillis(1))
        .positive()
        .doc("A dispatch with no outcome after this long is assumed lost and sent again (keep it above "
            + "delivery.timeout.dispatchMs).")
        .build();

    /** The sliding window the measured drain rate is averaged over. */
    public static final Setting<Long> RATE_WINDOW_MS = Setting.ofLong("drain.rateWindowMs", 10_000)
        .atLeast(10)
        .doc("The window the measured drain rate is averaged over, and how often the backlog, rates and ETAs "
            + "are published.")
        .build();

    /** How often the drain agent publishes its {@link DrainStatus}. */
    public static final Setting<Long> STATUS_INTERVAL_MS = Setting.ofLong("drain.statusIntervalMs", 250)
        .positive()
        .doc("How often the drain agent publishes its `DrainStatus`.")
        .build();

    /** Dispatches one duty cycle of the drain agent hands over at most, so events are never starved. */
    public static final Setting<Integer> MAX_DISPATCHES_PER_CYCLE = Setting.ofInt("drain.maxDispatchesPerCycle", 256)
        .range(1, 1_000_000)
        .doc("Dispatches one duty cycle of the drain thread hands over at most.")
        .build();

    /**
     * Routes an operator paused: their mail stays in the spool, counted as paused, until resumed. Written by the
     * control plane when an operator pauses a route, so the pause survives a restart.
     */
    public static final Setting<String> PAUSED_ROUTES = Setting.ofString("drain.pausedRoutes", "")
        .checkedWith("names separated by commas")
        .doc("What an operator paused in the drain (comma-separated): routes, tenants and source addresses "
            + "whose mail stays in the spool, counted as paused, until resumed. The control plane writes these "
            + "into <spool.directory>/control.properties when an operator pauses over JMX or \"sluice drain "
            + "pause\", so a pause survives a restart; set them here to start paused.")
        .build();

    /** Tenants an operator paused in the drain (comma-separated); kept across restarts as {@link #PAUSED_ROUTES}. */
    public static final Setting<String> PAUSED_TENANTS = Setting.ofString("drain.pausedTenants", "")
        .checkedWith("names separated by commas")
        .doc("Tenants an operator paused in the drain (comma-separated); kept across restarts as "
            + "`PAUSED_ROUTES`.")
        .build();

    /** Sources (client addresses) an operator paused in the drain (comma-separated); kept as {@link #PAUSED_ROUTES}. */
    public static final Setting<String> PAUSED_SOURCES = Setting.ofString("drain.pausedSources", "")
        .checkedWith("names separated by commas")
        .doc("Sources (client addresses) an operator paused in the drain (comma-separated); kept as "
            + "`PAUSED_ROUTES`.")
        .build();

    /** Every declaration above, in the order the configuration reference lists them. */
    public static final List<Setting<?>> SETTINGS = List.of(ROUTES, DEFAULT_ROUTE, LANE_ROUTES, TENANT_ROUTES, LANES,
        DEFAULT_LANE, LANE_RATES, TENANT_RATE_PER_SEC, TENANT_RATES, TENANT_BURST, TENANT_WEIGHT, TENANT_WEIGHTS,
        NETWORK_PREFIX_V4, NETWORK_PREFIX_V6, RETRY_INITIAL_MS, RETRY_MAX_MS, RETRY_MULTIPLIER, RETRY_JITTER,
        MAX_QUEUE_LIFETIME_MS, AIMD_DECREASE_FACTOR, AIMD_RECOVERY_FRACTION, AIMD_INTERVAL_MS, AIMD_FLOOR_RATE_PER_SEC,
        DEMOTION_LANE, DEMOTION_ACTION, DEMOTION_POLICY_REJECTIONS, DEMOTION_NETWORK_POLICY_REJECTIONS, DEMOTION_DURATION_MS,
        MAX_RECIPIENTS_PER_DISPATCH, IN_FLIGHT_TIMEOUT_MS, RATE_WINDOW_MS, STATUS_INTERVAL_MS, MAX_DISPATCHES_PER_CYCLE,
        PAUSED_ROUTES, PAUSED_TENANTS, PAUSED_SOURCES);

    private static final String STRICT = "strict";

    private String routesSpec = ROUTES.defaultValue();
    private String defaultRoute = DEFAULT_ROUTE.defaultValue();
    private String laneRoutesSpec = LANE_ROUTES.defaultValue();
    private String tenantRoutesSpec = TENANT_ROUTES.defaultValue();
    private String lanesSpec = LANES.defaultValue();
    private String defaultLane = DEFAULT_LANE.defaultValue();
    private String laneRatesSpec = LANE_RATES.defaultValue();
    private double tenantRatePerSec = TENANT_RATE_PER_SEC.defaultValue();
    private String tenantRatesSpec = TENANT_RATES.defaultValue();
    private int tenantBurst = TENANT_BURST.defaultValue();
    private int tenantWeight = TENANT_WEIGHT.defaultValue();
    private String tenantWeightsSpec = TENANT_WEIGHTS.defaultValue();
    private int networkPrefixV4 = NETWORK_PREFIX_V4.defaultValue();
    private int networkPrefixV6 = NETWORK_PREFIX_V6.defaultValue();
    private long retryInitialMs = RETRY_INITIAL_MS.defaultValue();
    private long retryMaxMs = RETRY_MAX_MS.defaultValue();
    private double retryMultiplier = RETRY_MULTIPLIER.defaultValue();
    private double retryJitter = RETRY_JITTER.defaultValue();
    private long maxQueueLifetimeMs = MAX_QUEUE_LIFETIME_MS.defaultValue();
    private double aimdDecreaseFactor = AIMD_DECREASE_FACTOR.defaultValue();
    private double aimdRecoveryFraction = AIMD_RECOVERY_FRACTION.defaultValue();
    private long aimdIntervalMs = AIMD_INTERVAL_MS.defaultValue();
    private double aimdFloorRatePerSec = AIMD_FLOOR_RATE_PER_SEC.defaultValue();
    private RateLearningSettings rateLearning = new RateLearningSettings();
    private String demotionLane = DEMOTION_LANE.defaultValue();
    private String demotionAction = DEMOTION_ACTION.defaultValue();
    private int demotionPolicyRejections = DEMOTION_POLICY_REJECTIONS.defaultValue();
    private int demotionNetworkPolicyRejections = DEMOTION_NETWORK_POLICY_REJECTIONS.defaultValue();
    private SourceNetworks demotionExemptNetworks = SourceNetworks.of(List.of());
    private long demotionDurationMs = DEMOTION_DURATION_MS.defaultValue();
    private int maxRecipientsPerDispatch = MAX_RECIPIENTS_PER_DISPATCH.defaultValue();
    private long inFlightTimeoutMs = IN_FLIGHT_TIMEOUT_MS.defaultValue();
    private long rateWindowMs = RATE_WINDOW_MS.defaultValue();
    private long statusIntervalMs = STATUS_INTERVAL_MS.defaultValue();
    private int maxDispatchesPerCycle = MAX_DISPATCHES_PER_CYCLE.defaultValue();
    private String pausedRoutesSpec = PAUSED_ROUTES.defaultValue();
    private String pausedTenantsSpec = PAUSED_TENANTS.defaultValue();
    private String pausedSourcesSpec = PAUSED_SOURCES.defaultValue();
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

    /**
     * Validates and parses every setting.
     *
     * @return this, frozen.
     * @throws InvalidSettingException naming the first setting that cannot work, its value and what is expected.
     */
    public DrainContext conclude()
    {
        if (isConcluded())
        {
            return this;
        }
        routes = parseRoutes();
        final List<String> routeNames = new ArrayList<>();
        for (final RouteSpec route : routes)
        {
            routeNames.add(route.name());
        }
        requireIn(DEFAULT_ROUTE, defaultRoute, routeNames, "one of the routes in " + ROUTES);
        lanes = parseLanes();
        final List<String> laneNames = new ArrayList<>();
        for (final LaneSpec lane : lanes)
        {
            laneNames.add(lane.name());
        }
        requireIn(DEFAULT_LANE, defaultLane, laneNames, "one of the lanes in " + LANES);
        requireIn(DEMOTION_LANE, demotionLane, laneNames, "one of the weighted lanes in " + LANES);
        if (lane(demotionLane).strict())
        {
            throw DEMOTION_LANE.invalid(demotionLane, "a weighted lane, not a strict one");
        }
        routeTable = parseRouteTable(routeNames);
        TENANT_RATE_PER_SEC.validate(tenantRatePerSec);
        tenantRates = new HashMap<>();
        for (final String[] entry : entries(TENANT_RATES, tenantRatesSpec, 2))
        {
            tenantRates.put(name(TENANT_RATES, entry[0]), rate(TENANT_RATES, entry[1], true));
        }
        TENANT_BURST.validate(tenantBurst);
        TENANT_WEIGHT.validate(tenantWeight);
        tenantWeights = new HashMap<>();
        for (final String[] entry : entries(TENANT_WEIGHTS, tenantWeightsSpec, 2))
        {
            tenantWeights.put(name(TENANT_WEIGHTS, entry[0]), integer(TENANT_WEIGHTS, entry[1], 1, MAX_WEIGHT));
        }
        NETWORK_PREFIX_V4.validate(networkPrefixV4);
        NETWORK_PREFIX_V6.validate(networkPrefixV6);
        concludeRetryAndAimd();
        DEMOTION_ACTION.validate(demotionAction);
        DEMOTION_POLICY_REJECTIONS.validate(demotionPolicyRejections);
        DEMOTION_NETWORK_POLICY_REJECTIONS.validate(demotionNetworkPolicyRejections);
        DEMOTION_DURATION_MS.validate(demotionDurationMs);
        MAX_RECIPIENTS_PER_DISPATCH.validate(maxRecipientsPerDispatch);
        IN_FLIGHT_TIMEOUT_MS.validate(inFlightTimeoutMs);
        RATE_WINDOW_MS.validate(rateWindowMs);
        STATUS_INTERVAL_MS.validate(statusIntervalMs);
        MAX_DISPATCHES_PER_CYCLE.validate(maxDispatchesPerCycle);
        concludePauses(routeNames);
        if (clock == null)
        {
            throw new InvalidSettingException("clock", null, "expected a clock");
        }
        if (random == null)
        {
            throw new InvalidSettingException("random", null, "expected a random generator");
        }
        markConcluded();
        return this;
    }

    private void concludeRetryAndAimd()
    {
        RETRY_INITIAL_MS.validate(retryInitialMs);
        if (retryMaxMs < retryInitialMs)
        {
            throw RETRY_MAX_MS.invalid(retryMaxMs, "at least " + RETRY_INITIAL_MS + " (" + retryInitialMs + ")");
        }
        RETRY_MULTIPLIER.validate(retryMultiplier);
        RETRY_JITTER.validate(retryJitter);
        if (maxQueueLifetimeMs < retryInitialMs)
        {
            throw MAX_QUEUE_LIFETIME_MS.invalid(maxQueueLifetimeMs, "at least " + RETRY_INITIAL_MS + " (" + retryInitialMs + ")");
        }
        AIMD_DECREASE_FACTOR.validate(aimdDecreaseFactor);
        AIMD_RECOVERY_FRACTION.validate(aimdRecoveryFraction);
        AIMD_INTERVAL_MS.validate(aimdIntervalMs);
        AIMD_FLOOR_RATE_PER_SEC.validate(aimdFloorRatePerSec);
        rateLearning.conclude();
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
    private static List<String> names(final Setting<?> key, final String spec)
    {
        if (spec == null)
        {
            throw key.invalid(null, "a comma-separated list (may be empty)");
        }
        final List<String> names = new ArrayList<>();
        for (final String item : spec.split(",", -1))
        {
            final String trimmed = item.trim();
            if (trimmed.chars().anyMatch(Character::isWhitespace))
            {
                throw key.invalid(spec, "names separated by commas; " + trimmed + " is not one");
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
                throw ROUTES.invalid(routesSpec, "each route once; " + name + " is repeated");
            }
        }
        if (parsed.isEmpty())
        {
            throw ROUTES.invalid(routesSpec, "at least one name:ratePerSec:burst route");
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
                throw LANES.invalid(lanesSpec, "each lane once; " + name + " is repeated");
            }
        }
        boolean weighted = false;
        for (final LaneSpec lane : parsed.values())
        {
            weighted |= !lane.strict();
        }
        if (!weighted)
        {
            throw LANES.invalid(lanesSpec, "at least one weighted lane (name:weight)");
        }
        for (final String lane : laneRates.keySet())
        {
            if (!parsed.containsKey(lane))
            {
                throw LANE_RATES.invalid(laneRatesSpec,
                    "lanes listed in " + LANES + "; " + lane + " is not");
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

    private static String knownRoute(final Setting<?> key, final String spec, final String route, final List<String> routeNames)
    {
        if (!routeNames.contains(route))
        {
            throw key.invalid(spec, "routes listed in " + ROUTES + "; " + route + " is not");
        }
        return route;
    }

    /** @return the entries of a {@code a:b,c:d} list, each split at its colons into exactly {@code parts} parts. */
    private static List<String[]> entries(final Setting<?> key, final String spec, final int parts)
    {
        if (spec == null)
        {
            throw key.invalid(null, "a comma-separated list (may be empty)");
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
                throw key.invalid(spec, "" + (parts == 2 ? "name:value" : "name:ratePerSec:burst")
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

    private static String name(final Setting<?> key, final String name)
    {
        if (name.isEmpty() || name.chars().anyMatch(c -> c == ',' || c == ':' || c == '/' || Character.isWhitespace(c)))
        {
            throw key.invalid(name, "a name without , : / or spaces");
        }
        return name;
    }

    private static double rate(final Setting<?> key, final String text, final boolean zeroAllowed)
    {
        final double value;
        try
        {
            value = Double.parseDouble(text);
        }
        catch (final NumberFormatException ex)
        {
            throw key.invalid(text, "a rate in messages per second");
        }
        requireRate(key, value, zeroAllowed);
        return value;
    }

    private static void requireRate(final Setting<?> key, final double value, final boolean zeroAllowed)
    {
        final boolean ok = zeroAllowed ? value >= 0 : value > 0;
        if (!ok || !(value <= MAX_RATE_PER_SEC))
        {
            throw key.invalid(value,
                "a rate " + (zeroAllowed ? "from 0 (none)" : "above 0") + " up to " + (long)MAX_RATE_PER_SEC + " messages/s");
        }
    }

    private static int integer(final Setting<?> key, final String text, final int min, final int max)
    {
        try
        {
            final int value = Integer.parseInt(text);
            if (value < min || value > max)
            {
                throw key.invalid(value, "a whole number from " + min + " to " + max);
            }
            return value;
        }
        catch (final NumberFormatException ex)
        {
            throw key.invalid(text, "a whole number from " + min + " to " + max);
        }
    }

    private static void requireIn(final Setting<?> key, final String value, final List<String> allowed, final String expected)
    {
        if (value == null || !allowed.contains(value))
        {
            throw key.invalid(value, expected + " " + allowed);
        }
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

    /** The rate learner's and throttled mail's settings ({@code drain.rate.*}, {@code drain.throttle.*}). */
    public DrainContext rateLearning(final RateLearningSettings rateLearning)
    {
        checkMutable();
        this.rateLearning = Objects.requireNonNull(rateLearning, "rateLearning");
        return this;
    }

    public RateLearningSettings rateLearning()
    {
        return rateLearning;
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
