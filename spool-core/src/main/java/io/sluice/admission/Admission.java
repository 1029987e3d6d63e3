package io.sluice.admission;

import io.sluice.counters.EnumCounters;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.BucketState;
import io.sluice.config.InvalidSettingException;
import io.sluice.net.Cidr;
import io.sluice.net.MailAddress;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.status.AtomicCounter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admission stage: decides, at the cheapest SMTP point, whether a connection, a message or a recipient may
 * come in. In order: the blocklist, the spool's disk, backpressure from the backlog, the projected delay of the
 * message's lane, and token buckets per IP, per network, per sender domain, per tenant and global. Every refusal
 * is a typed {@link Decision} the SMTP layer maps to one reply, temporary ({@code 4xx}) unless it is a block, so
 * the sender keeps the mail and retries instead of the appliance bouncing it later (backscatter: a bounce per
 * blocked message doubled the load).
 *
 * <p>Thread-safety: every decision method is thread-safe, does no I/O and allocates nothing that outlives it,
 * for Netty event-loop threads. It never waits on another thread for longer than Bucket4j's arithmetic on one
 * bucket: each key's buckets are updated under that key's own monitor, held for a few dozen nanoseconds and
 * never together with another (see {@code TrackedKey}). Control-plane methods are thread-safe, validate their arguments, throw
 * {@link IllegalArgumentException} with a clear message and change nothing on a bad one, and take effect for
 * the next decision. {@link #snapshot()} and {@link #close()} write a file and belong on a maintenance thread.
 *
 * <p>Buckets: one {@link Limit} per {@link KeyKind} and {@link Traffic}, with per-key overrides; all token
 * arithmetic is Bucket4j's. A message takes one token from every bucket that applies, most specific first; if
 * one refuses, the tokens already taken are given back, so a refused message costs its source nothing in the
 * other buckets. Trusted sources are not charged to the {@link KeyKind#GLOBAL global} buckets: the global
 * ceiling exists to cap intake from outside, and a flood that drains it must not also silence the appliance's
 * own notifications; trusted sources stay bounded by their own IP, network and tenant buckets.
 */
public final class Admission implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(Admission.class);
    private static final Decision DISK_FULL = new Decision(Verdict.DISK_FULL, 0, "spool disk under its reserve");
    private static final int MAX_TOP_SOURCES = 10_000;
    /** RFC 5321 section 4.5.3.1.2: a domain is at most 255 octets; a longer key is cut, not stored whole. */
    static final int MAX_NAME_LENGTH = 255;

    private final SpoolPressure pressure;
    private final Clock clock;
    private final NanoClock nanoClock;
    private final int ipv4PrefixLength;
    private final int ipv6PrefixLength;
    private final Path stateFile;
    private final EnumCounters<AdmissionCounter> counters = new EnumCounters<>(AdmissionCounter.class, "admission");
    private final SourceTable table;
    /** The one global key; kept outside the table so it is never evicted. */
    private final TrackedKey global;
    private final Blocklist blocklist = new Blocklist();
    /** Blocks from the configuration: not saved in the state file, so removing one from the configuration works. */
    private final Set<Cidr> configuredBlocks;
    private final Backpressure backpressure;
    private final SpoofPolicy spoofPolicy;
    private final ReputationStore reputation;
    private final ClassBuckets classBuckets;
    private final KindBuckets kindBuckets;
    private final Object controlLock = new Object();
    private final Object snapshotLock = new Object();
    private final AtomicCounter connectionsAccepted;
    private final AtomicCounter messagesAccepted;
    private final AtomicCounter recipientsAccepted;
    private final AtomicCounter rateLimited;
    private final AtomicCounter blocked;
    private final AtomicCounter backpressureRefused;
    private final AtomicCounter backlogFull;
    private final AtomicCounter diskFull;
    private final AtomicCounter projectedDelay;
    private final AtomicCounter stateFileFailures;
    private volatile Limits limits;
    private volatile long maxProjectedDelayMs;
    private boolean closed;

    private Admission(final AdmissionContext context, final SpoolPressure pressure, final SharedRates sharedRates)
    {
        this.pressure = pressure;
        this.clock = context.clock();
        this.nanoClock = context.nanoClock();
        this.ipv4PrefixLength = context.networkIpv4PrefixLength();
        this.ipv6PrefixLength = context.networkIpv6PrefixLength();
        final Path file = context.stateFile();
        this.stateFile = file == null || file.toString().isEmpty() ? null : file;
        this.table = new SourceTable(context.maxTrackedKeys(), counters.counter(AdmissionCounter.TRACKED_KEYS),
            counters.counter(AdmissionCounter.IDLE_KEYS_EVICTED), counters.counter(AdmissionCounter.ACTIVE_KEYS_EVICTED));
        this.backpressure = new Backpressure(context, pressure, counters.counter(AdmissionCounter.BACKPRESSURE_ACTIVE));
        this.spoofPolicy = new SpoofPolicy(context.protectedDomainActions(), context.spoofDefaultAction());
        this.limits = Limits.of(context);
        final ReputationSettings reputationSettings = context.reputation();
        this.reputation = new ReputationStore(
            new ReputationTable(reputationSettings, ipv4PrefixLength, ipv6PrefixLength, clock),
            reputationSettings.stateFileBeside(stateFile), clock, counters.counter(AdmissionCounter.STATE_FILE_FAILURES));
        this.classBuckets = new ClassBuckets(table, new ClassLimits(reputationSettings), ipv4PrefixLength, ipv6PrefixLength);
        this.kindBuckets = new KindBuckets(table, sharedRates,
            new TenantReserve(reputationSettings.tenantReserve(), reputation.table()), backpressure, pressure,
            counters.counter(AdmissionCounter.TENANT_RESERVE_KEPT), clock, ipv4PrefixLength, ipv6PrefixLength);
        this.global = kindBuckets.global();
        this.maxProjectedDelayMs = context.maxProjectedDelayMs();
        connectionsAccepted = counters.counter(AdmissionCounter.CONNECTIONS_ACCEPTED);
        messagesAccepted = counters.counter(AdmissionCounter.MESSAGES_ACCEPTED);
        recipientsAccepted = counters.counter(AdmissionCounter.RECIPIENTS_ACCEPTED);
        rateLimited = counters.counter(AdmissionCounter.RATE_LIMITED);
        blocked = counters.counter(AdmissionCounter.BLOCKED);
        backpressureRefused = counters.counter(AdmissionCounter.BACKPRESSURE);
        backlogFull = counters.counter(AdmissionCounter.BACKLOG_FULL);
        diskFull = counters.counter(AdmissionCounter.DISK_FULL);
        projectedDelay = counters.counter(AdmissionCounter.PROJECTED_DELAY);
        stateFileFailures = counters.counter(AdmissionCounter.STATE_FILE_FAILURES);
        this.configuredBlocks = Set.copyOf(context.blockedNetworks());
        for (final Cidr network : configuredBlocks)
        {
            blocklist.block(network, Blocklist.never());
        }
    }

    /**
     * Opens admission and restores the state file, if there is one. An unreadable or corrupt state file is
     * logged, counted, moved aside to {@code <name>.corrupt} and admission starts empty: a bad file never stops
     * the appliance from starting.
     *
     * @param context  settings; concluded (validated) here.
     * @param pressure what the spool and the drain report, read on every decision: its methods must be cheap
     *                 and non-blocking.
     * @throws InvalidSettingException naming the first bad setting.
     */
    public static Admission open(final AdmissionContext context, final SpoolPressure pressure)
    {
        return open(context, pressure, SharedRates.LOCAL);
    }

    /**
     * Opens admission as {@link #open(AdmissionContext, SpoolPressure)} does, with the message buckets of the kinds
     * {@code sharedRates} shares gated also by it: rates shared with other appliances (a fleet's).
     */
    public static Admission open(final AdmissionContext context, final SpoolPressure pressure,
        final SharedRates sharedRates)
    {
        Objects.requireNonNull(pressure, "pressure");
        final Admission admission = new Admission(context.conclude(), pressure,
            Objects.requireNonNull(sharedRates, "sharedRates"));
        admission.restore();
        admission.reputation.restore();
        return admission;
    }

    /** Admits a connection from an untrusted source: {@link #admitConnection(InetAddress, boolean)} with false. */
    public Decision admitConnection(final InetAddress client)
    {
        return admitConnection(client, false);
    }

    /**
     * Decides a new connection, before the greeting: {@link Verdict#BLOCKED}, then the connection buckets of the
     * IP and its network ({@link Verdict#RATE_LIMITED}), then backpressure ({@link Verdict#BACKPRESSURE}). A
     * refused connection takes no tokens.
     *
     * @param trusted whether the client is in the trusted networks: it then keeps its reserved share through
     *                backpressure, up to {@link AdmissionContext#BACKLOG_HARD_LIMIT}.
     */
    public Decision admitConnection(final InetAddress client, final boolean trusted)
    {
        final Decision refusal = blockedRefusal(client);
        if (refusal != null)
        {
            return refusal;
        }
        final byte[] address = client.getAddress();
        if (!trusted && reputation.table().isNetworkDemoted(address, clock.millis()) && !operatorSetLimits(address))
        {
            // Connection limits cannot know a message's class: generous for all, tightened for a bad record only.
            final Decision demoted = classBuckets.chargeDemotedConnection(address, nanoClock.nanoTime());
            if (demoted != null)
            {
                counters.counter(AdmissionCounter.DEMOTED_REFUSED).increment();
                rateLimited.increment();
                return demoted;
            }
        }
        final Decision decision = charge(Traffic.CONNECTIONS, address, trusted, null, null, true);
        count(decision, connectionsAccepted);
        return decision;
    }

    /**
     * @return the class of a message from {@code client} as far as MAIL FROM knows it: TRUSTED for the trusted
     *         networks, else what its address's and network's reputation earn (DEMOTED, CLEAN or UNKNOWN). SUSPECT
     *         comes later, from a recipient ({@link #admitSuspect}).
     */
    public SourceClass classOf(final InetAddress client, final boolean trusted)
    {
        return classOf(client.getAddress(), trusted);
    }

    private SourceClass classOf(final byte[] address, final boolean trusted)
    {
        return trusted ? SourceClass.TRUSTED : reputation.table().standing(address, clock.millis());
    }

    /**
     * Decides a message at MAIL FROM: {@link Verdict#BLOCKED} (a block added while the session was open counts at
     * once), {@link Verdict#DISK_FULL}, {@link Verdict#BACKPRESSURE} (trusted sources pass until the hard limit),
     * {@link Verdict#BACKLOG_FULL} (at the hard limit, for every source), {@link Verdict#PROJECTED_DELAY} for the lane,
     * then one token from each bucket that applies: IP, network, sender domain (none for the null sender), tenant (none
     * if null or empty), global (not for trusted sources). A {@link Verdict#RATE_LIMITED} decision names the key that
     * refused and when a retry would pass.
     *
     * @param senderDomain the envelope sender's domain; null or empty for the null sender {@code <>}.
     * @param lane         the lane the message would join, for {@link SpoolPressure#projectedDelayMillis}.
     */
    public Decision admitMessage(
        final InetAddress client, final boolean trusted, final String tenant, final String senderDomain, final String lane)
    {
        final byte[] address = client.getAddress();
        return admitMessage(client, address, classOf(address, trusted), tenant, senderDomain, lane);
    }

    /**
     * Decides a message at MAIL FROM as {@link #admitMessage(InetAddress, boolean, String, String, String)} does, for
     * a source of a known class (from {@link #classOf}): trusted if TRUSTED, and besides the kind buckets, one token
     * from the class's address and network buckets ({@link ClassLimits}); unknown mail is tempfailed at a lower spool
     * pressure than clean mail ({@link ReputationSettings#PRESSURE_UNKNOWN_AT}), demoted mail at any pressure.
     */
    public Decision admitMessage(final InetAddress client, final SourceClass sourceClass, final String tenant,
        final String senderDomain, final String lane)
    {
        return admitMessage(client, client.getAddress(), sourceClass, tenant, senderDomain, lane);
    }

    private Decision admitMessage(final InetAddress client, final byte[] address, final SourceClass sourceClass,
        final String tenant, final String senderDomain, final String lane)
    {
        final boolean trusted = sourceClass == SourceClass.TRUSTED;
        final Decision refusal = blockedRefusal(client);
        if (refusal != null)
        {
            return refusal;
        }
        if (!pressure.acceptingMessages())
        {
            diskFull.increment();
            return DISK_FULL;
        }
        final Decision busy = backpressure.refusal(pressure, trusted);
        if (busy != null)
        {
            countBacklogRefusal(busy);
            return busy;
        }
        final long boundMs = maxProjectedDelayMs;
        long delayMs = 0;
        if (boundMs > 0)
        {
            delayMs = pressure.projectedDelayMillis(lane);
            if (delayMs > boundMs)
            {
                projectedDelay.increment();
                return new Decision(Verdict.PROJECTED_DELAY, delayMs - boundMs,
                    "lane " + lane + " delay " + delayMs / 1000 + " s over the bound of " + boundMs / 1000 + " s");
            }
        }
        // An operator's limit for the address or network wins over what its class would give it.
        final SourceClass charged = sourceClass != SourceClass.TRUSTED && operatorSetLimits(address)
            ? SourceClass.TRUSTED : sourceClass;
        if (charged == SourceClass.DEMOTED)
        {
            // Tempfailed until its bad points decay: a sender that means it retries, and the provider sees nothing.
            counters.counter(AdmissionCounter.DEMOTED_REFUSED).increment();
            rateLimited.increment();
            return new Decision(Verdict.RATE_LIMITED, 0, "demoted by reputation: " + client.getHostAddress()
                + " or its network");
        }
        final Decision tightened = pressureCut(charged, boundMs > 0 ? (double)delayMs / boundMs : 0);
        if (tightened != null)
        {
            return tightened;
        }
        final long nowNs = nanoClock.nanoTime();
        final Decision classRefusal = classBuckets.chargeMessage(charged, address, nowNs);
        if (classRefusal != null)
        {
            counters.counter(AdmissionCounter.CLASS_LIMITED).increment();
            rateLimited.increment();
            return classRefusal;
        }
        final Decision decision = kindBuckets.charge(Traffic.MESSAGES, limits, nowNs, address, sourceClass, name(tenant),
            domain(senderDomain), false);
        if (!decision.isAccepted())
        {
            classBuckets.refundMessage(charged, address, nowNs);
        }
        count(decision, messagesAccepted);
        return decision;
    }

    /**
     * Charges a message that showed the spoof pattern with a SUSPECT action to the suspect class's buckets; call
     * once per transaction, at its first suspect recipient. Suspect mail is the first tightened under pressure.
     *
     * @return {@link Decision#ACCEPT}, or a refusal the SMTP layer maps as it maps a message's.
     */
    public Decision admitSuspect(final InetAddress client)
    {
        final Decision tightened = pressureCut(SourceClass.SUSPECT, 0);
        if (tightened != null)
        {
            return tightened;
        }
        final Decision refusal = classBuckets.chargeMessage(SourceClass.SUSPECT, client.getAddress(), nanoClock.nanoTime());
        if (refusal != null)
        {
            counters.counter(AdmissionCounter.CLASS_LIMITED).increment();
            rateLimited.increment();
            return refusal;
        }
        return Decision.ACCEPT;
    }

    /**
     * @param delayShare the lane's projected delay over its bound, 0 to 1.
     * @return a refusal if the class is tightened at the spool's pressure now, else null.
     */
    private Decision pressureCut(final SourceClass sourceClass, final double delayShare)
    {
        if (!sourceClass.hasBuckets() || sourceClass == SourceClass.CLEAN)
        {
            return null;
        }
        final double backlogShare = (double)pressure.pendingMessages() / backpressure.watermarks().high();
        final double share = Math.max(backlogShare, delayShare);
        if (!classBuckets.limits().pressureCut(sourceClass, share))
        {
            return null;
        }
        counters.counter(AdmissionCounter.PRESSURE_TIGHTENED).increment();
        backpressureRefused.increment();
        return new Decision(Verdict.BACKPRESSURE, 0, String.format(Locale.ROOT,
            "%s mail tightened at %.0f%% of the backlog watermark or delay bound", sourceClass.label(), share * 100));
    }

    /** @return whether an operator set a limit for the address or its network ({@link #setOverride}). */
    private boolean operatorSetLimits(final byte[] address)
    {
        return kindBuckets.operatorSetLimits(limits, address);
    }

    /** Counts an outcome for the reputation of {@code client}'s address and network. Thread-safe, cheap. */
    public void learn(final InetAddress client, final ReputationEvent event)
    {
        reputation.table().record(client.getAddress(), Objects.requireNonNull(event, "event"), clock.millis());
    }

    /**
     * Counts an outcome for the source an envelope names ({@code Envelope.sourceKey()}, an address literal); a key
     * that is not an address (a local submitter) has no reputation and is ignored.
     *
     * @return whether it was counted.
     */
    public boolean learn(final String sourceKey, final ReputationEvent event)
    {
        final byte[] address = addressOf(sourceKey);
        if (address == null)
        {
            return false;
        }
        reputation.table().record(address, Objects.requireNonNull(event, "event"), clock.millis());
        return true;
    }

    /**
     * @return the class the source an envelope names ({@code Envelope.sourceKey()}) has earned by its reputation now:
     *         CLEAN, DEMOTED or UNKNOWN (also for a key that is not an address).
     */
    public SourceClass standingOf(final String sourceKey)
    {
        final byte[] address = addressOf(sourceKey);
        return address == null ? SourceClass.UNKNOWN : classOf(address, false);
    }

    /** @return the address an envelope's source key names, or null for a key that is not one (a local submitter). */
    private static byte[] addressOf(final String sourceKey)
    {
        return sourceKey == null ? null : Cidr.literal(sourceKey);
    }

    /**
     * @param key an address or a network of the configured prefix length.
     * @return its reputation now, or null if it has none.
     * @throws IllegalArgumentException if the key is neither.
     */
    public SourceReputation reputation(final String key)
    {
        return reputation.table().describe(key, clock.millis());
    }

    /**
     * @return the {@code n} addresses and networks with the worst record (lowest score) first. Walks the whole
     *         table: for the control plane only.
     * @throws IllegalArgumentException unless {@code n} is 1 to 10,000.
     */
    public List<SourceReputation> worstReputations(final int n)
    {
        if (n < 1 || n > MAX_TOP_SOURCES)
        {
            throw new IllegalArgumentException("worstReputations " + n + ": expected 1 to " + MAX_TOP_SOURCES);
        }
        return reputation.table().worst(n, clock.millis());
    }

    /** @return addresses and networks with a reputation now. */
    public int reputationKeys()
    {
        return reputation.table().size();
    }

    /**
     * Decides a recipient at RCPT TO: one token from each recipient bucket that applies (IP, network, tenant,
     * global for untrusted sources), given back if one refuses.
     */
    public Decision admitRecipient(final InetAddress client, final boolean trusted, final String tenant)
    {
        final Decision decision = charge(Traffic.RECIPIENTS, client.getAddress(), trusted, name(tenant), null, false);
        count(decision, recipientsAccepted);
        return decision;
    }

    /**
     * Classifies an envelope against the spoofing pattern of a backscatter flood: from outside the trusted networks,
     * with a sender whose domain is protected (or a subdomain of one), or a sender equal to the recipient
     * (compared case-insensitively). The answer is the sender domain's own action if it is protected, else the
     * default action; {@link SpoofVerdict#PASS} for trusted sources, the null sender and everything else.
     * Counted under {@link AdmissionCounter#SPOOF_SUSPECT}, {@link AdmissionCounter#SPOOF_REFUSED} or
     * {@link AdmissionCounter#SPOOF_QUARANTINED}.
     */
    public SpoofVerdict classify(final boolean fromTrustedNetwork, final String sender, final String recipient)
    {
        final SpoofVerdict verdict = spoofPolicy.classify(fromTrustedNetwork, sender, recipient);
        if (verdict == SpoofVerdict.SUSPECT)
        {
            counters.counter(AdmissionCounter.SPOOF_SUSPECT).increment();
        }
        else if (verdict == SpoofVerdict.REFUSE)
        {
            counters.counter(AdmissionCounter.SPOOF_REFUSED).increment();
        }
        else if (verdict == SpoofVerdict.QUARANTINE)
        {
            counters.counter(AdmissionCounter.SPOOF_QUARANTINED).increment();
        }
        return verdict;
    }

    private Decision blockedRefusal(final InetAddress client)
    {
        if (blocklist.isEmpty())
        {
            return null;
        }
        final Block block = blocklist.match(client, clock.millis());
        if (block == null)
        {
            return null;
        }
        blocked.increment();
        return new Decision(Verdict.BLOCKED, 0, "blocklist " + block.network());
    }

    private void count(final Decision decision, final AtomicCounter accepted)
    {
        switch (decision.verdict())
        {
            case ACCEPT -> accepted.increment();
            case RATE_LIMITED -> rateLimited.increment();
            case BACKPRESSURE, BACKLOG_FULL -> countBacklogRefusal(decision);
            default -> throw new IllegalStateException("unexpected verdict from the buckets: " + decision);
        }
    }

    /** Every refusal for the backlog counts in BACKPRESSURE; those at the hard limit in BACKLOG_FULL too. */
    private void countBacklogRefusal(final Decision decision)
    {
        backpressureRefused.increment();
        if (decision.verdict() == Verdict.BACKLOG_FULL)
        {
            backlogFull.increment();
        }
    }

    private Decision charge(final Traffic traffic, final byte[] address, final boolean trusted, final String tenant,
        final String senderDomain, final boolean backpressureGate)
    {
        // Connections and recipients have no class here: TRUSTED or, for everyone else, none (no tenant reserve).
        return kindBuckets.charge(traffic, limits, nanoClock.nanoTime(), address, trusted ? SourceClass.TRUSTED : null,
            tenant, senderDomain, backpressureGate);
    }

    private static String name(final String name)
    {
        if (name == null || name.isEmpty())
        {
            return null;
        }
        return name.length() > MAX_NAME_LENGTH ? name.substring(0, MAX_NAME_LENGTH) : name;
    }

    private static String domain(final String senderDomain)
    {
        return senderDomain == null ? null : name(MailAddress.normalizeDomain(senderDomain));
    }

    /** @return the default limit for messages of this kind. */
    public Limit defaultLimit(final KeyKind kind)
    {
        return defaultLimit(kind, Traffic.MESSAGES);
    }

    /** @return the default limit of this kind for this traffic; {@link Limit#UNLIMITED} where the kind does not limit it. */
    public Limit defaultLimit(final KeyKind kind, final Traffic traffic)
    {
        return limits.defaultLimit(Objects.requireNonNull(kind, "kind"), Objects.requireNonNull(traffic, "traffic"));
    }

    /** Sets the default message limit of this kind; see {@link #setDefaultLimit(KeyKind, Traffic, double, long)}. */
    public void setDefaultLimit(final KeyKind kind, final double ratePerSecond, final long burst)
    {
        setDefaultLimit(kind, Traffic.MESSAGES, ratePerSecond, burst);
    }

    /**
     * Sets the limit every key of this kind gets for this traffic unless it has an override; the next decision
     * for any key uses it. A key keeps the tokens it has, capped at the new burst. A rate of 0 turns it off.
     *
     * @throws IllegalArgumentException if the kind does not limit that traffic or the limit is out of range.
     */
    public void setDefaultLimit(final KeyKind kind, final Traffic traffic, final double ratePerSecond, final long burst)
    {
        requireLimits(kind, traffic);
        final Limit limit = new Limit(ratePerSecond, burst);
        synchronized (controlLock)
        {
            limits = limits.withDefault(kind, traffic, limit);
        }
        LOG.info("admission: default {} {} limit is now {}", kind, traffic, limit);
    }

    /** Sets a message limit for one key; see {@link #setOverride(KeyKind, Traffic, String, double, long)}. */
    public void setOverride(final KeyKind kind, final String key, final double ratePerSecond, final long burst)
    {
        setOverride(kind, Traffic.MESSAGES, key, ratePerSecond, burst);
    }

    /**
     * Sets a limit that replaces the default for one key only, e.g. a partner's relay at 198.51.100.7 allowed
     * more, or a tenant held to less; the next decision for that key uses it.
     *
     * @param key an address ({@code 198.51.100.7}) for IP, a network of the configured prefix length
     *            ({@code 198.51.100.0/24}, {@code 2001:db8:1:2::/64}) for NETWORK, a domain for SENDER_DOMAIN, a
     *            tenant name for TENANT. GLOBAL has a single key: set its default instead.
     * @throws IllegalArgumentException if the key does not parse for its kind, the kind does not limit that
     *                                  traffic, or the limit is out of range.
     */
    public void setOverride(final KeyKind kind, final Traffic traffic, final String key, final double ratePerSecond,
        final long burst)
    {
        requireLimits(kind, traffic);
        final TrackedKey parsed = parseKey(kind, key);
        final Limit limit = new Limit(ratePerSecond, burst);
        synchronized (controlLock)
        {
            limits = limits.withOverride(parsed, traffic, limit);
        }
        LOG.info("admission: {} {} limit for {} is now {}", kind, traffic, parsed.text(), limit);
    }

    /** @return whether there was an override of this traffic for the key; the key now gets the default. */
    public boolean removeOverride(final KeyKind kind, final Traffic traffic, final String key)
    {
        requireLimits(kind, traffic);
        final TrackedKey parsed = parseKey(kind, key);
        synchronized (controlLock)
        {
            if (limits.override(parsed, traffic) == null)
            {
                return false;
            }
            limits = limits.withOverride(parsed, traffic, null);
        }
        LOG.info("admission: {} {} limit for {} is the default again", kind, traffic, parsed.text());
        return true;
    }

    /** Removes the key's overrides for every traffic. @return whether it had any. */
    public boolean removeOverrides(final KeyKind kind, final String key)
    {
        final TrackedKey parsed = parseKey(Objects.requireNonNull(kind, "kind"), key);
        boolean removed = false;
        synchronized (controlLock)
        {
            for (final Traffic traffic : Traffic.values())
            {
                if (limits.override(parsed, traffic) != null)
                {
                    limits = limits.withOverride(parsed, traffic, null);
                    removed = true;
                }
            }
        }
        return removed;
    }

    /** @return every per-key override, ordered by kind, key and traffic. */
    public List<LimitOverride> overrides()
    {
        return limits.overrides();
    }

    private static void requireLimits(final KeyKind kind, final Traffic traffic)
    {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(traffic, "traffic");
        if (!kind.limits(traffic))
        {
            throw new IllegalArgumentException(kind + " keys have no " + traffic + " limit: "
                + (traffic == Traffic.CONNECTIONS ? "a connection is admitted before its sender or tenant is known"
                : "a recipient is admitted without the sender domain"));
        }
    }

    private TrackedKey parseKey(final KeyKind kind, final String text)
    {
        return TrackedKey.parse(kind, text, ipv4PrefixLength, ipv6PrefixLength);
    }

    /**
     * Blocks a network: its connections and messages are refused with {@link Verdict#BLOCKED} from the next
     * decision on, also in sessions already open. Kept in the state file across restarts.
     *
     * @param network       an address or CIDR, e.g. {@code 198.51.100.0/24}.
     * @param expiryOrNull  how long the block lasts; null for until {@link #unblock}.
     * @return the block as recorded.
     * @throws IllegalArgumentException if the network does not parse or the expiry is not positive.
     */
    public Block block(final String network, final Duration expiryOrNull)
    {
        return block(Cidr.parse("network", network), expiryOrNull);
    }

    /** Blocks a network; see {@link #block(String, Duration)}. */
    public Block block(final Cidr network, final Duration expiryOrNull)
    {
        Objects.requireNonNull(network, "network");
        final long expiresAtMillis;
        if (expiryOrNull == null)
        {
            expiresAtMillis = Blocklist.never();
        }
        else
        {
            if (expiryOrNull.isNegative() || expiryOrNull.isZero())
            {
                throw new IllegalArgumentException("block expiry " + expiryOrNull + ": expected a positive duration, or none");
            }
            final long now = clock.millis();
            final long expiryMillis = expiryOrNull.compareTo(Duration.ofMillis(Long.MAX_VALUE - now)) >= 0
                ? Long.MAX_VALUE - now - 1 : expiryOrNull.toMillis();
            expiresAtMillis = now + expiryMillis;
        }
        blocklist.block(network, expiresAtMillis);
        final Block block = new Block(
            network, expiresAtMillis == Blocklist.never() ? null : Instant.ofEpochMilli(expiresAtMillis));
        LOG.info("admission: blocked {}{}", network, block.isPermanent() ? "" : " until " + block.expiresAt());
        return block;
    }

    /**
     * @return whether the network was blocked. A network from {@link AdmissionContext#BLOCKLIST} comes back
     *         at the next start unless it is removed from the configuration too.
     * @throws IllegalArgumentException if the network does not parse.
     */
    public boolean unblock(final String network)
    {
        return unblock(Cidr.parse("network", network));
    }

    public boolean unblock(final Cidr network)
    {
        final boolean removed = blocklist.unblock(Objects.requireNonNull(network, "network"));
        if (removed)
        {
            LOG.info("admission: unblocked {}", network);
        }
        return removed;
    }

    /** @return the blocks in force now, by network; lapsed ones are forgotten. */
    public List<Block> blocks()
    {
        return blocklist.blocks(clock.millis());
    }

    /**
     * @return the {@code n} keys (addresses, networks, sender domains, tenants) that asked to send the most
     *         messages lately, most first; approximate. Walks the whole table: for the control plane only.
     * @throws IllegalArgumentException unless {@code n} is 1 to 10,000.
     */
    public List<SourceVolume> topSources(final int n)
    {
        if (n < 1 || n > MAX_TOP_SOURCES)
        {
            throw new IllegalArgumentException("topSources " + n + ": expected 1 to " + MAX_TOP_SOURCES);
        }
        return table.busiest(n);
    }

    /**
     * Sets the bound on a new message's projected delay; the next decision uses it. 0 turns the bound off.
     *
     * @throws IllegalArgumentException if negative.
     */
    public void setMaxProjectedDelayMs(final long delayMs)
    {
        if (delayMs < 0)
        {
            throw new IllegalArgumentException("maxProjectedDelayMs " + delayMs + ": expected 0 (off) or more");
        }
        maxProjectedDelayMs = delayMs;
        LOG.info("admission: max projected delay is now {} ms", delayMs);
    }

    public long maxProjectedDelayMs()
    {
        return maxProjectedDelayMs;
    }

    /**
     * @return the backlog watermarks in force and where they came from (configured, or derived from the spool's disk,
     *         its index's memory or the drain's rate); derived again first when they are due.
     */
    public BacklogWatermarks backlogWatermarks()
    {
        return backpressure.watermarks();
    }

    /** @return whether backpressure was on at the last decision. */
    public boolean isBackpressureOn()
    {
        return backpressure.isOn();
    }

    /** @return keys with a bucket now. */
    public int trackedKeys()
    {
        return table.size();
    }

    /**
     * Counts an event under {@code reason}; for refusals the SMTP layer decides itself ({@link AdmissionCounter#TOO_BIG},
     * {@link AdmissionCounter#SMUGGLING}, {@link AdmissionCounter#RELAY_DENIED}). Thread-safe, lock-free.
     * {@link #classify} counts {@link AdmissionCounter#SPOOF_SUSPECT} and {@link AdmissionCounter#SPOOF_REFUSED}
     * itself: do not record those again.
     *
     * @throws IllegalArgumentException for a gauge, which holds a value rather than counting events.
     */
    public void record(final AdmissionCounter reason)
    {
        if (reason.isGauge())
        {
            throw new IllegalArgumentException(reason + " is a gauge, not an event counter");
        }
        counters.counter(reason).increment();
    }

    public long count(final AdmissionCounter counter)
    {
        return counters.get(counter);
    }

    /** @return every counter, by reason; {@link EnumCounters#reader()} lists them by id and label for consoles. */
    public EnumCounters<AdmissionCounter> counters()
    {
        return counters;
    }

    /**
     * Maintenance, to be called periodically (every few seconds) from a maintenance thread, never an event loop:
     * drops keys whose buckets have refilled to full, halves every key's recent volume (so {@link #topSources}
     * shows recent senders), and writes the state file atomically if one is configured; the reputation file, at
     * most once a minute ({@link ReputationStore#SAVE_INTERVAL_MS}) and at close.
     *
     * @return the buckets that were not full, which is what the file holds.
     * @throws UncheckedIOException if the file could not be written; the previous file is left as it was.
     */
    public int snapshot()
    {
        synchronized (snapshotLock)
        {
            final long nowNs = nanoClock.nanoTime();
            try (AdmissionStateFile.Writer writer = stateFile == null ? null
                : new AdmissionStateFile.Writer(stateFile, clock.millis(), runtimeBlocks(), overrides()))
            {
                int saved = AdmissionStateFile.saveBuckets(global, nowNs, writer);
                for (final TrackedKey key : table.keys())
                {
                    key.volume >>= 1;
                    final int buckets = AdmissionStateFile.saveBuckets(key, nowNs, writer);
                    if (buckets == 0)
                    {
                        table.removeIfIdle(key, nowNs);
                    }
                    saved += buckets;
                }
                if (writer != null)
                {
                    writer.commit();
                    counters.counter(AdmissionCounter.STATE_SNAPSHOTS_WRITTEN).increment();
                }
                reputation.snapshot(closed);
                counters.counter(AdmissionCounter.REPUTATION_KEYS).set(reputation.table().size());
                return saved;
            }
            catch (final IOException ex)
            {
                stateFileFailures.increment();
                LOG.warn("admission: cannot write state file {}: {}", stateFile, ex.toString());
                throw new UncheckedIOException(ex);
            }
        }
    }

    private List<Block> runtimeBlocks()
    {
        final List<Block> runtime = new ArrayList<>();
        for (final Block block : blocks())
        {
            if (!configuredBlocks.contains(block.network()))
            {
                runtime.add(block);
            }
        }
        return runtime;
    }

    /** Applies the state file, if there is a readable one: its blocks, overrides and buckets that are still valid. */
    private void restore()
    {
        final AdmissionStateFile.Saved saved = AdmissionStateFile.readOrSetAside(stateFile, stateFileFailures);
        if (saved == null)
        {
            return;
        }
        final long nowMs = clock.millis();
        int skipped = 0;
        for (final AdmissionStateFile.SavedBlock block : saved.blocks())
        {
            skipped += restoreBlock(block, nowMs) ? 0 : 1;
        }
        for (final LimitOverride override : saved.overrides())
        {
            skipped += restoreOverride(override) ? 0 : 1;
        }
        final long offlineMs = AdmissionStateFile.offlineMillis(saved, nowMs);
        final long nowNs = nanoClock.nanoTime();
        int restored = 0;
        for (final AdmissionStateFile.SavedBucket bucket : saved.buckets())
        {
            restored += restoreBucket(bucket, nowNs, offlineMs * 1_000_000) ? 1 : 0;
        }
        LOG.info("admission: restored {} blocks, {} overrides and {} buckets saved {} s ago from {}{}",
            saved.blocks().size(), saved.overrides().size(), restored, offlineMs / 1000, stateFile,
            skipped > 0 ? " (" + skipped + " entries no longer valid were skipped)" : "");
    }

    private boolean restoreBlock(final AdmissionStateFile.SavedBlock block, final long nowMs)
    {
        if (block.expiresAtMillis() <= nowMs)
        {
            return true;
        }
        try
        {
            blocklist.block(Cidr.parse("network", block.network()), block.expiresAtMillis());
            return true;
        }
        catch (final IllegalArgumentException ex)
        {
            return false;
        }
    }

    private boolean restoreOverride(final LimitOverride override)
    {
        try
        {
            requireLimits(override.kind(), override.traffic());
            final TrackedKey key = parseKey(override.kind(), override.key());
            synchronized (controlLock)
            {
                limits = limits.withOverride(key, override.traffic(), override.limit());
            }
            return true;
        }
        catch (final IllegalArgumentException ex)
        {
            // E.g. a network key saved under another prefix length than the one configured now.
            LOG.warn("admission: saved override {} skipped: {}", override, ex.getMessage());
            return false;
        }
    }

    /** Puts a saved bucket back on its key, as {@link AdmissionStateFile#bucketState} recreates it. */
    private boolean restoreBucket(final AdmissionStateFile.SavedBucket bucket, final long nowNs, final long offlineNs)
    {
        final TrackedKey probe;
        try
        {
            probe = bucket.kind() == KeyKind.GLOBAL ? global : parseKey(bucket.kind(), bucket.key());
        }
        catch (final IllegalArgumentException ex)
        {
            return false;
        }
        final BucketConfiguration configuration = limits.configuration(probe, bucket.traffic());
        if (configuration == null)
        {
            return false;
        }
        final BucketState state = AdmissionStateFile.bucketState(configuration, bucket.tokens(), nowNs, offlineNs);
        if (state == null)
        {
            return false;
        }
        final TrackedKey key = probe == global ? global : table.get(probe, nowNs);
        key.restore(bucket.traffic(), state);
        return true;
    }

    /**
     * Writes the state file one last time (a failure is logged and counted, not thrown). Idempotent. Decisions
     * still work afterwards, but nothing they change is saved.
     */
    @Override
    public void close()
    {
        synchronized (snapshotLock)
        {
            if (closed)
            {
                return;
            }
            closed = true;
        }
        try
        {
            final int saved = snapshot();
            if (stateFile != null)
            {
                LOG.info("admission: saved {} buckets to {}", saved, stateFile);
            }
        }
        catch (final UncheckedIOException ex)
        {
            LOG.warn("admission: state not saved at close: {}", ex.getCause().toString());
        }
    }

    @Override
    public String toString()
    {
        return String.format(Locale.ROOT, "Admission{trackedKeys=%d, backpressure=%s, blocks=%d}",
            trackedKeys(), isBackpressureOn(), blocks().size());
    }
}
