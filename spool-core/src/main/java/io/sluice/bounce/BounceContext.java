package io.sluice.bounce;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.sluice.config.InvalidSettingException;
import io.sluice.net.Cidr;
import io.sluice.net.MailAddress;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * The bounce policy's settings: each has its configuration key and default side by side, a fluent setter, and one
 * {@link #conclude()} that validates them all and names the key of the first bad one. Rates of 0 turn a limit off.
 */
public final class BounceContext
{
    /**
     * Domains a sender from outside the trusted networks may not claim (the appliance's own, its customers'):
     * comma-separated, subdomains included. Admission's {@code admission.protectedDomains} value can be passed as
     * is: a {@code :SUSPECT} or {@code :REFUSE} suffix is accepted and ignored, since a bounce to a forged sender is
     * wrong whatever admission did with the message.
     */
    public static final String PROTECTED_DOMAINS = "bounce.protectedDomains";
    public static final String DEFAULT_PROTECTED_DOMAINS = "";

    /** Sources whose senders are not forged: the appliance's own and its tenants' relays (CIDRs, comma-separated). */
    public static final String TRUSTED_NETWORKS = "bounce.trustedNetworks";
    public static final String DEFAULT_TRUSTED_NETWORKS = "";

    /** Lanes only trusted sources reach: mail in them counts as from a trusted network whatever its source key. */
    public static final String TRUSTED_LANES = "bounce.trustedLanes";
    public static final String DEFAULT_TRUSTED_LANES = "notifications";

    /** Lanes admission puts the spoof pattern in: mail in them is never bounced (backscatter). */
    public static final String SUSPECT_LANES = "bounce.suspectLanes";
    public static final String DEFAULT_SUSPECT_LANES = "suspect";

    /** The lane DSNs are appended to, with its own drain rate; a message in it never bounces. */
    public static final String LANE = "bounce.lane";
    public static final String DEFAULT_LANE = "bounces";

    /**
     * Whether a {@code 5.7.x} rejection (policy, spam, malware) bounces. Off: such mail is what a flood carries, its
     * sender is forged far more often than not, and the real sender's MTA never learns anything useful from it.
     */
    public static final String POLICY_FAILURES_BOUNCE = "bounce.policyFailuresBounce";
    public static final boolean DEFAULT_POLICY_FAILURES_BOUNCE = false;

    /** How long an address that hard-bounced stays on the suppression list; 0 turns the list off. */
    public static final String SUPPRESSION_EXPIRY_MS = "bounce.suppression.expiryMs";
    public static final long DEFAULT_SUPPRESSION_EXPIRY_MS = TimeUnit.DAYS.toMillis(7);

    /** The most addresses on the suppression list; the oldest go first. */
    /**
     * How long quarantined mail (a demoted network's, or spoofed mail with the {@code quarantine} action) waits for an
     * operator before it fails and goes through this policy like any permanent failure. A week: long enough for an
     * operator back from a weekend to look at it and release what was legitimate, short enough that a flood's
     * quarantine does not fill the spool's disk for good.
     */
    public static final String QUARANTINE_EXPIRY_MS = "quarantine.expiryMs";
    public static final long DEFAULT_QUARANTINE_EXPIRY_MS = TimeUnit.DAYS.toMillis(7);

    public static final String SUPPRESSION_MAX_ENTRIES = "bounce.suppression.maxEntries";
    public static final int DEFAULT_SUPPRESSION_MAX_ENTRIES = 100_000;

    /** Bounces per hour to one bounce recipient (the original sender), and its burst. */
    public static final String RECIPIENT_RATE_PER_HOUR = "bounce.recipient.ratePerHour";
    public static final long DEFAULT_RECIPIENT_RATE_PER_HOUR = 20;
    public static final String RECIPIENT_BURST = "bounce.recipient.burst";
    public static final long DEFAULT_RECIPIENT_BURST = 5;

    /** Bounces per hour to one bounce recipient domain, and its burst. */
    public static final String DOMAIN_RATE_PER_HOUR = "bounce.domain.ratePerHour";
    public static final long DEFAULT_DOMAIN_RATE_PER_HOUR = 600;
    public static final String DOMAIN_BURST = "bounce.domain.burst";
    public static final long DEFAULT_DOMAIN_BURST = 50;

    /**
     * Bounces over the budget window may be at most this fraction of the messages accepted over the same window
     * (or {@link #BUDGET_MINIMUM}, whichever is more). Bouncing all blocked mail is 100%; a flood that slips every other rule
     * still cannot make the appliance send more than 1% of its intake as backscatter.
     */
    public static final String BUDGET_FRACTION = "bounce.budget.fraction";
    public static final double DEFAULT_BUDGET_FRACTION = 0.01;

    public static final String BUDGET_WINDOW_MS = "bounce.budget.windowMs";
    public static final long DEFAULT_BUDGET_WINDOW_MS = TimeUnit.HOURS.toMillis(1);

    /** Bounces always allowed per budget window, so a quiet appliance still bounces its few real failures. */
    public static final String BUDGET_MINIMUM = "bounce.budget.minimum";
    public static final long DEFAULT_BUDGET_MINIMUM = 10;

    /** Identical bounces (same bounce recipient, failed recipient and status) within this collapse into one; 0: off. */
    public static final String DEDUP_WINDOW_MS = "bounce.dedup.windowMs";
    public static final long DEFAULT_DEDUP_WINDOW_MS = TimeUnit.HOURS.toMillis(1);

    /**
     * The most keys with a rate bucket (recipients, domains) and the most remembered bounces for dedup, each. A
     * forgotten key starts with a full bucket; the global budget still caps the total, so memory stays bounded
     * however many forged senders a flood uses.
     */
    public static final String MAX_TRACKED_KEYS = "bounce.maxTrackedKeys";
    public static final int DEFAULT_MAX_TRACKED_KEYS = 100_000;

    /** How many recent suppressions an operator can list. */
    public static final String RECENT_SUPPRESSIONS = "bounce.recentSuppressions";
    public static final int DEFAULT_RECENT_SUPPRESSIONS = 1000;

    /** Where a budget alert goes (through the notifications lane); empty: alerts are only logged and counted. */
    public static final String OPERATOR_ADDRESS = "bounce.operatorAddress";
    public static final String DEFAULT_OPERATOR_ADDRESS = "";

    /**
     * Where the suppression list, the dedup table and the budget window are kept across restarts, so a restart in the
     * middle of a flood neither forgets who hard-bounced nor hands the flood a fresh budget. Null (the library's
     * default): kept in memory only. The daemon puts it in the spool directory.
     */
    public static final String STATE_FILE = "bounce.stateFile";

    /** The appliance's host name, written as the DSN's {@code Reporting-MTA} and in its addresses. */
    public static final String REPORTING_MTA = "bounce.reportingMta";
    public static final String DEFAULT_REPORTING_MTA = "localhost";

    /** The most bytes of the original header a DSN returns; longer headers are cut at a line end. */
    public static final String DSN_MAX_HEADER_BYTES = "bounce.dsn.maxHeaderBytes";
    public static final int DEFAULT_DSN_MAX_HEADER_BYTES = 64 << 10;

    static final long MAX_RATE_PER_HOUR = 1_000_000_000L;
    private static final long MAX_WINDOW_MS = TimeUnit.DAYS.toMillis(365);

    private String protectedDomains = DEFAULT_PROTECTED_DOMAINS;
    private String trustedNetworks = DEFAULT_TRUSTED_NETWORKS;
    private String trustedLanes = DEFAULT_TRUSTED_LANES;
    private String suspectLanes = DEFAULT_SUSPECT_LANES;
    private String lane = DEFAULT_LANE;
    private boolean policyFailuresBounce = DEFAULT_POLICY_FAILURES_BOUNCE;
    private long suppressionExpiryMs = DEFAULT_SUPPRESSION_EXPIRY_MS;
    private long quarantineExpiryMs = DEFAULT_QUARANTINE_EXPIRY_MS;
    private int suppressionMaxEntries = DEFAULT_SUPPRESSION_MAX_ENTRIES;
    private long recipientRatePerHour = DEFAULT_RECIPIENT_RATE_PER_HOUR;
    private long recipientBurst = DEFAULT_RECIPIENT_BURST;
    private long domainRatePerHour = DEFAULT_DOMAIN_RATE_PER_HOUR;
    private long domainBurst = DEFAULT_DOMAIN_BURST;
    private double budgetFraction = DEFAULT_BUDGET_FRACTION;
    private long budgetWindowMs = DEFAULT_BUDGET_WINDOW_MS;
    private long budgetMinimum = DEFAULT_BUDGET_MINIMUM;
    private long dedupWindowMs = DEFAULT_DEDUP_WINDOW_MS;
    private int maxTrackedKeys = DEFAULT_MAX_TRACKED_KEYS;
    private int recentSuppressions = DEFAULT_RECENT_SUPPRESSIONS;
    private String operatorAddress = DEFAULT_OPERATOR_ADDRESS;
    private String reportingMta = DEFAULT_REPORTING_MTA;
    private int dsnMaxHeaderBytes = DEFAULT_DSN_MAX_HEADER_BYTES;
    private Path stateFile;
    private Clock clock = Clock.systemUTC();
    private NanoClock nanoClock = SystemNanoClock.INSTANCE;

    private Set<String> protectedDomainSet = Set.of();
    private List<Cidr> trustedNetworkList = List.of();
    private Set<String> trustedLaneSet = Set.of();
    private Set<String> suspectLaneSet = Set.of();
    private boolean concluded;

    /**
     * Validates every setting; idempotent.
     *
     * @return this, frozen.
     * @throws InvalidSettingException naming the first setting that cannot work.
     */
    public BounceContext conclude()
    {
        if (concluded)
        {
            return this;
        }
        protectedDomainSet = parseProtectedDomains(protectedDomains);
        trustedNetworkList = parseNetworks(trustedNetworks);
        trustedLaneSet = parseLanes(TRUSTED_LANES, trustedLanes);
        suspectLaneSet = parseLanes(SUSPECT_LANES, suspectLanes);
        if (lane == null || parseLanes(LANE, lane).size() != 1)
        {
            throw new InvalidSettingException(LANE, lane, "expected one lane name such as bounces");
        }
        if (trustedLaneSet.contains(lane) || suspectLaneSet.contains(lane))
        {
            throw new InvalidSettingException(LANE, lane, "expected a lane of its own, not a trusted or suspect lane");
        }
        requireRange(SUPPRESSION_EXPIRY_MS, suppressionExpiryMs, 0, MAX_WINDOW_MS);
        requireRange(QUARANTINE_EXPIRY_MS, quarantineExpiryMs, 60_000, MAX_WINDOW_MS);
        requireRange(SUPPRESSION_MAX_ENTRIES, suppressionMaxEntries, 1, 10_000_000);
        checkLimit(RECIPIENT_RATE_PER_HOUR, recipientRatePerHour, RECIPIENT_BURST, recipientBurst);
        checkLimit(DOMAIN_RATE_PER_HOUR, domainRatePerHour, DOMAIN_BURST, domainBurst);
        if (!(budgetFraction >= 0 && budgetFraction <= 1))
        {
            throw new InvalidSettingException(BUDGET_FRACTION, budgetFraction, "expected 0.0 to 1.0");
        }
        requireRange(BUDGET_WINDOW_MS, budgetWindowMs, 60_000, MAX_WINDOW_MS);
        requireRange(BUDGET_MINIMUM, budgetMinimum, 0, Long.MAX_VALUE);
        requireRange(DEDUP_WINDOW_MS, dedupWindowMs, 0, MAX_WINDOW_MS);
        requireRange(MAX_TRACKED_KEYS, maxTrackedKeys, 1, 10_000_000);
        requireRange(RECENT_SUPPRESSIONS, recentSuppressions, 1, 1_000_000);
        if (operatorAddress == null || (!operatorAddress.isEmpty() && !Addresses.isMailbox(operatorAddress)))
        {
            throw new InvalidSettingException(OPERATOR_ADDRESS, operatorAddress,
                "expected empty (no alert mail) or a mailbox such as postmaster@example.com");
        }
        if (reportingMta == null || !Addresses.isDomain(reportingMta) || !Addresses.isAscii(reportingMta))
        {
            throw new InvalidSettingException(REPORTING_MTA, reportingMta, "expected the appliance's host name");
        }
        requireRange(DSN_MAX_HEADER_BYTES, dsnMaxHeaderBytes, 1024, 1 << 20);
        if (clock == null)
        {
            throw new InvalidSettingException("clock", null, "expected a clock");
        }
        if (nanoClock == null)
        {
            throw new InvalidSettingException("nanoClock", null, "expected a monotonic clock");
        }
        concluded = true;
        return this;
    }

    private static void requireRange(final String key, final long value, final long min, final long max)
    {
        if (value < min || value > max)
        {
            throw new InvalidSettingException(key, value,
                max == Long.MAX_VALUE ? "expected at least " + min : "expected " + min + " to " + max);
        }
    }

    private static void checkLimit(final String rateKey, final long ratePerHour, final String burstKey, final long burst)
    {
        requireRange(rateKey, ratePerHour, 0, MAX_RATE_PER_HOUR);
        if (ratePerHour > 0)
        {
            requireRange(burstKey, burst, 1, MAX_RATE_PER_HOUR);
        }
    }

    static Set<String> parseProtectedDomains(final String list)
    {
        if (list == null)
        {
            throw new InvalidSettingException(PROTECTED_DOMAINS, null, "expected comma-separated domains, or empty");
        }
        final Set<String> domains = new LinkedHashSet<>();
        for (final String entry : split(list))
        {
            final int colon = entry.indexOf(':');
            if (colon >= 0)
            {
                final String action = entry.substring(colon + 1).trim().toUpperCase(Locale.ROOT);
                if (!action.equals("SUSPECT") && !action.equals("REFUSE"))
                {
                    throw new InvalidSettingException(PROTECTED_DOMAINS, list,
                        "expected SUSPECT or REFUSE after the colon in '" + entry + "'");
                }
            }
            final String domain = MailAddress.normalizeDomain(colon < 0 ? entry : entry.substring(0, colon));
            if (!Addresses.isDomain(domain))
            {
                throw new InvalidSettingException(PROTECTED_DOMAINS, list,
                    "expected comma-separated domains such as example.com; '" + entry + "' is not a domain");
            }
            domains.add(domain);
        }
        return Set.copyOf(domains);
    }

    private static List<Cidr> parseNetworks(final String list)
    {
        if (list == null)
        {
            throw new InvalidSettingException(TRUSTED_NETWORKS, null, "expected comma-separated CIDRs, or empty");
        }
        final List<Cidr> networks = new ArrayList<>();
        for (final String entry : split(list))
        {
            networks.add(Cidr.parse(TRUSTED_NETWORKS, entry));
        }
        return List.copyOf(networks);
    }

    private static Set<String> parseLanes(final String key, final String list)
    {
        if (list == null)
        {
            throw new InvalidSettingException(key, null, "expected comma-separated lane names, or empty");
        }
        final Set<String> lanes = new LinkedHashSet<>();
        for (final String entry : split(list))
        {
            if (!entry.chars().allMatch(c -> c > ' ' && c < 0x7F && c != ':'))
            {
                throw new InvalidSettingException(key, list, "expected lane names such as notifications; '" + entry + "' is not");
            }
            lanes.add(entry);
        }
        return Set.copyOf(lanes);
    }

    private static List<String> split(final String list)
    {
        final List<String> entries = new ArrayList<>();
        for (final String part : list.split(","))
        {
            if (!part.isBlank())
            {
                entries.add(part.trim());
            }
        }
        return entries;
    }

    private void checkMutable()
    {
        if (concluded)
        {
            throw new IllegalStateException("BounceContext is concluded and can no longer change");
        }
    }

    public boolean isConcluded()
    {
        return concluded;
    }

    /** @param list comma-separated domains; parsed by {@link #conclude()}. */
    public BounceContext protectedDomains(final String list)
    {
        checkMutable();
        this.protectedDomains = list;
        return this;
    }

    public String protectedDomains()
    {
        return protectedDomains;
    }

    /** @return the protected domains, lower case without a trailing dot; set by {@link #conclude()}. */
    public Set<String> protectedDomainSet()
    {
        return protectedDomainSet;
    }

    /** @param list comma-separated CIDRs; parsed by {@link #conclude()}. */
    public BounceContext trustedNetworks(final String list)
    {
        checkMutable();
        this.trustedNetworks = list;
        return this;
    }

    /** Sets the trusted networks from parsed CIDRs, e.g. the ingress's {@code relay.trustedNetworks}. */
    public BounceContext trustedNetworks(final List<Cidr> networks)
    {
        final StringBuilder list = new StringBuilder();
        for (final Cidr network : networks)
        {
            list.append(list.length() == 0 ? "" : ",").append(network);
        }
        return trustedNetworks(list.toString());
    }

    public String trustedNetworks()
    {
        return trustedNetworks;
    }

    /** @return the trusted networks, parsed by {@link #conclude()}. */
    public List<Cidr> trustedNetworkList()
    {
        return trustedNetworkList;
    }

    public BounceContext trustedLanes(final String list)
    {
        checkMutable();
        this.trustedLanes = list;
        return this;
    }

    public String trustedLanes()
    {
        return trustedLanes;
    }

    /** @return set by {@link #conclude()}. */
    public Set<String> trustedLaneSet()
    {
        return trustedLaneSet;
    }

    public BounceContext suspectLanes(final String list)
    {
        checkMutable();
        this.suspectLanes = list;
        return this;
    }

    public String suspectLanes()
    {
        return suspectLanes;
    }

    /** @return set by {@link #conclude()}. */
    public Set<String> suspectLaneSet()
    {
        return suspectLaneSet;
    }

    public BounceContext lane(final String lane)
    {
        checkMutable();
        this.lane = lane;
        return this;
    }

    public String lane()
    {
        return lane;
    }

    public BounceContext policyFailuresBounce(final boolean policyFailuresBounce)
    {
        checkMutable();
        this.policyFailuresBounce = policyFailuresBounce;
        return this;
    }

    public boolean policyFailuresBounce()
    {
        return policyFailuresBounce;
    }

    public BounceContext suppressionExpiryMs(final long suppressionExpiryMs)
    {
        checkMutable();
        this.suppressionExpiryMs = suppressionExpiryMs;
        return this;
    }

    public long suppressionExpiryMs()
    {
        return suppressionExpiryMs;
    }

    public BounceContext quarantineExpiryMs(final long expiryMs)
    {
        checkMutable();
        this.quarantineExpiryMs = expiryMs;
        return this;
    }

    /** @return see {@link #QUARANTINE_EXPIRY_MS}. */
    public long quarantineExpiryMs()
    {
        return quarantineExpiryMs;
    }

    public BounceContext suppressionMaxEntries(final int suppressionMaxEntries)
    {
        checkMutable();
        this.suppressionMaxEntries = suppressionMaxEntries;
        return this;
    }

    public int suppressionMaxEntries()
    {
        return suppressionMaxEntries;
    }

    public BounceContext recipientRatePerHour(final long recipientRatePerHour)
    {
        checkMutable();
        this.recipientRatePerHour = recipientRatePerHour;
        return this;
    }

    public long recipientRatePerHour()
    {
        return recipientRatePerHour;
    }

    public BounceContext recipientBurst(final long recipientBurst)
    {
        checkMutable();
        this.recipientBurst = recipientBurst;
        return this;
    }

    public long recipientBurst()
    {
        return recipientBurst;
    }

    public BounceContext domainRatePerHour(final long domainRatePerHour)
    {
        checkMutable();
        this.domainRatePerHour = domainRatePerHour;
        return this;
    }

    public long domainRatePerHour()
    {
        return domainRatePerHour;
    }

    public BounceContext domainBurst(final long domainBurst)
    {
        checkMutable();
        this.domainBurst = domainBurst;
        return this;
    }

    public long domainBurst()
    {
        return domainBurst;
    }

    public BounceContext budgetFraction(final double budgetFraction)
    {
        checkMutable();
        this.budgetFraction = budgetFraction;
        return this;
    }

    public double budgetFraction()
    {
        return budgetFraction;
    }

    public BounceContext budgetWindowMs(final long budgetWindowMs)
    {
        checkMutable();
        this.budgetWindowMs = budgetWindowMs;
        return this;
    }

    public long budgetWindowMs()
    {
        return budgetWindowMs;
    }

    public BounceContext budgetMinimum(final long budgetMinimum)
    {
        checkMutable();
        this.budgetMinimum = budgetMinimum;
        return this;
    }

    public long budgetMinimum()
    {
        return budgetMinimum;
    }

    public BounceContext dedupWindowMs(final long dedupWindowMs)
    {
        checkMutable();
        this.dedupWindowMs = dedupWindowMs;
        return this;
    }

    public long dedupWindowMs()
    {
        return dedupWindowMs;
    }

    public BounceContext maxTrackedKeys(final int maxTrackedKeys)
    {
        checkMutable();
        this.maxTrackedKeys = maxTrackedKeys;
        return this;
    }

    public int maxTrackedKeys()
    {
        return maxTrackedKeys;
    }

    public BounceContext recentSuppressions(final int recentSuppressions)
    {
        checkMutable();
        this.recentSuppressions = recentSuppressions;
        return this;
    }

    public int recentSuppressions()
    {
        return recentSuppressions;
    }

    public BounceContext operatorAddress(final String operatorAddress)
    {
        checkMutable();
        this.operatorAddress = operatorAddress;
        return this;
    }

    public String operatorAddress()
    {
        return operatorAddress;
    }

    public BounceContext reportingMta(final String reportingMta)
    {
        checkMutable();
        this.reportingMta = reportingMta;
        return this;
    }

    public String reportingMta()
    {
        return reportingMta;
    }

    public BounceContext dsnMaxHeaderBytes(final int dsnMaxHeaderBytes)
    {
        checkMutable();
        this.dsnMaxHeaderBytes = dsnMaxHeaderBytes;
        return this;
    }

    public int dsnMaxHeaderBytes()
    {
        return dsnMaxHeaderBytes;
    }

    /** @param stateFile where the policy's memory is kept across restarts; null: in memory only. */
    public BounceContext stateFile(final Path stateFile)
    {
        checkMutable();
        this.stateFile = stateFile;
        return this;
    }

    /** @return the state file, or null. */
    public Path stateFile()
    {
        return stateFile;
    }

    /** The wall clock: suppression-list expiry, the time of a suppression, a DSN's dates. Tests move it by hand. */
    public BounceContext clock(final Clock clock)
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
     * The monotonic clock the rate buckets, the budget window and the dedup window run on: a wall clock stepped
     * back by NTP would otherwise freeze them until it caught up. Tests inject one they can move.
     */
    public BounceContext nanoClock(final NanoClock nanoClock)
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
