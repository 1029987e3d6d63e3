package io.sluice.containment;

import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.sluice.config.Concludable;
import io.sluice.config.InvalidSettingException;
import io.sluice.config.Setting;
import io.sluice.net.MailAddress;
import io.sluice.net.SourceNetworks;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * Containment's settings: each declared once ({@link Setting}: key, default, range, description), a fluent setter, and one
 * {@link #conclude()} that validates them all and names the key of the first bad one.
 *
 * <p>With the defaults a tenant is held when, over the last 5 minutes, it sent more than 10x its normal rate (and at
 * least 100 messages), or more than 20% of at least 100 upstream verdicts were policy rejections ({@code 5.7.x}),
 * or more than 50% of them were permanent failures. The normal rate is never taken as below
 * 10 messages a minute.
 *
 * <p>The volume rule judges a tenant only once containment has learned its normal rate for
 * {@link #SURGE_WARMUP_MS} (an hour): "10x its normal rate" means nothing for a tenant whose normal is unknown,
 * and judging a new tenant's first burst against a near-zero baseline held every new customer's first mailing
 * (and the benchmark's one tenant after its warm-up). A brand-new account that starts blasting (abuse often begins
 * with a sign-up) is still limited by admission's per-tenant buckets at SMTP time and held by the ratio rules, which
 * apply from its first verdicts; {@code containment.surgeWarmupMs=0} judges new tenants against the floor instead.
 *
 * <p>Only a tenant's own sending is judged and held: mail from {@link #SENDING_NETWORKS}. Inbound mail from the
 * outside world to the relay domains is never counted and never held, whatever tenant it is accounted to.
 */
public final class ContainmentContext extends Concludable
{
    private static final String RATIO = "0 (off) or a fraction below 1.0, such as 0.2";

    /** The sliding window thresholds are judged over. */
    public static final Setting<Long> WINDOW_MS = Setting.ofLong("containment.windowMs", TimeUnit.MINUTES.toMillis(5))
        .range(10_000, TimeUnit.DAYS.toMillis(1))
        .doc("The sliding window per tenant (length and slots).")
        .build();

    /** The window is counted in this many slots; the window read covers between (slots-1)/slots of it and all. */
    public static final Setting<Integer> WINDOW_SLOTS = Setting.ofInt("containment.windowSlots", 10)
        .range(1, 600)
        .checkedWith("slots of at least 1 s")
        .doc("The window is counted in this many slots; the window read covers between (slots-1)/slots of it "
            + "and all.")
        .build();

    /** Held when the window's rate exceeds this multiple of the normal rate; 0 turns the volume rule off. */
    public static final Setting<Double> SURGE_FACTOR = Setting.ofDouble("containment.surgeFactor", 10.0)
        .check(f -> f == 0 || f > 1 && f <= 1_000_000, "0 (off) or a factor above 1")
        .doc("A volume surge: the window's rate over surgeFactor x the tenant's learned normal rate, with at "
            + "least minSurgeMessages in the window; the normal rate never counts as below the floor; it is "
            + "learned with this half-life.")
        .build();

    /** The volume rule needs at least this many messages in the window, so a quiet tenant's few mails never trip it. */
    public static final Setting<Long> MIN_SURGE_MESSAGES = Setting.ofLong("containment.minSurgeMessages", 100)
        .atLeast(1)
        .doc("The volume rule needs at least this many messages in the window, so a quiet tenant's few mails "
            + "never trip it.")
        .build();

    /** The normal rate is never taken as lower than this, messages per minute: what any tenant may send unnoticed. */
    public static final Setting<Double> NORMAL_RATE_FLOOR_PER_MINUTE =
        Setting.ofDouble("containment.normalRateFloorPerMinute", 10.0)
        .check(r -> r >= 0 && r <= 1e9, "a rate of 0 or more messages per minute")
        .doc("The normal rate is never taken as lower than this, messages per minute: what any tenant may "
            + "send unnoticed.")
        .build();

    /**
     * Half-life of the exponentially weighted normal rate: a slot's rate counts half as much after this long. Far
     * longer than the window, so a surge barely moves the baseline before it is held; and a slot's sample counts for
     * at most twice the baseline, so a flood cannot teach containment that it is normal.
     */
    public static final Setting<Long> BASELINE_HALF_LIFE_MS =
        Setting.ofLong("containment.baselineHalfLifeMs", TimeUnit.HOURS.toMillis(6))
        .checkedWith("from `containment.windowMs` to 365 days")
        .doc("Half-life of the exponentially weighted normal rate: a slot's rate counts half as much after "
            + "this long. Far longer than the window, so a surge barely moves the baseline before it is held; "
            + "and a slot's sample counts for at most twice the baseline, so a flood cannot teach containment "
            + "that it is normal.")
        .build();

    /**
     * How long containment must have learned a tenant's normal rate before the volume rule applies to it. Meanwhile
     * the rate is learned as the plain average of what the tenant sends (no cap), so the baseline it is judged
     * against afterwards is its real level, not the near-zero start of an average. 0: the volume rule applies from
     * the first message, against the floor.
     */
    public static final Setting<Long> SURGE_WARMUP_MS = Setting.ofLong("containment.surgeWarmupMs", TimeUnit.HOURS.toMillis(1))
        .range(0, TimeUnit.DAYS.toMillis(30))
        .doc("The volume rule judges a tenant only after its normal rate has been learned this long (1 hour): "
            + "a new tenant's first mailing is not a surge over a rate nobody knows yet. Meanwhile its rate is "
            + "learned as the plain average of what it sends; a new tenant that blasts is still capped by "
            + "admission.tenant.* at SMTP time and held by the rejection ratios below. 0 = judge new tenants "
            + "against the floor from their first message.")
        .build();

    /** Held when more than this fraction of the window's verdicts are {@code 5.7.x}; 0 turns the rule off. */
    public static final Setting<Double> POLICY_REJECTION_RATIO = Setting.ofDouble("containment.policyRejectionRatio", 0.20)
        .check(r -> r >= 0 && r < 1, RATIO)
        .doc("Upstream verdicts: hold when 5.7.x rejections or all 5xx exceed these ratios, over at least "
            + "minVerdicts.")
        .build();

    /**
     * Held when more than this fraction of the window's verdicts are {@code 5xx} (unknown users from a bought list,
     * rejections): what gets a shared relay account suspended. 0 turns the rule off.
     */
    public static final Setting<Double> PERMANENT_FAILURE_RATIO = Setting.ofDouble("containment.permanentFailureRatio", 0.50)
        .check(r -> r >= 0 && r < 1, RATIO)
        .doc("Held when more than this fraction of the window's verdicts are `5xx` (unknown users from a "
            + "bought list, rejections): what gets a shared relay account suspended. 0 turns the rule off.")
        .build();

    /** The ratio rules need at least this many verdicts in the window: 1 rejection in 3 says nothing. */
    public static final Setting<Long> MIN_VERDICTS = Setting.ofLong("containment.minVerdicts", 100)
        .atLeast(1)
        .doc("The ratio rules need at least this many verdicts in the window: 1 rejection in 3 says nothing.")
        .build();

    /**
     * Tenants never held automatically (comma-separated), e.g. the appliance's own; an operator can still hold them.
     * {@link #NOTIFICATION_TENANT} is always exempt: holding it would hold the alert about the hold.
     */
    public static final Setting<String> EXEMPT_TENANTS = Setting.ofString("containment.exemptTenants", "")
        .expecting("comma-separated tenant names, or empty")
        .doc("Tenants never held automatically (comma-separated); an operator can still hold them.")
        .build();

    /**
     * Lanes whose mail does not count towards any tenant's figures (comma-separated): by default admission's
     * {@code suspect} lane, the forged mail of a spoofing flood. It is already contained (its own low-weight lane, no
     * bounces, its sources demoted); counting it would let whoever forges a flood get the tenant it lands in held,
     * and with it every legitimate message of that tenant: a forged flood of 20,000 held all inbound mail in the
     * flood scenario before this setting existed.
     */
    public static final Setting<String> IGNORED_LANES = Setting.ofString("containment.ignoredLanes", "suspect")
        .expecting("comma-separated lane names, or empty")
        .doc("Lanes whose mail counts towards no tenant (volume or verdicts): admission's suspect lane holds "
            + "forged mail, which is contained already; counting it would let a forged flood get its tenant's "
            + "legitimate mail held (the backscatter flood in [design.md](design.md)).")
        .build();

    /**
     * The networks whose mail is a tenant's own sending (comma-separated CIDRs): only their mail is counted, and only
     * their mail is held. Mail from anywhere else can only be addressed to the relay domains: it is inbound mail, and
     * a policy rejection of it is a verdict on its source, which admission's reputation demotes and throttles, not on
     * the tenant it lands in. Counting it let a flood of distinct outside senders (refused {@code 554 5.7.1}
     * upstream) hold tenant {@code default} within seconds, and with it all inbound mail of the gateway. Empty in the
     * library: nothing is sending; the daemon derives an empty value from {@code relay.trustedNetworks}.
     */
    public static final Setting<String> SENDING_NETWORKS = Setting.ofString("containment.sendingNetworks", "")
        .expecting("comma-separated CIDRs, or empty")
        .derivedFrom("`relay.trustedNetworks`")
        .doc("Networks whose mail is a tenant's own sending (empty = `relay.trustedNetworks`): only their "
            + "mail is counted and held. Mail from anywhere else to the relay domains is inbound: its "
            + "rejections are its sources' record, never a reason to hold the tenant it lands in "
            + "([bounces-and-containment.md](bounces-and-containment.md)).")
        .build();

    /** Where holds and learned rates are kept across restarts; empty disables the file (holds then come from the journal). */
    public static final Setting<String> STATE_FILE = Setting.ofString("containment.stateFile", "")
        .derivedFrom("`<spool.directory>/containment.state`")
        .doc("Holds and learned rates across restarts (empty = <spool.directory>/containment.state).")
        .build();

    /** Where hold notices go (through the notifications lane); empty: holds are only logged and counted. */
    public static final Setting<String> OPERATOR_ADDRESS = Setting.ofString("containment.operatorAddress", "")
        .check(a -> a.isEmpty() || isMailbox(a), "empty (no notice mail) or a mailbox such as postmaster@example.com")
        .doc("The hold notice: to this address (empty = logged only), from this sender, as this tenant, in "
            + "this lane.")
        .build();

    /** The notices' envelope sender; empty for the null sender, so a failing operator address causes no bounce. */
    public static final Setting<String> NOTIFICATION_SENDER = Setting.ofString("containment.notificationSender", "")
        .check(a -> a.isEmpty() || isMailbox(a), "empty (the null sender) or a mailbox")
        .doc("The notices' envelope sender; empty for the null sender, so a failing operator address causes "
            + "no bounce.")
        .build();

    /** The tenant notices are accounted to: the appliance's own, never held automatically. */
    public static final Setting<String> NOTIFICATION_TENANT = Setting.ofString("containment.notificationTenant", "system")
        .check(t -> !t.isBlank() && t.equals(t.trim()), "a tenant name")
        .doc("The tenant notices are accounted to: the appliance's own, never held automatically.")
        .build();

    /** The lane notices go through: the strict lane with its own route. */
    public static final Setting<String> NOTIFICATION_LANE = Setting.ofString("containment.notificationLane", "notifications")
        .check(l -> !l.isEmpty() && l.chars().allMatch(c -> c > ' ' && c < 0x7F), "a lane name such as notifications")
        .doc("The lane notices go through: the strict lane with its own route (the suspended shared account "
            + "in [design.md](design.md)).")
        .build();

    /** The appliance's host name, for the notices' From and Message-ID. */
    public static final Setting<String> REPORTING_MTA = Setting.ofString("containment.reportingMta", "localhost")
        .check(h -> !h.isEmpty() && h.chars().allMatch(c -> c > ' ' && c < 0x7F && c != '@'), "the appliance's host name")
        .doc("The appliance's host name, for the notices' From and Message-ID.")
        .build();

    /** Every declaration above, in the order the configuration reference lists them. */
    public static final List<Setting<?>> SETTINGS = List.of(WINDOW_MS, WINDOW_SLOTS, SURGE_FACTOR, MIN_SURGE_MESSAGES,
        NORMAL_RATE_FLOOR_PER_MINUTE, BASELINE_HALF_LIFE_MS, SURGE_WARMUP_MS, POLICY_REJECTION_RATIO, PERMANENT_FAILURE_RATIO,
        MIN_VERDICTS, EXEMPT_TENANTS, IGNORED_LANES, SENDING_NETWORKS, STATE_FILE, OPERATOR_ADDRESS, NOTIFICATION_SENDER,
        NOTIFICATION_TENANT, NOTIFICATION_LANE, REPORTING_MTA);

    /** The state file's name in the library's working directory; the daemon puts it in the spool directory. */
    public static final String STATE_FILE_NAME = "containment.state";

    private static final long MAX_MS = TimeUnit.DAYS.toMillis(365);

    private long windowMs = WINDOW_MS.defaultValue();
    private int windowSlots = WINDOW_SLOTS.defaultValue();
    private double surgeFactor = SURGE_FACTOR.defaultValue();
    private long minSurgeMessages = MIN_SURGE_MESSAGES.defaultValue();
    private double normalRateFloorPerMinute = NORMAL_RATE_FLOOR_PER_MINUTE.defaultValue();
    private long baselineHalfLifeMs = BASELINE_HALF_LIFE_MS.defaultValue();
    private long surgeWarmupMs = SURGE_WARMUP_MS.defaultValue();
    private double policyRejectionRatio = POLICY_REJECTION_RATIO.defaultValue();
    private double permanentFailureRatio = PERMANENT_FAILURE_RATIO.defaultValue();
    private long minVerdicts = MIN_VERDICTS.defaultValue();
    private String exemptTenants = EXEMPT_TENANTS.defaultValue();
    private String ignoredLanes = IGNORED_LANES.defaultValue();
    private String sendingNetworks = SENDING_NETWORKS.defaultValue();
    private Path stateFile = Path.of(STATE_FILE_NAME);
    private String operatorAddress = OPERATOR_ADDRESS.defaultValue();
    private String notificationSender = NOTIFICATION_SENDER.defaultValue();
    private String notificationTenant = NOTIFICATION_TENANT.defaultValue();
    private String notificationLane = NOTIFICATION_LANE.defaultValue();
    private String reportingMta = REPORTING_MTA.defaultValue();
    private Clock clock = Clock.systemUTC();
    private NanoClock nanoClock = SystemNanoClock.INSTANCE;
    private Set<String> exemptTenantSet = Set.of();
    private Set<String> ignoredLaneSet = Set.of();
    private SourceNetworks sendingNetworkList = SourceNetworks.of(List.of());

    /**
     * Validates every setting; idempotent.
     *
     * @return this, frozen.
     * @throws InvalidSettingException naming the first setting that cannot work.
     */
    public ContainmentContext conclude()
    {
        if (isConcluded())
        {
            return this;
        }
        WINDOW_MS.validate(windowMs);
        if (windowMs / WINDOW_SLOTS.validate(windowSlots) < 1000)
        {
            throw WINDOW_SLOTS.invalid(windowSlots,
                "slots of at least 1 s: at most " + windowMs / 1000 + " for " + WINDOW_MS + "=" + windowMs);
        }
        SURGE_FACTOR.validate(surgeFactor);
        MIN_SURGE_MESSAGES.validate(minSurgeMessages);
        NORMAL_RATE_FLOOR_PER_MINUTE.validate(normalRateFloorPerMinute);
        if (baselineHalfLifeMs < windowMs || baselineHalfLifeMs > MAX_MS)
        {
            throw BASELINE_HALF_LIFE_MS.invalid(baselineHalfLifeMs, windowMs + " to " + MAX_MS);
        }
        SURGE_WARMUP_MS.validate(surgeWarmupMs);
        POLICY_REJECTION_RATIO.validate(policyRejectionRatio);
        PERMANENT_FAILURE_RATIO.validate(permanentFailureRatio);
        MIN_VERDICTS.validate(minVerdicts);
        NOTIFICATION_TENANT.validate(notificationTenant);
        exemptTenantSet = parseNames(EXEMPT_TENANTS.validate(exemptTenants));
        ignoredLaneSet = parseNames(IGNORED_LANES.validate(ignoredLanes));
        sendingNetworkList = SourceNetworks.parse(SENDING_NETWORKS.key(), sendingNetworks);
        OPERATOR_ADDRESS.validate(operatorAddress);
        NOTIFICATION_SENDER.validate(notificationSender);
        NOTIFICATION_LANE.validate(notificationLane);
        REPORTING_MTA.validate(reportingMta);
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

    private static Set<String> parseNames(final String list)
    {
        final Set<String> names = new LinkedHashSet<>();
        for (final String part : list.split(","))
        {
            if (!part.isBlank())
            {
                names.add(part.trim());
            }
        }
        return Set.copyOf(names);
    }

    /** The shape NoticeBuilder accepts: {@code local@domain}, no spaces, controls or angle brackets. */
    static boolean isMailbox(final String address)
    {
        final int at = MailAddress.separator(address);
        return at > 0 && at < address.length() - 1 && address.length() <= 254
            && address.chars().allMatch(c -> c > ' ' && c != 0x7F && c != '<' && c != '>');
    }

    public ContainmentContext windowMs(final long windowMs)
    {
        checkMutable();
        this.windowMs = windowMs;
        return this;
    }

    public long windowMs()
    {
        return windowMs;
    }

    public ContainmentContext windowSlots(final int windowSlots)
    {
        checkMutable();
        this.windowSlots = windowSlots;
        return this;
    }

    public int windowSlots()
    {
        return windowSlots;
    }

    public ContainmentContext surgeFactor(final double surgeFactor)
    {
        checkMutable();
        this.surgeFactor = surgeFactor;
        return this;
    }

    public double surgeFactor()
    {
        return surgeFactor;
    }

    public ContainmentContext minSurgeMessages(final long minSurgeMessages)
    {
        checkMutable();
        this.minSurgeMessages = minSurgeMessages;
        return this;
    }

    public long minSurgeMessages()
    {
        return minSurgeMessages;
    }

    public ContainmentContext normalRateFloorPerMinute(final double normalRateFloorPerMinute)
    {
        checkMutable();
        this.normalRateFloorPerMinute = normalRateFloorPerMinute;
        return this;
    }

    public double normalRateFloorPerMinute()
    {
        return normalRateFloorPerMinute;
    }

    public ContainmentContext baselineHalfLifeMs(final long baselineHalfLifeMs)
    {
        checkMutable();
        this.baselineHalfLifeMs = baselineHalfLifeMs;
        return this;
    }

    public long baselineHalfLifeMs()
    {
        return baselineHalfLifeMs;
    }

    public ContainmentContext surgeWarmupMs(final long surgeWarmupMs)
    {
        checkMutable();
        this.surgeWarmupMs = surgeWarmupMs;
        return this;
    }

    public long surgeWarmupMs()
    {
        return surgeWarmupMs;
    }

    public ContainmentContext policyRejectionRatio(final double policyRejectionRatio)
    {
        checkMutable();
        this.policyRejectionRatio = policyRejectionRatio;
        return this;
    }

    public double policyRejectionRatio()
    {
        return policyRejectionRatio;
    }

    public ContainmentContext permanentFailureRatio(final double permanentFailureRatio)
    {
        checkMutable();
        this.permanentFailureRatio = permanentFailureRatio;
        return this;
    }

    public double permanentFailureRatio()
    {
        return permanentFailureRatio;
    }

    public ContainmentContext minVerdicts(final long minVerdicts)
    {
        checkMutable();
        this.minVerdicts = minVerdicts;
        return this;
    }

    public long minVerdicts()
    {
        return minVerdicts;
    }

    /** @param list comma-separated tenant names; parsed by {@link #conclude()}. */
    public ContainmentContext exemptTenants(final String list)
    {
        checkMutable();
        this.exemptTenants = list;
        return this;
    }

    public String exemptTenants()
    {
        return exemptTenants;
    }

    /** @return the exempt tenants, parsed by {@link #conclude()}; the notification tenant is exempt besides. */
    public Set<String> exemptTenantSet()
    {
        return exemptTenantSet;
    }

    /** @param list comma-separated lane names whose mail containment does not count; parsed by {@link #conclude()}. */
    public ContainmentContext ignoredLanes(final String list)
    {
        checkMutable();
        this.ignoredLanes = list;
        return this;
    }

    public String ignoredLanes()
    {
        return ignoredLanes;
    }

    /** @return the lanes whose mail containment does not count, parsed by {@link #conclude()}. */
    public Set<String> ignoredLaneSet()
    {
        return ignoredLaneSet;
    }

    /** @param list comma-separated CIDRs whose mail is a tenant's own sending; parsed by {@link #conclude()}. */
    public ContainmentContext sendingNetworks(final String list)
    {
        checkMutable();
        this.sendingNetworks = list;
        return this;
    }

    public String sendingNetworks()
    {
        return sendingNetworks;
    }

    /** @return the networks whose mail is a tenant's own sending, parsed by {@link #conclude()}. */
    public SourceNetworks sendingNetworkList()
    {
        return sendingNetworkList;
    }

    /** @param stateFile where state is kept across restarts; null (or an empty path) disables the file. */
    public ContainmentContext stateFile(final Path stateFile)
    {
        checkMutable();
        this.stateFile = stateFile;
        return this;
    }

    public Path stateFile()
    {
        return stateFile;
    }

    public ContainmentContext operatorAddress(final String operatorAddress)
    {
        checkMutable();
        this.operatorAddress = operatorAddress;
        return this;
    }

    public String operatorAddress()
    {
        return operatorAddress;
    }

    public ContainmentContext notificationSender(final String notificationSender)
    {
        checkMutable();
        this.notificationSender = notificationSender;
        return this;
    }

    public String notificationSender()
    {
        return notificationSender;
    }

    public ContainmentContext notificationTenant(final String notificationTenant)
    {
        checkMutable();
        this.notificationTenant = notificationTenant;
        return this;
    }

    public String notificationTenant()
    {
        return notificationTenant;
    }

    public ContainmentContext notificationLane(final String notificationLane)
    {
        checkMutable();
        this.notificationLane = notificationLane;
        return this;
    }

    public String notificationLane()
    {
        return notificationLane;
    }

    public ContainmentContext reportingMta(final String reportingMta)
    {
        checkMutable();
        this.reportingMta = reportingMta;
        return this;
    }

    public String reportingMta()
    {
        return reportingMta;
    }

    /** The wall clock: when a tenant was held, the state file's save time, the notices' dates. */
    public ContainmentContext clock(final Clock clock)
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
     * The monotonic clock the windows and the learned rates run on, so a wall clock stepped back by NTP neither
     * freezes a window nor replays one. Tests inject one they can move.
     */
    public ContainmentContext nanoClock(final NanoClock nanoClock)
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
