package io.sluice.admission;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.sluice.config.InvalidSettingException;
import io.sluice.net.Cidr;
import io.sluice.net.MailAddress;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * Admission's settings: each has its configuration key and default side by side, a fluent setter, and one
 * {@link #conclude()} that validates them all and names the key of the first bad one.
 *
 * <p>Rate limits are a table, one rate and one burst per {@link KeyKind} and {@link Traffic} that
 * {@link KeyKind#limits(Traffic) go together}, keyed {@code <kind prefix>.<traffic suffix>}:
 *
 * <pre>
 *                          messages            recipients                            connections
 *                          ratePerSecond/burst recipientsPerSecond/recipientBurst    connectionsPerSecond/connectionBurst
 * admission.ip               20/s, 200             20/s, 500                          10/s, 100
 * admission.network         100/s, 2000           100/s, 2000                         50/s, 500
 * admission.senderDomain     50/s, 1000             -                                   -
 * admission.tenant           50/s, 1000           500/s, 10000                          -
 * admission.global         2000/s, 20000        20000/s, 200000                         -
 * </pre>
 *
 * <p>A rate of 0 turns that limit off. {@link #rateKey} and {@link #burstKey} give the exact key names.
 */
public final class AdmissionContext
{
    /** Networks are keyed by this many leading bits of an IPv4 address: a /24 is one customer or one botnet's subnet. */
    public static final String NETWORK_IPV4_PREFIX_LENGTH = "admission.network.ipv4PrefixLength";
    public static final int DEFAULT_NETWORK_IPV4_PREFIX_LENGTH = 24;

    /** An IPv6 /64 is one end site's LAN (RFC 6177 assigns /56 to /48 per site), so one host may hold all of it. */
    public static final String NETWORK_IPV6_PREFIX_LENGTH = "admission.network.ipv6PrefixLength";
    public static final int DEFAULT_NETWORK_IPV6_PREFIX_LENGTH = 64;

    /**
     * The most keys (addresses, networks, domains, tenants) with a bucket at once. Buckets that have refilled
     * to full carry no information and are dropped first; memory stays bounded however many sources a flood
     * uses (a botnet: thousands of IPs).
     */
    public static final String MAX_TRACKED_KEYS = "admission.maxTrackedKeys";
    public static final int DEFAULT_MAX_TRACKED_KEYS = 1_000_000;

    /** Pending messages above which new connections and messages are refused until the backlog drops. */
    public static final String BACKLOG_HIGH_WATERMARK = "admission.backlog.highWatermark";
    public static final long DEFAULT_BACKLOG_HIGH_WATERMARK = 100_000;

    /** Backpressure, once on, stays on until the backlog is below this (hysteresis: no flapping at the mark). */
    public static final String BACKLOG_LOW_WATERMARK = "admission.backlog.lowWatermark";
    public static final long DEFAULT_BACKLOG_LOW_WATERMARK = 50_000;

    /**
     * Trusted sources (the appliance's own notifications, the tenants' relays) are admitted through
     * backpressure until the backlog reaches this: a reserved share, so a customer flood never silences
     * alerts (about a suspended customer route, say).
     */
    public static final String BACKLOG_HARD_LIMIT = "admission.backlog.hardLimit";
    public static final long DEFAULT_BACKLOG_HARD_LIMIT = 150_000;

    /**
     * Age of the oldest pending message above which backpressure turns on; 0 turns the age watermark off,
     * the default, because a spool's oldest message is often one deferred by the upstream for days (RFC 5321
     * section 4.5.4.1 retries for 4-5 days), which must not shut ingress. Set it only if the pressure source
     * reports the oldest message still waiting for its first attempt.
     */
    public static final String OLDEST_AGE_HIGH_WATERMARK_MS = "admission.oldestAge.highWatermarkMs";
    public static final long DEFAULT_OLDEST_AGE_HIGH_WATERMARK_MS = 0;

    public static final String OLDEST_AGE_LOW_WATERMARK_MS = "admission.oldestAge.lowWatermarkMs";
    public static final long DEFAULT_OLDEST_AGE_LOW_WATERMARK_MS = 0;

    /**
     * A message that would wait longer than this behind the backlog on its lane is refused with a 4xx, so the
     * sender keeps it and retries, rather than the appliance holding it for hours (an operator's "the delay is
     * still 6 hours"). 0 turns the bound off. Changeable live through {@link Admission#setMaxProjectedDelayMs}.
     */
    public static final String MAX_PROJECTED_DELAY_MS = "admission.maxProjectedDelayMs";
    public static final long DEFAULT_MAX_PROJECTED_DELAY_MS = 15 * 60 * 1000;

    /**
     * Comma-separated domains whose envelope senders may only come from the trusted networks, each optionally
     * with its own action: {@code example.com, payroll.example.com:REFUSE}. A domain covers its subdomains.
     */
    public static final String PROTECTED_DOMAINS = "admission.protectedDomains";
    public static final String DEFAULT_PROTECTED_DOMAINS = "";

    /**
     * What a spoof of a protected domain (or sender equal to recipient) gets when its domain names none. REFUSE by
     * default: accepted spoofs went on to the provider, which refused them as policy violations charged to the
     * appliance's account (the road to a suspended account); a 550 in-session costs nobody anything.
     */
    public static final String SPOOF_DEFAULT_ACTION = "admission.spoof.defaultAction";
    public static final SpoofVerdict DEFAULT_SPOOF_DEFAULT_ACTION = SpoofVerdict.REFUSE;

    /** Comma-separated networks refused at connect ({@code 554 5.7.1}); blocks added at run time are kept in the state file. */
    public static final String BLOCKLIST = "admission.blocklist";
    public static final String DEFAULT_BLOCKLIST = "";

    /**
     * Where bucket state, run-time blocks and per-key overrides are kept across restarts, so a flooding source
     * does not get a fresh burst from a restart; empty or null disables it.
     */
    public static final String STATE_FILE = "admission.stateFile";
    public static final String DEFAULT_STATE_FILE = "admission.state";

    private static final int MIN_TRACKED_KEYS = 16;
    private static final int MAX_MAX_TRACKED_KEYS = 100_000_000;
    // The kind buckets are ceilings over every class; the class buckets (ReputationSettings) tell a partner from a
    // flood. Connections cannot know the class: generous here, tightened for demoted networks only.
    private static final double[][] DEFAULT_RATES = {
        // CONNECTIONS, MESSAGES, RECIPIENTS
        {10, 20, 20},        // IP
        {50, 100, 100},      // NETWORK
        {0, 50, 0},          // SENDER_DOMAIN
        {0, 50, 500},        // TENANT
        {0, 2000, 20_000},   // GLOBAL
    };
    private static final long[][] DEFAULT_BURSTS = {
        {100, 200, 500},
        {500, 2000, 2000},
        {0, 1000, 0},
        {0, 1000, 10_000},
        {0, 20_000, 200_000},
    };

    private final double[][] ratesPerSecond = new double[KeyKind.values().length][Traffic.values().length];
    private final long[][] bursts = new long[KeyKind.values().length][Traffic.values().length];
    private int networkIpv4PrefixLength = DEFAULT_NETWORK_IPV4_PREFIX_LENGTH;
    private int networkIpv6PrefixLength = DEFAULT_NETWORK_IPV6_PREFIX_LENGTH;
    private int maxTrackedKeys = DEFAULT_MAX_TRACKED_KEYS;
    private long backlogHighWatermark = DEFAULT_BACKLOG_HIGH_WATERMARK;
    private long backlogLowWatermark = DEFAULT_BACKLOG_LOW_WATERMARK;
    private long backlogHardLimit = DEFAULT_BACKLOG_HARD_LIMIT;
    private long oldestAgeHighWatermarkMs = DEFAULT_OLDEST_AGE_HIGH_WATERMARK_MS;
    private long oldestAgeLowWatermarkMs = DEFAULT_OLDEST_AGE_LOW_WATERMARK_MS;
    private long maxProjectedDelayMs = DEFAULT_MAX_PROJECTED_DELAY_MS;
    private String protectedDomains = DEFAULT_PROTECTED_DOMAINS;
    private SpoofVerdict spoofDefaultAction = DEFAULT_SPOOF_DEFAULT_ACTION;
    private String blocklist = DEFAULT_BLOCKLIST;
    private Path stateFile = Path.of(DEFAULT_STATE_FILE);
    private Clock clock = Clock.systemUTC();
    private NanoClock nanoClock = SystemNanoClock.INSTANCE;
    private final ReputationSettings reputation = new ReputationSettings();
    private Limit[][] limits;
    private Map<String, SpoofVerdict> protectedDomainActions;
    private List<Cidr> blockedNetworks;
    private boolean concluded;

    public AdmissionContext()
    {
        for (final KeyKind kind : KeyKind.values())
        {
            for (final Traffic traffic : Traffic.values())
            {
                ratesPerSecond[kind.ordinal()][traffic.ordinal()] = defaultRatePerSecond(kind, traffic);
                bursts[kind.ordinal()][traffic.ordinal()] = defaultBurst(kind, traffic);
            }
        }
    }

    /** @return the configuration key of a rate, e.g. {@code admission.ip.ratePerSecond}. */
    public static String rateKey(final KeyKind kind, final Traffic traffic)
    {
        return kind.configPrefix() + "." + traffic.rateSuffix();
    }

    /** @return the configuration key of a burst, e.g. {@code admission.ip.burst}. */
    public static String burstKey(final KeyKind kind, final Traffic traffic)
    {
        return kind.configPrefix() + "." + traffic.burstSuffix();
    }

    /** @return the default rate, tokens per second; 0 where the kind does not limit that traffic. */
    public static double defaultRatePerSecond(final KeyKind kind, final Traffic traffic)
    {
        return DEFAULT_RATES[kind.ordinal()][traffic.ordinal()];
    }

    public static long defaultBurst(final KeyKind kind, final Traffic traffic)
    {
        return DEFAULT_BURSTS[kind.ordinal()][traffic.ordinal()];
    }

    /**
     * Validates every setting.
     *
     * @return this, frozen.
     * @throws InvalidSettingException naming the first setting that cannot work.
     */
    public AdmissionContext conclude()
    {
        limits = concludeLimits();
        requireRange(NETWORK_IPV4_PREFIX_LENGTH, networkIpv4PrefixLength, 8, 32);
        requireRange(NETWORK_IPV6_PREFIX_LENGTH, networkIpv6PrefixLength, 16, 128);
        requireRange(MAX_TRACKED_KEYS, maxTrackedKeys, MIN_TRACKED_KEYS, MAX_MAX_TRACKED_KEYS);
        requireRange(BACKLOG_HIGH_WATERMARK, backlogHighWatermark, 1, Long.MAX_VALUE);
        if (backlogLowWatermark < 0 || backlogLowWatermark > backlogHighWatermark)
        {
            throw new InvalidSettingException(BACKLOG_LOW_WATERMARK, backlogLowWatermark,
                "expected 0 to " + BACKLOG_HIGH_WATERMARK + " (" + backlogHighWatermark + ")");
        }
        if (backlogHardLimit < backlogHighWatermark)
        {
            throw new InvalidSettingException(BACKLOG_HARD_LIMIT, backlogHardLimit,
                "expected at least " + BACKLOG_HIGH_WATERMARK + " (" + backlogHighWatermark + ")");
        }
        requireRange(OLDEST_AGE_HIGH_WATERMARK_MS, oldestAgeHighWatermarkMs, 0, Long.MAX_VALUE);
        if (oldestAgeHighWatermarkMs > 0 && (oldestAgeLowWatermarkMs < 0 || oldestAgeLowWatermarkMs > oldestAgeHighWatermarkMs))
        {
            throw new InvalidSettingException(OLDEST_AGE_LOW_WATERMARK_MS, oldestAgeLowWatermarkMs,
                "expected 0 to " + OLDEST_AGE_HIGH_WATERMARK_MS + " (" + oldestAgeHighWatermarkMs + ")");
        }
        requireRange(MAX_PROJECTED_DELAY_MS, maxProjectedDelayMs, 0, Long.MAX_VALUE);
        if (spoofDefaultAction == null || spoofDefaultAction == SpoofVerdict.PASS)
        {
            throw new InvalidSettingException(SPOOF_DEFAULT_ACTION, spoofDefaultAction, "expected SUSPECT, REFUSE or QUARANTINE");
        }
        protectedDomainActions = parseProtectedDomains(protectedDomains);
        blockedNetworks = parseBlocklist(blocklist);
        if (clock == null)
        {
            throw new InvalidSettingException("clock", null, "expected a clock");
        }
        if (nanoClock == null)
        {
            throw new InvalidSettingException("nanoClock", null, "expected a monotonic nano clock");
        }
        reputation.conclude();
        concluded = true;
        return this;
    }

    private Limit[][] concludeLimits()
    {
        final Limit[][] concluded = new Limit[KeyKind.values().length][Traffic.values().length];
        for (final KeyKind kind : KeyKind.values())
        {
            for (final Traffic traffic : Traffic.values())
            {
                final double rate = ratesPerSecond[kind.ordinal()][traffic.ordinal()];
                final long burst = bursts[kind.ordinal()][traffic.ordinal()];
                if (!kind.limits(traffic))
                {
                    concluded[kind.ordinal()][traffic.ordinal()] = Limit.UNLIMITED;
                    continue;
                }
                if (!Limit.isValidRate(rate))
                {
                    throw new InvalidSettingException(rateKey(kind, traffic), rate, Limit.RATE_EXPECTED);
                }
                if (rate > 0 && !Limit.isValidBurst(burst))
                {
                    throw new InvalidSettingException(burstKey(kind, traffic), burst, Limit.BURST_EXPECTED);
                }
                concluded[kind.ordinal()][traffic.ordinal()] = new Limit(rate, burst);
            }
        }
        return concluded;
    }

    private static void requireRange(final String key, final long value, final long min, final long max)
    {
        if (value < min || value > max)
        {
            throw new InvalidSettingException(key, value,
                max == Long.MAX_VALUE ? "expected at least " + min : "expected " + min + " to " + max);
        }
    }

    /** @return domain to its own action, or to null where it takes the default action; lower case, no trailing dot. */
    static Map<String, SpoofVerdict> parseProtectedDomains(final String list)
    {
        final Map<String, SpoofVerdict> domains = new LinkedHashMap<>();
        for (final String entry : split(list))
        {
            final int colon = entry.indexOf(':');
            final String domain = MailAddress.normalizeDomain(colon < 0 ? entry : entry.substring(0, colon).trim());
            SpoofVerdict action = null;
            if (colon >= 0)
            {
                final String actionText = entry.substring(colon + 1).trim().toUpperCase(Locale.ROOT);
                if (actionText.equals(SpoofVerdict.SUSPECT.name()) || actionText.equals(SpoofVerdict.REFUSE.name())
                    || actionText.equals(SpoofVerdict.QUARANTINE.name()))
                {
                    action = SpoofVerdict.valueOf(actionText);
                }
                else
                {
                    throw new InvalidSettingException(PROTECTED_DOMAINS, list,
                        "expected SUSPECT, REFUSE or QUARANTINE after the colon in '" + entry + "'");
                }
            }
            if (!SpoofPolicy.isDomain(domain))
            {
                throw new InvalidSettingException(PROTECTED_DOMAINS, list,
                    "expected comma-separated domains such as example.com or example.com:REFUSE; '" + entry
                    + "' is not a domain");
            }
            domains.put(domain, action);
        }
        return Collections.unmodifiableMap(domains);
    }

    private static List<Cidr> parseBlocklist(final String list)
    {
        final List<Cidr> networks = new ArrayList<>();
        for (final String entry : split(list))
        {
            networks.add(Cidr.parse(BLOCKLIST, entry));
        }
        return List.copyOf(networks);
    }

    private static List<String> split(final String list)
    {
        final List<String> entries = new ArrayList<>();
        if (list != null)
        {
            for (final String part : list.split(","))
            {
                if (!part.isBlank())
                {
                    entries.add(part.trim());
                }
            }
        }
        return entries;
    }

    private void checkMutable()
    {
        if (concluded)
        {
            throw new IllegalStateException("AdmissionContext is concluded and can no longer change");
        }
    }

    private static void checkLimits(final KeyKind kind, final Traffic traffic)
    {
        if (!kind.limits(traffic))
        {
            throw new IllegalArgumentException(kind + " buckets do not limit " + traffic);
        }
    }

    /**
     * Sets {@code <kind prefix>.<traffic rate suffix>}, e.g. {@code admission.ip.ratePerSecond}; 0 turns the limit off.
     *
     * @throws IllegalArgumentException if {@code kind} cannot limit {@code traffic} (see {@link KeyKind#limits}).
     */
    public AdmissionContext ratePerSecond(final KeyKind kind, final Traffic traffic, final double ratePerSecond)
    {
        checkMutable();
        checkLimits(kind, traffic);
        ratesPerSecond[kind.ordinal()][traffic.ordinal()] = ratePerSecond;
        return this;
    }

    public double ratePerSecond(final KeyKind kind, final Traffic traffic)
    {
        return ratesPerSecond[kind.ordinal()][traffic.ordinal()];
    }

    /**
     * Sets {@code <kind prefix>.<traffic burst suffix>}, e.g. {@code admission.ip.burst}.
     *
     * @throws IllegalArgumentException if {@code kind} cannot limit {@code traffic} (see {@link KeyKind#limits}).
     */
    public AdmissionContext burst(final KeyKind kind, final Traffic traffic, final long burst)
    {
        checkMutable();
        checkLimits(kind, traffic);
        bursts[kind.ordinal()][traffic.ordinal()] = burst;
        return this;
    }

    public long burst(final KeyKind kind, final Traffic traffic)
    {
        return bursts[kind.ordinal()][traffic.ordinal()];
    }

    /** @return the limit, resolved by {@link #conclude()}. */
    public Limit limit(final KeyKind kind, final Traffic traffic)
    {
        return limits[kind.ordinal()][traffic.ordinal()];
    }

    public AdmissionContext networkIpv4PrefixLength(final int prefixLength)
    {
        checkMutable();
        this.networkIpv4PrefixLength = prefixLength;
        return this;
    }

    public int networkIpv4PrefixLength()
    {
        return networkIpv4PrefixLength;
    }

    public AdmissionContext networkIpv6PrefixLength(final int prefixLength)
    {
        checkMutable();
        this.networkIpv6PrefixLength = prefixLength;
        return this;
    }

    public int networkIpv6PrefixLength()
    {
        return networkIpv6PrefixLength;
    }

    public AdmissionContext maxTrackedKeys(final int maxTrackedKeys)
    {
        checkMutable();
        this.maxTrackedKeys = maxTrackedKeys;
        return this;
    }

    public int maxTrackedKeys()
    {
        return maxTrackedKeys;
    }

    public AdmissionContext backlogHighWatermark(final long messages)
    {
        checkMutable();
        this.backlogHighWatermark = messages;
        return this;
    }

    public long backlogHighWatermark()
    {
        return backlogHighWatermark;
    }

    public AdmissionContext backlogLowWatermark(final long messages)
    {
        checkMutable();
        this.backlogLowWatermark = messages;
        return this;
    }

    public long backlogLowWatermark()
    {
        return backlogLowWatermark;
    }

    public AdmissionContext backlogHardLimit(final long messages)
    {
        checkMutable();
        this.backlogHardLimit = messages;
        return this;
    }

    public long backlogHardLimit()
    {
        return backlogHardLimit;
    }

    public AdmissionContext oldestAgeHighWatermarkMs(final long ageMs)
    {
        checkMutable();
        this.oldestAgeHighWatermarkMs = ageMs;
        return this;
    }

    public long oldestAgeHighWatermarkMs()
    {
        return oldestAgeHighWatermarkMs;
    }

    public AdmissionContext oldestAgeLowWatermarkMs(final long ageMs)
    {
        checkMutable();
        this.oldestAgeLowWatermarkMs = ageMs;
        return this;
    }

    public long oldestAgeLowWatermarkMs()
    {
        return oldestAgeLowWatermarkMs;
    }

    public AdmissionContext maxProjectedDelayMs(final long delayMs)
    {
        checkMutable();
        this.maxProjectedDelayMs = delayMs;
        return this;
    }

    public long maxProjectedDelayMs()
    {
        return maxProjectedDelayMs;
    }

    /** @param list comma-separated domains, each optionally with {@code :SUSPECT} or {@code :REFUSE}; parsed at conclude. */
    public AdmissionContext protectedDomains(final String list)
    {
        checkMutable();
        this.protectedDomains = list;
        return this;
    }

    public String protectedDomains()
    {
        return protectedDomains;
    }

    /** @return each protected domain with its own action, or null where it takes the default; set by {@link #conclude()}. */
    public Map<String, SpoofVerdict> protectedDomainActions()
    {
        return protectedDomainActions;
    }

    public AdmissionContext spoofDefaultAction(final SpoofVerdict action)
    {
        checkMutable();
        this.spoofDefaultAction = action;
        return this;
    }

    public SpoofVerdict spoofDefaultAction()
    {
        return spoofDefaultAction;
    }

    /** @param list comma-separated networks blocked permanently, parsed by {@link #conclude()}. */
    public AdmissionContext blocklist(final String list)
    {
        checkMutable();
        this.blocklist = list;
        return this;
    }

    public String blocklist()
    {
        return blocklist;
    }

    /** @return the blocklist's networks, parsed by {@link #conclude()}. */
    public List<Cidr> blockedNetworks()
    {
        return blockedNetworks;
    }

    /** @param stateFile where state is kept across restarts; null disables persistence. */
    public AdmissionContext stateFile(final Path stateFile)
    {
        checkMutable();
        this.stateFile = stateFile;
        return this;
    }

    /** @return the settings of reputation, class buckets and pressure tiers; set them before {@link #conclude()}. */
    public ReputationSettings reputation()
    {
        return reputation;
    }

    public Path stateFile()
    {
        return stateFile;
    }

    /** The wall clock: block expiry and the age of a saved state file. Tests inject one they can move. */
    public AdmissionContext clock(final Clock clock)
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
     * The monotonic clock every token bucket refills by. It is not the wall clock because a wall clock stepped
     * back by NTP would freeze every bucket's refill until it caught up again. Tests inject one they can move.
     */
    public AdmissionContext nanoClock(final NanoClock nanoClock)
    {
        checkMutable();
        this.nanoClock = nanoClock;
        return this;
    }

    public NanoClock nanoClock()
    {
        return nanoClock;
    }
}
