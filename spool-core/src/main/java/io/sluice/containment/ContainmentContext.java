package io.sluice.containment;

import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.sluice.config.InvalidSettingException;
import io.sluice.net.MailAddress;
import io.sluice.net.SourceNetworks;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * Containment's settings: each has its configuration key and default side by side, a fluent setter, and one
 * {@link #conclude()} that validates them all and names the key of the first bad one.
 *
 * <p>With the defaults a tenant is held when, over the last 5 minutes, it sent more than 10x its normal rate (and at
 * least 100 messages), or more than 20% of at least 100 upstream verdicts were policy rejections ({@code 5.7.x}),
 * or more than 50% of them were permanent failures. The normal rate is never taken as below
 * {@value #DEFAULT_NORMAL_RATE_FLOOR_PER_MINUTE} messages a minute.
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
public final class ContainmentContext
{
    /** The sliding window thresholds are judged over. */
    public static final String WINDOW_MS = "containment.windowMs";
    public static final long DEFAULT_WINDOW_MS = TimeUnit.MINUTES.toMillis(5);

    /** The window is counted in this many slots; the window read covers between (slots-1)/slots of it and all. */
    public static final String WINDOW_SLOTS = "containment.windowSlots";
    public static final int DEFAULT_WINDOW_SLOTS = 10;

    /** Held when the window's rate exceeds this multiple of the normal rate; 0 turns the volume rule off. */
    public static final String SURGE_FACTOR = "containment.surgeFactor";
    public static final double DEFAULT_SURGE_FACTOR = 10.0;

    /** The volume rule needs at least this many messages in the window, so a quiet tenant's few mails never trip it. */
    public static final String MIN_SURGE_MESSAGES = "containment.minSurgeMessages";
    public static final long DEFAULT_MIN_SURGE_MESSAGES = 100;

    /** The normal rate is never taken as lower than this, messages per minute: what any tenant may send unnoticed. */
    public static final String NORMAL_RATE_FLOOR_PER_MINUTE = "containment.normalRateFloorPerMinute";
    public static final double DEFAULT_NORMAL_RATE_FLOOR_PER_MINUTE = 10.0;

    /**
     * Half-life of the exponentially weighted normal rate: a slot's rate counts half as much after this long. Far
     * longer than the window, so a surge barely moves the baseline before it is held; and a slot's sample counts for
     * at most twice the baseline, so a flood cannot teach containment that it is normal.
     */
    public static final String BASELINE_HALF_LIFE_MS = "containment.baselineHalfLifeMs";
    public static final long DEFAULT_BASELINE_HALF_LIFE_MS = TimeUnit.HOURS.toMillis(6);

    /**
     * How long containment must have learned a tenant's normal rate before the volume rule applies to it. Meanwhile
     * the rate is learned as the plain average of what the tenant sends (no cap), so the baseline it is judged
     * against afterwards is its real level, not the near-zero start of an average. 0: the volume rule applies from
     * the first message, against the floor.
     */
    public static final String SURGE_WARMUP_MS = "containment.surgeWarmupMs";
    public static final long DEFAULT_SURGE_WARMUP_MS = TimeUnit.HOURS.toMillis(1);

    /** Held when more than this fraction of the window's verdicts are {@code 5.7.x}; 0 turns the rule off. */
    public static final String POLICY_REJECTION_RATIO = "containment.policyRejectionRatio";
    public static final double DEFAULT_POLICY_REJECTION_RATIO = 0.20;

    /**
     * Held when more than this fraction of the window's verdicts are {@code 5xx} (unknown users from a bought list,
     * rejections): what gets a shared relay account suspended. 0 turns the rule off.
     */
    public static final String PERMANENT_FAILURE_RATIO = "containment.permanentFailureRatio";
    public static final double DEFAULT_PERMANENT_FAILURE_RATIO = 0.50;

    /** The ratio rules need at least this many verdicts in the window: 1 rejection in 3 says nothing. */
    public static final String MIN_VERDICTS = "containment.minVerdicts";
    public static final long DEFAULT_MIN_VERDICTS = 100;

    /**
     * Tenants never held automatically (comma-separated), e.g. the appliance's own; an operator can still hold them.
     * {@link #NOTIFICATION_TENANT} is always exempt: holding it would hold the alert about the hold.
     */
    public static final String EXEMPT_TENANTS = "containment.exemptTenants";
    public static final String DEFAULT_EXEMPT_TENANTS = "";

    /**
     * Lanes whose mail does not count towards any tenant's figures (comma-separated): by default admission's
     * {@code suspect} lane, the forged mail of a spoofing flood. It is already contained (its own low-weight lane, no
     * bounces, its sources demoted); counting it would let whoever forges a flood get the tenant it lands in held,
     * and with it every legitimate message of that tenant: a forged flood of 20,000 held all inbound mail in the
     * flood scenario before this setting existed.
     */
    public static final String IGNORED_LANES = "containment.ignoredLanes";
    public static final String DEFAULT_IGNORED_LANES = "suspect";

    /**
     * The networks whose mail is a tenant's own sending (comma-separated CIDRs): only their mail is counted, and only
     * their mail is held. Mail from anywhere else can only be addressed to the relay domains: it is inbound mail, and
     * a policy rejection of it is a verdict on its source, which admission's reputation demotes and throttles, not on
     * the tenant it lands in. Counting it let a flood of distinct outside senders (refused {@code 554 5.7.1}
     * upstream) hold tenant {@code default} within seconds, and with it all inbound mail of the gateway. Empty in the
     * library: nothing is sending; the daemon derives an empty value from {@code relay.trustedNetworks}.
     */
    public static final String SENDING_NETWORKS = "containment.sendingNetworks";
    public static final String DEFAULT_SENDING_NETWORKS = "";

    /** Where holds and learned rates are kept across restarts; empty disables the file (holds then come from the journal). */
    public static final String STATE_FILE = "containment.stateFile";
    public static final String DEFAULT_STATE_FILE = "containment.state";

    /** Where hold notices go (through the notifications lane); empty: holds are only logged and counted. */
    public static final String OPERATOR_ADDRESS = "containment.operatorAddress";
    public static final String DEFAULT_OPERATOR_ADDRESS = "";

    /** The notices' envelope sender; empty for the null sender, so a failing operator address causes no bounce. */
    public static final String NOTIFICATION_SENDER = "containment.notificationSender";
    public static final String DEFAULT_NOTIFICATION_SENDER = "";

    /** The tenant notices are accounted to: the appliance's own, never held automatically. */
    public static final String NOTIFICATION_TENANT = "containment.notificationTenant";
    public static final String DEFAULT_NOTIFICATION_TENANT = "system";

    /** The lane notices go through: the strict lane with its own route. */
    public static final String NOTIFICATION_LANE = "containment.notificationLane";
    public static final String DEFAULT_NOTIFICATION_LANE = "notifications";

    /** The appliance's host name, for the notices' From and Message-ID. */
    public static final String REPORTING_MTA = "containment.reportingMta";
    public static final String DEFAULT_REPORTING_MTA = "localhost";

    private static final long MAX_MS = TimeUnit.DAYS.toMillis(365);

    private long windowMs = DEFAULT_WINDOW_MS;
    private int windowSlots = DEFAULT_WINDOW_SLOTS;
    private double surgeFactor = DEFAULT_SURGE_FACTOR;
    private long minSurgeMessages = DEFAULT_MIN_SURGE_MESSAGES;
    private double normalRateFloorPerMinute = DEFAULT_NORMAL_RATE_FLOOR_PER_MINUTE;
    private long baselineHalfLifeMs = DEFAULT_BASELINE_HALF_LIFE_MS;
    private long surgeWarmupMs = DEFAULT_SURGE_WARMUP_MS;
    private double policyRejectionRatio = DEFAULT_POLICY_REJECTION_RATIO;
    private double permanentFailureRatio = DEFAULT_PERMANENT_FAILURE_RATIO;
    private long minVerdicts = DEFAULT_MIN_VERDICTS;
    private String exemptTenants = DEFAULT_EXEMPT_TENANTS;
    private String ignoredLanes = DEFAULT_IGNORED_LANES;
    private String sendingNetworks = DEFAULT_SENDING_NETWORKS;
    private Path stateFile = Path.of(DEFAULT_STATE_FILE);
    private String operatorAddress = DEFAULT_OPERATOR_ADDRESS;
    private String notificationSender = DEFAULT_NOTIFICATION_SENDER;
    private String notificationTenant = DEFAULT_NOTIFICATION_TENANT;
    private String notificationLane = DEFAULT_NOTIFICATION_LANE;
    private String reportingMta = DEFAULT_REPORTING_MTA;
    private Clock clock = Clock.systemUTC();
    private NanoClock nanoClock = SystemNanoClock.INSTANCE;
    private Set<String> exemptTenantSet = Set.of();
    private Set<String> ignoredLaneSet = Set.of();
    private SourceNetworks sendingNetworkList = SourceNetworks.of(List.of());
    private boolean concluded;

    /**
     * Validates every setting; idempotent.
     *
     * @return this, frozen.
     * @throws InvalidSettingException naming the first setting that cannot work.
     */
    public ContainmentContext conclude()
    {
        if (concluded)
        {
            return this;
        }
        requireRange(WINDOW_MS, windowMs, 10_000, TimeUnit.DAYS.toMillis(1));
        requireRange(WINDOW_SLOTS, windowSlots, 1, 600);
        if (windowMs / windowSlots < 1000)
        {
            throw new InvalidSettingException(WINDOW_SLOTS, windowSlots,
                "expected slots of at least 1 s: at most " + windowMs / 1000 + " for " + WINDOW_MS + "=" + windowMs);
        }
        if (!(surgeFactor == 0 || (surgeFactor > 1 && surgeFactor <= 1_000_000)))
        {
            throw new InvalidSettingException(SURGE_FACTOR, surgeFactor, "expected 0 (off) or a factor above 1");
        }
        requireRange(MIN_SURGE_MESSAGES, minSurgeMessages, 1, Long.MAX_VALUE);
        if (!(normalRateFloorPerMinute >= 0 && normalRateFloorPerMinute <= 1e9))
        {
            throw new InvalidSettingException(NORMAL_RATE_FLOOR_PER_MINUTE, normalRateFloorPerMinute,
                "expected a rate of 0 or more messages per minute");
        }
        requireRange(BASELINE_HALF_LIFE_MS, baselineHalfLifeMs, windowMs, MAX_MS);
        requireRange(SURGE_WARMUP_MS, surgeWarmupMs, 0, TimeUnit.DAYS.toMillis(30));
        requireRatio(POLICY_REJECTION_RATIO, policyRejectionRatio);
        requireRatio(PERMANENT_FAILURE_RATIO, permanentFailureRatio);
        requireRange(MIN_VERDICTS, minVerdicts, 1, Long.MAX_VALUE);
        if (notificationTenant == null || notificationTenant.isBlank() || !notificationTenant.equals(notificationTenant.trim()))
        {
            throw new InvalidSettingException(NOTIFICATION_TENANT, notificationTenant, "expected a tenant name");
        }
        exemptTenantSet = parseNames(EXEMPT_TENANTS, exemptTenants, "tenant names");
        ignoredLaneSet = parseNames(IGNORED_LANES, ignoredLanes, "lane names");
        sendingNetworkList = SourceNetworks.parse(SENDING_NETWORKS, sendingNetworks);
        if (operatorAddress == null || (!operatorAddress.isEmpty() && !isMailbox(operatorAddress)))
        {
            throw new InvalidSettingException(OPERATOR_ADDRESS, operatorAddress,
                "expected empty (no notice mail) or a mailbox such as postmaster@example.com");
        }
        if (notificationSender == null || (!notificationSender.isEmpty() && !isMailbox(notificationSender)))
        {
            throw new InvalidSettingException(NOTIFICATION_SENDER, notificationSender,
                "expected empty (the null sender) or a mailbox");
        }
        if (notificationLane == null || notificationLane.isEmpty()
            || !notificationLane.chars().allMatch(c -> c > ' ' && c < 0x7F))
        {
            throw new InvalidSettingException(NOTIFICATION_LANE, notificationLane, "expected a lane name such as notifications");
        }
        if (reportingMta == null || reportingMta.isEmpty()
            || !reportingMta.chars().allMatch(c -> c > ' ' && c < 0x7F && c != '@'))
        {
            throw new InvalidSettingException(REPORTING_MTA, reportingMta, "expected the appliance's host name");
        }
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

    private static void requireRatio(final String key, final double value)
    {
        if (!(value >= 0 && value < 1))
        {
            throw new InvalidSettingException(key, value, "expected 0 (off) or a fraction below 1.0, such as 0.2");
        }
    }

    private static Set<String> parseNames(final String key, final String list, final String what)
    {
        if (list == null)
        {
            throw new InvalidSettingException(key, null, "expected comma-separated " + what + ", or empty");
        }
        final Set<String> tenants = new LinkedHashSet<>();
        for (final String part : list.split(","))
        {
            if (!part.isBlank())
            {
                tenants.add(part.trim());
            }
        }
        return Set.copyOf(tenants);
    }

    /** The shape NoticeBuilder accepts: {@code local@domain}, no spaces, controls or angle brackets. */
    static boolean isMailbox(final String address)
    {
        final int at = MailAddress.separator(address);
        return at > 0 && at < address.length() - 1 && address.length() <= 254
            && address.chars().allMatch(c -> c > ' ' && c != 0x7F && c != '<' && c != '>');
    }

    private void checkMutable()
    {
        if (concluded)
        {
            throw new IllegalStateException("ContainmentContext is concluded and can no longer change");
        }
    }

    public boolean isConcluded()
    {
        return concluded;
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
