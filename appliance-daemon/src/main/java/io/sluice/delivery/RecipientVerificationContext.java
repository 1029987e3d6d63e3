package io.sluice.delivery;

import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.sluice.config.Concludable;
import io.sluice.config.InvalidSettingException;
import io.sluice.config.Setting;

/**
 * Recipient verification's settings on the delivery side: which routes probe their upstream at RCPT, and how (cache,
 * budget, pool, timeout). Each key with its default side by side; {@link #conclude(DeliveryContext)} validates them all
 * against delivery's routes and names the key of the first bad one. What a session answers when a probe gives no
 * verdict ({@code recipients.verify.onUnreachable}, {@code recipients.verify.onTempfail}) is the listener's, in
 * {@code IngressContext}.
 *
 * <p>Off by default: a shared provider relay may count probes of unknown users against the account (directory-harvest
 * detection), and some upstreams take every RCPT and bounce later, where a probe costs a connection and proves nothing.
 * The operator opts in per route.
 */
public final class RecipientVerificationContext extends Concludable
{
    /** The routes whose recipients are probed at RCPT, comma-separated; each must be an {@code smtp://} route. */
    public static final Setting<String> ROUTES = Setting.ofString("recipients.verify.routes", "")
        .checkedWith("`smtp://` routes of `drain.routes`")
        .doc("The `smtp://` routes whose recipients in the relay domains are probed (`MAIL FROM:<>`, `RCPT "
            + "TO`, `RSET`; never DATA) before RCPT is answered: an unknown user is refused in-session (`550 "
            + "5.1.1`) and never needs a DSN. Off by default: a shared provider relay may count probes of "
            + "unknown users against the account, and some upstreams take every RCPT and bounce later. "
            + "`relay.localRecipients` still applies first; `dir:` routes are refused here.")
        .build();

    /** How long a probe may take, connection included, before the recipient counts as unverifiable. */
    public static final Setting<Long> TIMEOUT_MS =
        Setting.ofLong("recipients.verify.timeoutMs", TimeUnit.SECONDS.toMillis(10))
        .range(100, TimeUnit.MINUTES.toMillis(5))
        .doc("A probe with no answer within this time (connection included) leaves the recipient unverified. "
            + "100 to 300000.")
        .build();

    /** How long a mailbox the upstream took is known to exist without asking again. */
    public static final Setting<Long> POSITIVE_TTL_MS =
        Setting.ofLong("recipients.verify.positiveTtlMs", TimeUnit.HOURS.toMillis(1))
        .range(1_000, TimeUnit.DAYS.toMillis(7))
        .doc("How long a mailbox the upstream took is known to exist.")
        .build();

    /** How long a mailbox the upstream refused stays refused: a user created meanwhile waits at most this long. */
    public static final Setting<Long> NEGATIVE_TTL_MS =
        Setting.ofLong("recipients.verify.negativeTtlMs", TimeUnit.MINUTES.toMillis(10))
        .range(1_000, TimeUnit.DAYS.toMillis(1))
        .doc("How long a mailbox the upstream refused stays refused without asking again (a user created "
            + "meanwhile waits at most this long).")
        .build();

    /** Answers kept per route; past it the oldest is dropped. */
    public static final Setting<Integer> CACHE_SIZE = Setting.ofInt("recipients.verify.cacheSize", 50_000)
        .range(100, 10_000_000)
        .doc("Answers kept per route; the oldest is dropped beyond it.")
        .build();

    /**
     * Probes per second each route may send, sustained. A flood of random recipients must not become a probe storm at
     * the provider, which counts RCPTs to unknown users against the account; a recipient over the budget is treated as
     * unverifiable ({@code recipients.verify.onUnreachable}).
     */
    public static final Setting<Double> PROBES_PER_SECOND = Setting.ofDouble("recipients.verify.probesPerSecond", 2)
        .range(0.01, 10_000.0)
        .doc("Each route's probe budget, sustained (a Bucket4j bucket): a flood of random recipients never "
            + "becomes a probe storm at the provider. A recipient over it is unverified.")
        .build();

    /** Probes each route may send back to back after a quiet spell. */
    public static final Setting<Integer> PROBE_BURST = Setting.ofInt("recipients.verify.probeBurst", 20)
        .range(1, 100_000)
        .doc("Probes a route may send back to back after a quiet spell.")
        .build();

    /** Connections each route keeps open for probes (apart from its delivery connections). */
    public static final Setting<Integer> MAX_CONNECTIONS = Setting.ofInt("recipients.verify.maxConnections", 2)
        .range(1, 100)
        .doc("Connections each route keeps open for probes, beside its delivery connections.")
        .build();

