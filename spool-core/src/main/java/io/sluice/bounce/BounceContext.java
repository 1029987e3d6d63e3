package io.sluice.bounce;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.sluice.config.Concludable;
import io.sluice.config.InvalidSettingException;
import io.sluice.config.Setting;
import io.sluice.net.Cidr;
import io.sluice.net.MailAddress;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * The bounce policy's settings: each declared once ({@link Setting}: key, default, range, description), a fluent setter, and one
 * {@link #conclude()} that validates them all and names the key of the first bad one. Rates of 0 turn a limit off.
 */
public final class BounceContext extends Concludable
{
    static final long MAX_RATE_PER_HOUR = 1_000_000_000L;
    private static final long MAX_WINDOW_MS = TimeUnit.DAYS.toMillis(365);
    private static final String BURST = "1 to 1000000000 while its rate is above 0";
    private static final String LANES = "comma-separated lane names, or empty";

    /**
     * Domains a sender from outside the trusted networks may not claim (the appliance's own, its customers'):
     * comma-separated, subdomains included. Admission's {@code admission.protectedDomains} value can be passed as
     * is: a {@code :SUSPECT} or {@code :REFUSE} suffix is accepted and ignored, since a bounce to a forged sender is
     * wrong whatever admission did with the message.
     */
    public static final Setting<String> PROTECTED_DOMAINS = Setting.ofString("bounce.protectedDomains", "")
        .expecting("comma-separated domains, or empty")
        .derivedFrom("`admission.protectedDomains`, else `relay.domains`")
        .doc("No DSN ever goes to the null sender, for a bounce, to a sender that is not a mailbox, or to a "
            + "forged sender: from outside the trusted networks with sender == a recipient, a sender in a "
            + "protected domain, or a suspect lane. Protected domains (empty = admission.protectedDomains, or "
            + "the relay domains when that is empty too).")
        .build();

    /** Sources whose senders are not forged: the appliance's own and its tenants' relays (CIDRs, comma-separated). */
    public static final Setting<String> TRUSTED_NETWORKS = Setting.ofString("bounce.trustedNetworks", "")
        .expecting("comma-separated CIDRs, or empty")
        .derivedFrom("`relay.trustedNetworks`")
        .doc("Networks whose senders are not forged (empty = relay.trustedNetworks).")
        .build();

    /** Lanes only trusted sources reach: mail in them counts as from a trusted network whatever its source key. */
    public static final Setting<String> TRUSTED_LANES = Setting.ofString("bounce.trustedLanes", "notifications")
        .expecting(LANES)
        .doc("Lanes whose mail is the appliance's own; lanes admission filled with suspected spoofs (always "
            + "suppressed).")
        .build();

    /** Lanes admission puts the spoof pattern in: mail in them is never bounced (backscatter). */
    public static final Setting<String> SUSPECT_LANES = Setting.ofString("bounce.suspectLanes", "suspect")
        .expecting(LANES)
        .doc("Lanes admission puts the spoof pattern in: mail in them is never bounced (the backscatter flood "
            + "in [design.md](design.md)).")
        .build();

    /** The lane DSNs are appended to, with its own drain rate; a message in it never bounces. */
    public static final Setting<String> LANE = Setting.ofString("bounce.lane", "bounces")
        .checkedWith("one lane name, not a trusted or suspect lane")
        .doc("The lane DSNs are spooled in (its own drain weight and rate: drain.lanes, drain.laneRates).")
        .build();

    /**
     * Whether a {@code 5.7.x} rejection (policy, spam, malware) bounces. Off: such mail is what a flood carries, its
     * sender is forged far more often than not, and the real sender's MTA never learns anything useful from it.
     */
    public static final Setting<Boolean> POLICY_FAILURES_BOUNCE = Setting.ofBoolean("bounce.policyFailuresBounce", false)
        .doc("Whether a policy or malware rejection (5.7.x) earns a DSN; false: it is suppressed and counted.")
        .build();

    /** How long an address that hard-bounced stays on the suppression list; 0 turns the list off. */
    public static final Setting<Long> SUPPRESSION_EXPIRY_MS =
        Setting.ofLong("bounce.suppression.expiryMs", TimeUnit.DAYS.toMillis(7))
        .range(0, MAX_WINDOW_MS)
        .doc("Addresses that hard-bounced (5.1.x, or a failed bounce) get no DSN for this long; 0 = no "
            + "suppression list.")
        .build();

    /**
     * How long quarantined mail (a demoted network's, or spoofed mail with the {@code quarantine} action) waits for an
     * operator before it fails and goes through this policy like any permanent failure. A week: long enough for an
     * operator back from a weekend to look at it and release what was legitimate, short enough that a flood's
     * quarantine does not fill the spool's disk for good.
     */
    public static final Setting<Long> QUARANTINE_EXPIRY_MS =
        Setting.ofLong("quarantine.expiryMs", TimeUnit.DAYS.toMillis(7))
        .range(60_000, MAX_WINDOW_MS)
        .doc("Quarantined mail (a demoted network's, or spoofed mail with the `quarantine` action) still "
            + "unreleased after this long fails and goes through the bounce policy like any permanent failure. "
            + "A week, so an operator back from a weekend can still look at it and release what was "
            + "legitimate, while a flood's quarantine does not fill the disk for good.")
        .build();

    /** The most addresses on the suppression list; the oldest go first. */
    public static final Setting<Integer> SUPPRESSION_MAX_ENTRIES = Setting.ofInt("bounce.suppression.maxEntries", 100_000)
        .range(1, 10_000_000)
        .doc("The most addresses on the suppression list; the oldest go first.")
        .build();

    /** Bounces per hour to one bounce recipient (the original sender), and its burst. */
    public static final Setting<Long> RECIPIENT_RATE_PER_HOUR = Setting.ofLong("bounce.recipient.ratePerHour", 20)
        .range(0, MAX_RATE_PER_HOUR)
        .doc("Bounces per hour to one bounce recipient (a token bucket; 0 = no limit).")
        .build();
    public static final Setting<Long> RECIPIENT_BURST = Setting.ofLong("bounce.recipient.burst", 5)
        .checkedWith(BURST)
        .doc("The bucket size for `bounce.recipient.ratePerHour`.")
        .build();

    /** Bounces per hour to one bounce recipient domain, and its burst. */
    public static final Setting<Long> DOMAIN_RATE_PER_HOUR = Setting.ofLong("bounce.domain.ratePerHour", 600)
        .range(0, MAX_RATE_PER_HOUR)
        .doc("Bounces per hour to one bounce recipient domain, and its burst.")
        .build();
    public static final Setting<Long> DOMAIN_BURST = Setting.ofLong("bounce.domain.burst", 50)
        .checkedWith(BURST)
        .doc("The bucket size for `bounce.domain.ratePerHour`.")
        .build();

    /**
     * Bounces over the budget window may be at most this fraction of the messages accepted over the same window
     * (or {@link #BUDGET_MINIMUM}, whichever is more). Bouncing all blocked mail is 100%; a flood that slips every other rule
     * still cannot make the appliance send more than 1% of its intake as backscatter.
     */
    public static final Setting<Double> BUDGET_FRACTION = Setting.ofDouble("bounce.budget.fraction", 0.01)
        .range(0.0, 1.0)
        .doc("The global bounce budget: at most this fraction of the mail accepted over the window (never "
            + "below the minimum). A DSN over it is deferred in the spool and sent as the window allows (or by "
            + "`sluice dsns release`), never dropped.")
        .build();

    public static final Setting<Long> BUDGET_WINDOW_MS = Setting.ofLong("bounce.budget.windowMs", TimeUnit.HOURS.toMillis(1))
        .range(60_000, MAX_WINDOW_MS)
        .doc("The window the budget counts accepted mail and bounces over.")
        .build();

    /** Bounces always allowed per budget window, so a quiet appliance still bounces its few real failures. */
    public static final Setting<Long> BUDGET_MINIMUM = Setting.ofLong("bounce.budget.minimum", 10)
        .atLeast(0)
        .doc("Bounces always allowed per budget window, so a quiet appliance still bounces its few real "
            + "failures.")
        .build();

    /** Identical bounces (same bounce recipient, failed recipient and status) within this collapse into one; 0: off. */
    public static final Setting<Long> DEDUP_WINDOW_MS = Setting.ofLong("bounce.dedup.windowMs", TimeUnit.HOURS.toMillis(1))
        .range(0, MAX_WINDOW_MS)
        .doc("Identical bounces (same recipient, same failed address and status) within this window collapse "
            + "into one.")
        .build();

    /**
     * The most keys with a rate bucket (recipients, domains) and the most remembered bounces for dedup, each. A
     * forgotten key starts with a full bucket; the global budget still caps the total, so memory stays bounded
     * however many forged senders a flood uses.
     */
    public static final Setting<Integer> MAX_TRACKED_KEYS = Setting.ofInt("bounce.maxTrackedKeys", 100_000)
        .range(1, 10_000_000)
        .doc("Recipients and domains tracked by the buckets and the dedup table; recent suppressions listed "
            + "in JMX (Bounces).")
        .build();

    /** How many recent suppressions an operator can list. */
    public static final Setting<Integer> RECENT_SUPPRESSIONS = Setting.ofInt("bounce.recentSuppressions", 1000)
        .range(1, 1_000_000)
        .doc("How many recent suppressions an operator can list.")
        .build();

    /** Where a budget alert goes (through the notifications lane); empty: alerts are only logged and counted. */
    public static final Setting<String> OPERATOR_ADDRESS = Setting.ofString("bounce.operatorAddress", "")
        .check(a -> a.isEmpty() || Addresses.isMailbox(a), "empty (no alert mail) or a mailbox such as postmaster@example.com")
        .derivedFrom("`containment.operatorAddress`")
        .doc("Where the budget alert is mailed, through the notifications lane, at most once per budget "
            + "window; it is always logged as \"WARN ... ALERT bounce budget spent\" (empty = "
            + "containment.operatorAddress; both empty = logged only).")
        .build();

    /**
     * Where the suppression list, the dedup table and the budget window are kept across restarts, so a restart in the
     * middle of a flood neither forgets who hard-bounced nor hands the flood a fresh budget. Null (the library's
     * default): kept in memory only. The daemon puts it in the spool directory.
     */
    public static final Setting<String> STATE_FILE = Setting.ofString("bounce.stateFile", "")
        .derivedFrom("`<spool.directory>/bounce.state`")
        .doc("The suppression list, the recent bounces (dedup) and the budget window across restarts, so a restart in "
            + "the middle of a flood starts neither with an empty list nor with a fresh budget.")
        .build();

    /** The appliance's host name, written as the DSN's {@code Reporting-MTA} and in its addresses. */
    public static final Setting<String> REPORTING_MTA = Setting.ofString("bounce.reportingMta", "localhost")
        .check(h -> Addresses.isDomain(h) && Addresses.isAscii(h), "the appliance's host name")
        .doc("The host name DSNs name as reporting MTA; the most original header bytes a DSN quotes.")
        .build();

    /** The most bytes of the original header a DSN returns; longer headers are cut at a line end. */
    public static final Setting<Integer> DSN_MAX_HEADER_BYTES = Setting.ofInt("bounce.dsn.maxHeaderBytes", 64 << 10)
        .range(1024, 1 << 20)
        .doc("The most bytes of the original header a DSN returns; longer headers are cut at a line end.")
        .build();

    /** Every declaration above, in the order the configuration reference lists them. */
    public static final List<Setting<?>> SETTINGS = List.of(PROTECTED_DOMAINS, TRUSTED_NETWORKS, TRUSTED_LANES, SUSPECT_LANES,
        LANE, POLICY_FAILURES_BOUNCE, QUARANTINE_EXPIRY_MS, SUPPRESSION_EXPIRY_MS, SUPPRESSION_MAX_ENTRIES,
        RECIPIENT_RATE_PER_HOUR, RECIPIENT_BURST, DOMAIN_RATE_PER_HOUR, DOMAIN_BURST, BUDGET_FRACTION, BUDGET_WINDOW_MS,
        BUDGET_MINIMUM, DEDUP_WINDOW_MS, MAX_TRACKED_KEYS, RECENT_SUPPRESSIONS, OPERATOR_ADDRESS, STATE_FILE, REPORTING_MTA,
        DSN_MAX_HEADER_BYTES);

    /** The state file's name in the spool directory, where the daemon keeps it. */
    public static final String STATE_FILE_NAME = "bounce.state";

    private String protectedDomains = PROTECTED_DOMAINS.defaultValue();
    private String trustedNetworks = TRUSTED_NETWORKS.defaultValue();
    private String trustedLanes = TRUSTED_LANES.defaultValue();
    private String suspectLanes = SUSPECT_LANES.defaultValue();
    private String lane = LANE.defaultValue();
    private boolean policyFailuresBounce = POLICY_FAILURES_BOUNCE.defaultValue();
    private long suppressionExpiryMs = SUPPRESSION_EXPIRY_MS.defaultValue();
    private long quarantineExpiryMs = QUARANTINE_EXPIRY_MS.defaultValue();
    private int suppressionMaxEntries = SUPPRESSION_MAX_ENTRIES.defaultValue();
    private long recipientRatePerHour = RECIPIENT_RATE_PER_HOUR.defaultValue();
    private long recipientBurst = RECIPIENT_BURST.defaultValue();
    private long domainRatePerHour = DOMAIN_RATE_PER_HOUR.defaultValue();
    private long domainBurst = DOMAIN_BURST.defaultValue();
    private double budgetFraction = BUDGET_FRACTION.defaultValue();
    private long budgetWindowMs = BUDGET_WINDOW_MS.defaultValue();
    private long budgetMinimum = BUDGET_MINIMUM.defaultValue();
    private long dedupWindowMs = DEDUP_WINDOW_MS.defaultValue();
    private int maxTrackedKeys = MAX_TRACKED_KEYS.defaultValue();
    private int recentSuppressions = RECENT_SUPPRESSIONS.defaultValue();
    private String operatorAddress = OPERATOR_ADDRESS.defaultValue();
    private String reportingMta = REPORTING_MTA.defaultValue();
    private int dsnMaxHeaderBytes = DSN_MAX_HEADER_BYTES.defaultValue();
    private Path stateFile;
    private Clock clock = Clock.systemUTC();
    private NanoClock nanoClock = SystemNanoClock.INSTANCE;

    private Set<String> protectedDomainSet = Set.of();
    private List<Cidr> trustedNetworkList = List.of();
    private Set<String> trustedLaneSet = Set.of();
    private Set<String> suspectLaneSet = Set.of();

    /**
     * Validates every setting; idempotent.
     *
     * @return this, frozen.
     * @throws InvalidSettingException naming the first setting that cannot work.
     */
    public BounceContext conclude()
    {
        if (isConcluded())
        {
            return this;
        }
        protectedDomainSet = parseProtectedDomains(protectedDomains);
        trustedNetworkList = parseNetworks(trustedNetworks);
        trustedLaneSet = parseLanes(TRUSTED_LANES, trustedLanes);
        suspectLaneSet = parseLanes(SUSPECT_LANES, suspectLanes);
        if (lane == null || parseLanes(LANE, lane).size() != 1)
        {
            throw LANE.invalid(lane, "one lane name such as bounces");
        }
        if (trustedLaneSet.contains(lane) || suspectLaneSet.contains(lane))
        {
            throw LANE.invalid(lane, "a lane of its own, not a trusted or suspect lane");
        }
        SUPPRESSION_EXPIRY_MS.validate(suppressionExpiryMs);
        QUARANTINE_EXPIRY_MS.validate(quarantineExpiryMs);
        SUPPRESSION_MAX_ENTRIES.validate(suppressionMaxEntries);
        checkLimit(RECIPIENT_RATE_PER_HOUR, recipientRatePerHour, RECIPIENT_BURST, recipientBurst);
        checkLimit(DOMAIN_RATE_PER_HOUR, domainRatePerHour, DOMAIN_BURST, domainBurst);
        BUDGET_FRACTION.validate(budgetFraction);
        BUDGET_WINDOW_MS.validate(budgetWindowMs);
        BUDGET_MINIMUM.validate(budgetMinimum);
        DEDUP_WINDOW_MS.validate(dedupWindowMs);
        MAX_TRACKED_KEYS.validate(maxTrackedKeys);
        RECENT_SUPPRESSIONS.validate(recentSuppressions);
        OPERATOR_ADDRESS.validate(operatorAddress);
        REPORTING_MTA.validate(reportingMta);
        DSN_MAX_HEADER_BYTES.validate(dsnMaxHeaderBytes);
        if (clock == null)
        {
            throw new InvalidSettingException("clock", null, "expected a clock");
        }
        if (nanoClock == null)
        {
            throw new InvalidSettingException("nanoClock", null, "expected a monotonic clock");
        }
        markConcluded();
        return this;
    }

    private static void checkLimit(final Setting<Long> rate, final long ratePerHour, final Setting<Long> burst, final long size)
    {
        rate.validate(ratePerHour);
        if (ratePerHour > 0 && (size < 1 || size > MAX_RATE_PER_HOUR))
        {
            throw burst.invalid(size, "1 to " + MAX_RATE_PER_HOUR);
        }
    }

    static Set<String> parseProtectedDomains(final String list)
    {
        if (list == null)
        {
            throw PROTECTED_DOMAINS.invalid(null, "comma-separated domains, or empty");
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
                    throw PROTECTED_DOMAINS.invalid(list,
                        "SUSPECT or REFUSE after the colon in '" + entry + "'");
                }
            }
            final String domain = MailAddress.normalizeDomain(colon < 0 ? entry : entry.substring(0, colon));
            if (!Addresses.isDomain(domain))
            {
                throw PROTECTED_DOMAINS.invalid(list,
                    "comma-separated domains such as example.com; '" + entry + "' is not a domain");
            }
            domains.add(domain);
        }
        return Set.copyOf(domains);
    }

    private static List<Cidr> parseNetworks(final String list)
    {
        if (list == null)
        {
            throw TRUSTED_NETWORKS.invalid(null, "comma-separated CIDRs, or empty");
        }
        final List<Cidr> networks = new ArrayList<>();
        for (final String entry : split(list))
        {
            networks.add(Cidr.parse(TRUSTED_NETWORKS.key(), entry));
        }
        return List.copyOf(networks);
    }

    private static Set<String> parseLanes(final Setting<String> key, final String list)
    {
        if (list == null)
        {
            throw key.invalid(null, "comma-separated lane names, or empty");
        }
        final Set<String> lanes = new LinkedHashSet<>();
        for (final String entry : split(list))
        {
            if (!entry.chars().allMatch(c -> c > ' ' && c < 0x7F && c != ':'))
            {
                throw key.invalid(list, "lane names such as notifications; '" + entry + "' is not");
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
