package io.sluice.delivery;

import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.sluice.config.InvalidSettingException;

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
public final class RecipientVerificationContext
{
    /** The routes whose recipients are probed at RCPT, comma-separated; each must be an {@code smtp://} route. */
    public static final String ROUTES = "recipients.verify.routes";
    public static final String DEFAULT_ROUTES = "";

    /** How long a probe may take, connection included, before the recipient counts as unverifiable. */
    public static final String TIMEOUT_MS = "recipients.verify.timeoutMs";
    public static final long DEFAULT_TIMEOUT_MS = TimeUnit.SECONDS.toMillis(10);

    /** How long a mailbox the upstream took is known to exist without asking again. */
    public static final String POSITIVE_TTL_MS = "recipients.verify.positiveTtlMs";
    public static final long DEFAULT_POSITIVE_TTL_MS = TimeUnit.HOURS.toMillis(1);

    /** How long a mailbox the upstream refused stays refused: a user created meanwhile waits at most this long. */
    public static final String NEGATIVE_TTL_MS = "recipients.verify.negativeTtlMs";
    public static final long DEFAULT_NEGATIVE_TTL_MS = TimeUnit.MINUTES.toMillis(10);

    /** Answers kept per route; past it the oldest is dropped. */
    public static final String CACHE_SIZE = "recipients.verify.cacheSize";
    public static final int DEFAULT_CACHE_SIZE = 50_000;

    /**
     * Probes per second each route may send, sustained. A flood of random recipients must not become a probe storm at
     * the provider, which counts RCPTs to unknown users against the account; a recipient over the budget is treated as
     * unverifiable ({@code recipients.verify.onUnreachable}).
     */
    public static final String PROBES_PER_SECOND = "recipients.verify.probesPerSecond";
    public static final double DEFAULT_PROBES_PER_SECOND = 2;

    /** Probes each route may send back to back after a quiet spell. */
    public static final String PROBE_BURST = "recipients.verify.probeBurst";
    public static final int DEFAULT_PROBE_BURST = 20;

    /** Connections each route keeps open for probes (apart from its delivery connections). */
    public static final String MAX_CONNECTIONS = "recipients.verify.maxConnections";
    public static final int DEFAULT_MAX_CONNECTIONS = 2;

    private List<String> routes = List.of();
    private long timeoutMs = DEFAULT_TIMEOUT_MS;
    private long positiveTtlMs = DEFAULT_POSITIVE_TTL_MS;
    private long negativeTtlMs = DEFAULT_NEGATIVE_TTL_MS;
    private int cacheSize = DEFAULT_CACHE_SIZE;
    private double probesPerSecond = DEFAULT_PROBES_PER_SECOND;
    private int probeBurst = DEFAULT_PROBE_BURST;
    private int maxConnections = DEFAULT_MAX_CONNECTIONS;
    private Clock clock = Clock.systemUTC();
    private boolean concluded;

    /**
     * @param delivery delivery's concluded settings: each route named must be one of its {@code smtp://} routes.
     * @return this, frozen.
     * @throws InvalidSettingException naming the first setting that cannot work, its value and what is expected.
     */
    public RecipientVerificationContext conclude(final DeliveryContext delivery)
    {
        if (concluded)
        {
            return this;
        }
        for (final String name : routes)
        {
            final DeliveryContext.Route route = delivery.routes().stream().filter(r -> r.name().equals(name)).findFirst()
                .orElseThrow(() -> new InvalidSettingException(ROUTES, String.join(",", routes),
                    "expected routes of drain.routes; " + name + " is not one"));
            if (!(route.target() instanceof RouteTarget.Smtp))
            {
                throw new InvalidSettingException(ROUTES, String.join(",", routes), "expected smtp:// routes; " + name
                    + " delivers to " + route.target() + ", which has no upstream to ask");
            }
        }
        requireRange(TIMEOUT_MS, timeoutMs, 100, TimeUnit.MINUTES.toMillis(5));
        requireRange(POSITIVE_TTL_MS, positiveTtlMs, 1_000, TimeUnit.DAYS.toMillis(7));
        requireRange(NEGATIVE_TTL_MS, negativeTtlMs, 1_000, TimeUnit.DAYS.toMillis(1));
        requireRange(CACHE_SIZE, cacheSize, 100, 10_000_000);
        if (!(probesPerSecond >= 0.01 && probesPerSecond <= 10_000))
        {
            throw new InvalidSettingException(PROBES_PER_SECOND, probesPerSecond,
                "expected a rate from 0.01 to 10000 per second");
        }
        requireRange(PROBE_BURST, probeBurst, 1, 100_000);
        requireRange(MAX_CONNECTIONS, maxConnections, 1, 100);
        if (clock == null)
        {
            throw new InvalidSettingException("clock", null, "expected a clock");
        }
        concluded = true;
        return this;
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
            throw new IllegalStateException("RecipientVerificationContext is concluded and can no longer change");
        }
    }

    public boolean isConcluded()
    {
        return concluded;
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