    /** Every declaration above, in the order the configuration reference lists them. */
    public static final List<Setting<?>> SETTINGS = List.of(ROUTES, TIMEOUT_MS, POSITIVE_TTL_MS, NEGATIVE_TTL_MS, CACHE_SIZE,
        PROBES_PER_SECOND, PROBE_BURST, MAX_CONNECTIONS);

    private List<String> routes = List.of();
    private long timeoutMs = TIMEOUT_MS.defaultValue();
    private long positiveTtlMs = POSITIVE_TTL_MS.defaultValue();
    private long negativeTtlMs = NEGATIVE_TTL_MS.defaultValue();
    private int cacheSize = CACHE_SIZE.defaultValue();
    private double probesPerSecond = PROBES_PER_SECOND.defaultValue();
    private int probeBurst = PROBE_BURST.defaultValue();
    private int maxConnections = MAX_CONNECTIONS.defaultValue();
    private Clock clock = Clock.systemUTC();

    /**
     * @param delivery delivery's concluded settings: each route named must be one of its {@code smtp://} routes.
     * @return this, frozen.
     * @throws InvalidSettingException naming the first setting that cannot work, its value and what is expected.
     */
    public RecipientVerificationContext conclude(final DeliveryContext delivery)
    {
        if (isConcluded())
        {
            return this;
        }
        for (final String name : routes)
        {
            final DeliveryContext.Route route = delivery.routes().stream().filter(r -> r.name().equals(name)).findFirst()
                .orElseThrow(() -> ROUTES.invalid(String.join(",", routes),
                    "routes of drain.routes; " + name + " is not one"));
            if (!(route.target() instanceof RouteTarget.Smtp))
            {
                throw ROUTES.invalid(String.join(",", routes), "smtp:// routes; " + name
                    + " delivers to " + route.target() + ", which has no upstream to ask");
            }
        }
        TIMEOUT_MS.validate(timeoutMs);
        POSITIVE_TTL_MS.validate(positiveTtlMs);
        NEGATIVE_TTL_MS.validate(negativeTtlMs);
        CACHE_SIZE.validate(cacheSize);
        PROBES_PER_SECOND.validate(probesPerSecond);
        PROBE_BURST.validate(probeBurst);
        MAX_CONNECTIONS.validate(maxConnections);
        if (clock == null)
        {
            throw new InvalidSettingException("clock", null, "expected a clock");
        }
        markConcluded();
        return this;
    }

    /** @param routes the routes to verify recipients for; none turns verification off. */
    public RecipientVerificationContext routes(final List<String> routes)
    {
        checkMutable();
        this.routes = List.copyOf(routes);
        return this;
    }

    public List<String> routes()
    {
        return routes;
    }

    public RecipientVerificationContext timeoutMs(final long timeoutMs)
    {
        checkMutable();
        this.timeoutMs = timeoutMs;
        return this;
    }

    public long timeoutMs()
    {
        return timeoutMs;
    }

    public RecipientVerificationContext positiveTtlMs(final long positiveTtlMs)
    {
        checkMutable();
        this.positiveTtlMs = positiveTtlMs;
        return this;
    }

    public long positiveTtlMs()
    {
        return positiveTtlMs;
    }

    public RecipientVerificationContext negativeTtlMs(final long negativeTtlMs)
    {
        checkMutable();
        this.negativeTtlMs = negativeTtlMs;
        return this;
    }

    public long negativeTtlMs()
    {
        return negativeTtlMs;
    }

    public RecipientVerificationContext cacheSize(final int cacheSize)
    {
        checkMutable();
        this.cacheSize = cacheSize;
        return this;
    }

    public int cacheSize()
    {
        return cacheSize;
    }

    public RecipientVerificationContext probesPerSecond(final double probesPerSecond)
    {
        checkMutable();
        this.probesPerSecond = probesPerSecond;
        return this;
    }

    public double probesPerSecond()
    {
        return probesPerSecond;
    }

    public RecipientVerificationContext probeBurst(final int probeBurst)
    {
        checkMutable();
        this.probeBurst = probeBurst;
        return this;
    }

    public int probeBurst()
    {
        return probeBurst;
    }

    public RecipientVerificationContext maxConnections(final int maxConnections)
    {
        checkMutable();
        this.maxConnections = maxConnections;
        return this;
    }

    public int maxConnections()
    {
        return maxConnections;
    }

    /** The clock of the cache's TTLs and the probe budget; tests inject one they move. */
    public RecipientVerificationContext clock(final Clock clock)
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
