package io.sluice.admission;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.sluice.config.Concludable;
import io.sluice.config.InvalidSettingException;
import io.sluice.config.Setting;
import io.sluice.net.Cidr;
import io.sluice.net.MailAddress;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * Admission's settings: each key declared once ({@link Setting}: default, range, the reference's line), a fluent
 * setter, and one {@link #conclude()} that validates them all and names the key of the first bad one.
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
public final class AdmissionContext extends Concludable
{
    private static final String SPOOF_ACTIONS = "SUSPECT, REFUSE or QUARANTINE";
    private static final String AUTO = "auto";
    private static final String AUTO_OR = "auto or ";

    /** Networks are keyed by this many leading bits of an IPv4 address: a /24 is one customer or one botnet's subnet. */
    public static final Setting<Integer> NETWORK_IPV4_PREFIX_LENGTH =
        Setting.ofInt("admission.network.ipv4PrefixLength", 24).range(8, 32)
            .doc("Networks are keyed by this many leading bits of an IPv4 address: a /24 is one customer or one botnet's "
                + "subnet.")
            .build();

    /** An IPv6 /64 is one end site's LAN (RFC 6177 assigns /56 to /48 per site), so one host may hold all of it. */
    public static final Setting<Integer> NETWORK_IPV6_PREFIX_LENGTH =
        Setting.ofInt("admission.network.ipv6PrefixLength", 64).range(16, 128)
            .doc("An IPv6 /64 is one end site's LAN (RFC 6177 assigns /56 to /48 per site), so one host may hold all of it.")
            .build();

    /**
     * The most keys (addresses, networks, domains, tenants) with a bucket at once. Buckets that have refilled
     * to full carry no information and are dropped first; memory stays bounded however many sources a flood
     * uses (a botnet: thousands of IPs).
     */
    public static final Setting<Integer> MAX_TRACKED_KEYS = Setting.ofInt("admission.maxTrackedKeys", 1_000_000)
        .range(16, 100_000_000)
        .doc("Bounded memory: at most this many tracked keys; idle, full buckets are dropped first.")
        .build();

    /**
     * Pending messages above which new connections and messages are refused until the backlog drops; {@code auto}
     * (the default) derives it from what the appliance can hold: see {@link BacklogWatermarks}.
     */
    public static final Setting<String> BACKLOG_HIGH_WATERMARK = backlogSetting("admission.backlog.highWatermark", 1)
        .doc("Backpressure on the pending backlog (messages), with hysteresis: on above high, off below low. `auto`: two "
            + "thirds of the hard limit's `auto`.")
        .build();

    /** Backpressure, once on, stays on until the backlog is below this (hysteresis: no flapping at the mark). */
    public static final Setting<String> BACKLOG_LOW_WATERMARK = backlogSetting("admission.backlog.lowWatermark", 0)
        .checkedWith("at most admission.backlog.highWatermark (a configured low above an `auto` high is held at it)")
        .doc("Backpressure, once on, stays on until the backlog is below this (hysteresis: no flapping at the mark). "
            + "`auto`: half the high watermark.")
        .build();

    /**
     * Trusted sources (the appliance's own notifications, the tenants' relays) are admitted through
     * backpressure until the backlog reaches this: a reserved share, so a customer flood never silences
     * alerts (about a suspended customer route, say). {@code auto}: the most the appliance can hold.
     */
    public static final Setting<String> BACKLOG_HARD_LIMIT = backlogSetting("admission.backlog.hardLimit", 1)
        .checkedWith("at least admission.backlog.highWatermark")
        .doc("Trusted sources (notifications) keep getting in until this: their reserved share. `auto`: the most the "
            + "appliance can hold, the least of the spool's disk above its reserve (at the pending messages' average "
            + "size, 4.5 KiB until 1,000 are pending), the pending index's direct memory at 64 B a message, and the "
            + "drain's configured rates times `drain.maxQueueLifetimeMs`; derived again every 10 s.")
        .build();

    /**
     * Age of the oldest pending message above which backpressure turns on; 0 turns the age watermark off,
     * the default, because a spool's oldest message is often one deferred by the upstream for days (RFC 5321
     * section 4.5.4.1 retries for 4-5 days), which must not shut ingress. Set it only if the pressure source
     * reports the oldest message still waiting for its first attempt.
     */
    public static final Setting<Long> OLDEST_AGE_HIGH_WATERMARK_MS =
        Setting.ofLong("admission.oldestAge.highWatermarkMs", 0).atLeast(0)
            .doc("Backpressure on the oldest pending message's age; 0 = off (a message deferred for days is normal).")
            .build();

    public static final Setting<Long> OLDEST_AGE_LOW_WATERMARK_MS = Setting.ofLong("admission.oldestAge.lowWatermarkMs", 0)
        .checkedWith("0 to admission.oldestAge.highWatermarkMs, while that is above 0")
        .doc("Once on, age backpressure stays on until the oldest pending message is younger than this.")
        .build();

    /**
     * A message that would wait longer than this behind the backlog on its lane is refused with a 4xx, so the
     * sender keeps it and retries, rather than the appliance holding it for hours (an operator's "the delay is
     * still 6 hours"). 0 turns the bound off. Changeable live through {@link Admission#setMaxProjectedDelayMs}.
     */
    public static final Setting<Long> MAX_PROJECTED_DELAY_MS =
        Setting.ofLong("admission.maxProjectedDelayMs", TimeUnit.MINUTES.toMillis(15)).atLeast(0)
            .doc("A new message that would wait longer than this behind the backlog gets 451 4.3.2 (0 = off).")
            .build();

    /**
     * Comma-separated domains whose envelope senders may only come from the trusted networks, each optionally
     * with its own action: {@code example.com, payroll.example.com:REFUSE}. A domain covers its subdomains.
     */
    public static final Setting<String> PROTECTED_DOMAINS = Setting.ofString("admission.protectedDomains", "")
        .expecting("comma-separated domains, each optionally with :SUSPECT, :REFUSE or :QUARANTINE, or empty")
        .derivedFrom("`relay.domains`")
        .doc("Domains only the trusted networks may use as envelope sender (empty = the relay domains), each with an "
            + "optional action: example.com, payroll.example.com:SUSPECT. REFUSE = 550 5.7.1 at RCPT; SUSPECT = accept "
            + "into the slow suspect lane.")
        .build();

    /**
     * What a spoof of a protected domain (or sender equal to recipient) gets when its domain names none. REFUSE by
     * default: accepted spoofs went on to the provider, which refused them as policy violations charged to the
     * appliance's account (the road to a suspended account); a 550 in-session costs nobody anything.
     */
    public static final Setting<SpoofVerdict> SPOOF_DEFAULT_ACTION = Setting.ofEnum("admission.spoof.defaultAction",
            SpoofVerdict.class, SpoofVerdict.REFUSE, SPOOF_ACTIONS)
        .doc("What a spoof of a protected domain (or sender equal to recipient) gets when its domain names none: a "
            + "forwarded spoof is a policy rejection charged to the provider account. `REFUSE` (550 5.7.1 at RCPT), "
            + "`SUSPECT` (accepted into the slow suspect lane) or `QUARANTINE` (accepted and kept in the spool, never "
            + "delivered until an operator releases it: `sluice quarantine`).")
        .build();

    /** Comma-separated networks refused at connect ({@code 554 5.7.1}); blocks added at run time are kept in the state file. */
    public static final Setting<String> BLOCKLIST = Setting.ofString("admission.blocklist", "")
        .expecting("comma-separated CIDRs, or empty")
        .doc("Networks refused at connect with 554 5.7.1 (comma-separated CIDRs).")
        .build();

    /**
     * Where bucket state, run-time blocks and per-key overrides are kept across restarts, so a flooding source
     * does not get a fresh burst from a restart; the daemon puts it in the spool directory when empty.
     */
    public static final Setting<String> STATE_FILE = Setting.ofString("admission.stateFile", "")
        .derivedFrom("`<spool.directory>/admission.state`")
        .doc("Bucket state, run-time blocks and overrides across restarts.")
        .build();

    /**
     * The keys declared once, in the order of the configuration reference. The rate and burst of each bucket kind
     * ({@link #rateKey}, {@link #burstKey}) are a table of their own and are not in this list.
     */
    public static final List<Setting<?>> SETTINGS = List.of(NETWORK_IPV4_PREFIX_LENGTH, NETWORK_IPV6_PREFIX_LENGTH,
        MAX_TRACKED_KEYS, BACKLOG_HIGH_WATERMARK, BACKLOG_LOW_WATERMARK, BACKLOG_HARD_LIMIT, OLDEST_AGE_HIGH_WATERMARK_MS,
        OLDEST_AGE_LOW_WATERMARK_MS, MAX_PROJECTED_DELAY_MS, PROTECTED_DOMAINS, SPOOF_DEFAULT_ACTION, BLOCKLIST, STATE_FILE);

    /** Where the state file goes when the context is not told ({@link #STATE_FILE} is the daemon's key for it). */
    public static final String DEFAULT_STATE_FILE = "admission.state";

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
    private int networkIpv4PrefixLength = NETWORK_IPV4_PREFIX_LENGTH.defaultValue();
    private int networkIpv6PrefixLength = NETWORK_IPV6_PREFIX_LENGTH.defaultValue();
    private int maxTrackedKeys = MAX_TRACKED_KEYS.defaultValue();
    private long backlogHighWatermark = BacklogWatermarks.AUTO;
    private long backlogLowWatermark = BacklogWatermarks.AUTO;
    private long backlogHardLimit = BacklogWatermarks.AUTO;
    private long oldestAgeHighWatermarkMs = OLDEST_AGE_HIGH_WATERMARK_MS.defaultValue();
    private long oldestAgeLowWatermarkMs = OLDEST_AGE_LOW_WATERMARK_MS.defaultValue();
    private long maxProjectedDelayMs = MAX_PROJECTED_DELAY_MS.defaultValue();
    private String protectedDomains = PROTECTED_DOMAINS.defaultValue();
    private SpoofVerdict spoofDefaultAction = SPOOF_DEFAULT_ACTION.defaultValue();
    private String blocklist = BLOCKLIST.defaultValue();
    private Path stateFile = Path.of(DEFAULT_STATE_FILE);
    private Clock clock = Clock.systemUTC();
    private NanoClock nanoClock = SystemNanoClock.INSTANCE;
    private final ReputationSettings reputation = new ReputationSettings();
    private Limit[][] limits;
    private Map<String, SpoofVerdict> protectedDomainActions;
    private List<Cidr> blockedNetworks;

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
        NETWORK_IPV4_PREFIX_LENGTH.validate(networkIpv4PrefixLength);
        NETWORK_IPV6_PREFIX_LENGTH.validate(networkIpv6PrefixLength);
        MAX_TRACKED_KEYS.validate(maxTrackedKeys);
        concludeBacklog();
        OLDEST_AGE_HIGH_WATERMARK_MS.validate(oldestAgeHighWatermarkMs);
        if (oldestAgeHighWatermarkMs > 0 && (oldestAgeLowWatermarkMs < 0 || oldestAgeLowWatermarkMs > oldestAgeHighWatermarkMs))
        {
            throw OLDEST_AGE_LOW_WATERMARK_MS.invalid(oldestAgeLowWatermarkMs,
                "0 to " + OLDEST_AGE_HIGH_WATERMARK_MS + " (" + oldestAgeHighWatermarkMs + ")");
        }
        MAX_PROJECTED_DELAY_MS.validate(maxProjectedDelayMs);
        if (spoofDefaultAction == null || spoofDefaultAction == SpoofVerdict.PASS)
        {
            throw SPOOF_DEFAULT_ACTION.invalid(spoofDefaultAction, SPOOF_ACTIONS);
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
        markConcluded();
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
                    throw new InvalidSettingException(PROTECTED_DOMAINS.key(), list,
                        "expected SUSPECT, REFUSE or QUARANTINE after the colon in '" + entry + "'");
                }
            }
            if (!SpoofPolicy.isDomain(domain))
            {
                throw new InvalidSettingException(PROTECTED_DOMAINS.key(), list,
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
            networks.add(Cidr.parse(BLOCKLIST.key(), entry));
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

    private void concludeBacklog()
    {
        final boolean highAuto = backlogHighWatermark == BacklogWatermarks.AUTO;
        if (!highAuto && backlogHighWatermark < 1)
        {
            throw BACKLOG_HIGH_WATERMARK.invalid(backlogHighWatermark, AUTO_OR + "at least 1");
        }
        if (backlogLowWatermark != BacklogWatermarks.AUTO
            && (backlogLowWatermark < 0 || !highAuto && backlogLowWatermark > backlogHighWatermark))
        {
            throw BACKLOG_LOW_WATERMARK.invalid(backlogLowWatermark,
                AUTO_OR + "0 to " + BACKLOG_HIGH_WATERMARK + (highAuto ? "" : " (" + backlogHighWatermark + ")"));
        }
        if (backlogHardLimit != BacklogWatermarks.AUTO && (backlogHardLimit < 1 || backlogHardLimit < backlogHighWatermark))
        {
            throw BACKLOG_HARD_LIMIT.invalid(backlogHardLimit,
                AUTO_OR + "at least " + BACKLOG_HIGH_WATERMARK + (highAuto ? " and 1" : " (" + backlogHighWatermark + ")"));
        }
    }

    /**
     * @param text an {@code admission.backlog.*} value, as its setting checked it.
     * @return the number, or {@link BacklogWatermarks#AUTO} for {@code auto}.
     */
    public static long backlogValue(final String text)
    {
        return AUTO.equalsIgnoreCase(text.trim()) ? BacklogWatermarks.AUTO : Long.parseLong(text.trim().replace("_", ""));
    }

    private static Setting.Builder<String> backlogSetting(final String key, final long min)
    {
        return Setting.ofString(key, AUTO).check(text -> isBacklogValue(text, min), AUTO_OR + "a whole number of at least "
            + min);
    }

    private static boolean isBacklogValue(final String text, final long min)
    {
        if (AUTO.equalsIgnoreCase(text.trim()))
        {
            return true;
        }
        try
        {
            return backlogValue(text) >= min;
        }
        catch (final NumberFormatException ex)
        {
            return false;
        }
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
