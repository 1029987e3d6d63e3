package io.sluice.admission;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.sluice.config.Concludable;
import io.sluice.config.InvalidSettingException;
import io.sluice.config.Setting;

/**
 * The settings of reputation, class buckets and pressure tiers, part of {@link AdmissionContext}: each key declared
 * once ({@link Setting}), a fluent setter, and one {@link #conclude()} that names the first bad key.
 *
 * <p>Class buckets, one rate and burst per class and key kind ({@code admission.class.<class>.<ip|network>.*}),
 * messages per second at MAIL FROM (suspect: at the first suspect RCPT); a rate of 0 turns that bucket off:
 *
 * <pre>
 *            ip                  network
 * clean      20/s, 200           50/s, 1000
 * unknown     2/s, 60            10/s, 200
 * suspect   0.1/s, 5            0.5/s, 10
 * </pre>
 *
 * A demoted source or network has no bucket: its mail is tempfailed at MAIL FROM until its bad points decay, and
 * its network may open 1 connection a second (burst 10).
 *
 * The reasoning behind each figure is in docs/admission.md.
 */
public final class ReputationSettings extends Concludable
{
    private static final String EXPECTED = "expected ";

    /** Reputation points halve in this time: a flood's network comes back to unknown in a day or two of silence. */
    public static final Setting<Long> HALF_LIFE_MS =
        Setting.ofLong("admission.reputation.halfLifeMs", TimeUnit.HOURS.toMillis(12)).range(1000, TimeUnit.DAYS.toMillis(365))
            .doc("Reputation points halve in this time.")
            .build();

    /** Bad points (a policy rejection or a spoof is 1) above which a source or network is demoted. */
    public static final Setting<Double> DEMOTE_AFTER = Setting.ofDouble("admission.reputation.demoteAfter", 5)
        .range(0.1, 1_000_000.0)
        .doc("Bad points (a policy rejection or a spoof is 1, an unknown user 0.25, a refused command 0.1) from which an "
            + "address or network is demoted, when they are over 5 % of its clean points.")
        .build();

    /** Clean deliveries after which a source or network (with almost no bad points) is clean. */
    public static final Setting<Double> CLEAN_AFTER = Setting.ofDouble("admission.reputation.cleanAfter", 20)
        .range(1.0, (double)ReputationEntry.CLEAN_CAP)
        .doc("Clean deliveries from which an address or network is clean, with bad points at most 5 % of them.")
        .build();

    /**
     * Clean deliveries from which a clean source or network is established: it may draw on the share of a tenant's
     * message bucket kept from everyone else ({@link #TENANT_RESERVE}). Ten times {@link #CLEAN_AFTER}: a flood's
     * network turns clean on its first twenty deliveries, while the reserve holds it to the open share.
     */
    public static final Setting<Double> ESTABLISHED_AFTER = Setting.ofDouble("admission.reputation.establishedAfter", 200)
        .checkedWith("admission.reputation.cleanAfter to " + (int)ReputationEntry.CLEAN_CAP)
        .doc("Clean deliveries from which a clean address or network is established, with bad points at most 5 % of "
            + "them: it may use the share of a tenant's message bucket kept by admission.tenant.establishedReserve.")
        .build();

    /**
     * The share of every tenant's message bucket only established, trusted and authenticated sources may take: the
     * rest of the mail (unknown, clean but new, suspect) is refused once the bucket is down to it. So a flood of new
     * senders in the catch-all tenant exhausts its own share, never a partner's; the bucket still bounds the total.
     */
    public static final Setting<Double> TENANT_RESERVE = Setting.ofDouble("admission.tenant.establishedReserve", 0.5)
        .range(0.0, 0.9)
        .doc("Share of every tenant's message bucket (burst) kept for established, trusted and authenticated sources: "
            + "other mail is tempfailed (450 4.7.1) once the bucket is down to it. 0 = no reserve.")
        .build();

    /** The most addresses and networks with a reputation; the least informative goes first when full. */
    public static final Setting<Integer> MAX_KEYS = Setting.ofInt("admission.reputation.maxKeys", 1_000_000)
        .range(16, 100_000_000)
        .doc("Addresses and networks with a reputation, at most; the one with the fewest points goes first.")
        .build();

    /**
     * Where reputation is kept across restarts; by default {@value #DEFAULT_STATE_FILE} beside admission's state file
     * (none if admission has none); an empty path disables it.
     */
    public static final Setting<String> STATE_FILE = Setting.ofString("admission.reputation.stateFile", "")
        .derivedFrom("`<spool.directory>/reputation.state`")
        .doc("Reputation across restarts.")
        .build();
    public static final String DEFAULT_STATE_FILE = "reputation.state";

    /**
     * The share of the backlog high watermark (or of the projected delay bound) at which suspect mail is tempfailed;
     * unknown mail at {@link #PRESSURE_UNKNOWN_AT}; clean mail only at the watermark itself, trusted at the hard limit.
     */
    public static final Setting<Double> PRESSURE_SUSPECT_AT = Setting.ofDouble("admission.pressure.suspectAt", 0.25)
        .check(share -> share > 0 && share <= 1, "a share of the backlog watermark above 0 and at most 1")
        .doc("Share of the backlog high watermark (or of the projected delay bound) above which suspect mail is "
            + "tempfailed.")
        .build();
    public static final Setting<Double> PRESSURE_UNKNOWN_AT = Setting.ofDouble("admission.pressure.unknownAt", 0.5)
        .checkedWith("admission.pressure.suspectAt to 1: unknown mail is tightened after suspect")
        .doc("The same for unknown mail; clean mail only at the watermark itself, trusted at the hard limit.")
        .build();

    /** Connections per second (and burst) of a demoted network: connection limits tighten only for a bad record. */
    public static final Setting<Double> DEMOTED_CONNECTIONS_PER_SECOND =
        Setting.ofDouble("admission.class.demoted.network.connectionsPerSecond", 1)
            .check(Limit::isValidRate, Limit.RATE_EXPECTED.substring(EXPECTED.length()))
            .doc("Connections a demoted network may open per second (its mail is tempfailed at MAIL FROM anyway).")
            .build();
    public static final Setting<Long> DEMOTED_CONNECTION_BURST =
        Setting.ofLong("admission.class.demoted.network.connectionBurst", 10)
            .checkedWith(Limit.BURST_EXPECTED.substring(EXPECTED.length()) + " while its rate is above 0")
            .doc("The bucket size for `admission.class.demoted.network.connectionsPerSecond`.")
            .build();

    /**
     * The keys declared once, in the order of the configuration reference. The class buckets' rates and bursts
     * ({@link #rateKey}, {@link #burstKey}) are a table of their own and are not in this list.
     */
    public static final List<Setting<?>> SETTINGS = List.of(DEMOTED_CONNECTIONS_PER_SECOND, DEMOTED_CONNECTION_BURST,
        HALF_LIFE_MS, DEMOTE_AFTER, CLEAN_AFTER, ESTABLISHED_AFTER, TENANT_RESERVE, MAX_KEYS, STATE_FILE, PRESSURE_SUSPECT_AT,
        PRESSURE_UNKNOWN_AT);

    /** Per class with buckets (clean, unknown, suspect) and kind (ip, network). */
    private static final double[][] DEFAULT_RATES = {{20, 50}, {2, 10}, {0.1, 0.5}};
    private static final long[][] DEFAULT_BURSTS = {{200, 1000}, {60, 200}, {5, 10}};
    private static final SourceClass[] CLASSES = {SourceClass.CLEAN, SourceClass.UNKNOWN, SourceClass.SUSPECT};
    private static final KeyKind[] KINDS = {KeyKind.IP, KeyKind.NETWORK};

    private final double[][] rates = new double[CLASSES.length][KINDS.length];
    private final long[][] bursts = new long[CLASSES.length][KINDS.length];
    private long halfLifeMs = HALF_LIFE_MS.defaultValue();
    private double demoteAfter = DEMOTE_AFTER.defaultValue();
    private double cleanAfter = CLEAN_AFTER.defaultValue();
    private double establishedAfter = ESTABLISHED_AFTER.defaultValue();
    private double tenantReserve = TENANT_RESERVE.defaultValue();
    private int maxKeys = MAX_KEYS.defaultValue();
    /** Null: beside admission's state file. */
    private Path stateFile;
    private double pressureSuspectAt = PRESSURE_SUSPECT_AT.defaultValue();
    private double pressureUnknownAt = PRESSURE_UNKNOWN_AT.defaultValue();
    private double demotedConnectionsPerSecond = DEMOTED_CONNECTIONS_PER_SECOND.defaultValue();
    private long demotedConnectionBurst = DEMOTED_CONNECTION_BURST.defaultValue();

    ReputationSettings()
    {
        for (int c = 0; c < CLASSES.length; c++)
        {
            rates[c] = DEFAULT_RATES[c].clone();
            bursts[c] = DEFAULT_BURSTS[c].clone();
        }
    }

    /** @return the classes with buckets of their own, in the order of the settings table. */
    public static SourceClass[] bucketClasses()
    {
        return CLASSES.clone();
    }

    /** @return the key kinds class buckets are kept for: IP and NETWORK. */
    public static KeyKind[] bucketKinds()
    {
        return KINDS.clone();
    }

    /** @return e.g. {@code admission.class.unknown.network.ratePerSecond}. */
    public static String rateKey(final SourceClass sourceClass, final KeyKind kind)
    {
        return "admission.class." + sourceClass.label() + "." + kind.configPrefix().substring("admission.".length())
            + ".ratePerSecond";
    }

    /** @return e.g. {@code admission.class.unknown.network.burst}. */
    public static String burstKey(final SourceClass sourceClass, final KeyKind kind)
    {
        return "admission.class." + sourceClass.label() + "." + kind.configPrefix().substring("admission.".length())
            + ".burst";
    }

    public static double defaultRatePerSecond(final SourceClass sourceClass, final KeyKind kind)
    {
        return DEFAULT_RATES[classIndex(sourceClass)][kindIndex(kind)];
    }

    public static long defaultBurst(final SourceClass sourceClass, final KeyKind kind)
    {
        return DEFAULT_BURSTS[classIndex(sourceClass)][kindIndex(kind)];
    }

    static int classIndex(final SourceClass sourceClass)
    {
        for (int c = 0; c < CLASSES.length; c++)
        {
            if (CLASSES[c] == sourceClass)
            {
                return c;
            }
        }
        throw new IllegalArgumentException(sourceClass + " has no buckets of its own");
    }

    static int kindIndex(final KeyKind kind)
    {
        if (kind == KeyKind.IP || kind == KeyKind.NETWORK)
        {
            return kind == KeyKind.IP ? 0 : 1;
        }
        throw new IllegalArgumentException(kind + " has no class buckets: only IP and NETWORK");
    }

    /**
     * @return this, validated and frozen.
     * @throws InvalidSettingException naming the first bad setting.
     */
    ReputationSettings conclude()
    {
        for (final SourceClass sourceClass : CLASSES)
        {
            for (final KeyKind kind : KINDS)
            {
                final double rate = rates[classIndex(sourceClass)][kindIndex(kind)];
                final long burst = bursts[classIndex(sourceClass)][kindIndex(kind)];
                if (!Limit.isValidRate(rate))
                {
                    throw new InvalidSettingException(rateKey(sourceClass, kind), rate, Limit.RATE_EXPECTED);
                }
                if (rate > 0 && !Limit.isValidBurst(burst))
                {
                    throw new InvalidSettingException(burstKey(sourceClass, kind), burst, Limit.BURST_EXPECTED);
                }
            }
        }
        if (!Limit.isValidRate(demotedConnectionsPerSecond))
        {
            throw new InvalidSettingException(DEMOTED_CONNECTIONS_PER_SECOND.key(), demotedConnectionsPerSecond,
                Limit.RATE_EXPECTED);
        }
        if (demotedConnectionsPerSecond > 0 && !Limit.isValidBurst(demotedConnectionBurst))
        {
            throw new InvalidSettingException(DEMOTED_CONNECTION_BURST.key(), demotedConnectionBurst, Limit.BURST_EXPECTED);
        }
        HALF_LIFE_MS.validate(halfLifeMs);
        DEMOTE_AFTER.validate(demoteAfter);
        CLEAN_AFTER.validate(cleanAfter);
        if (!(establishedAfter >= cleanAfter && establishedAfter <= ReputationEntry.CLEAN_CAP))
        {
            throw ESTABLISHED_AFTER.invalid(establishedAfter, CLEAN_AFTER + " (" + cleanAfter + ") to "
                + (int)ReputationEntry.CLEAN_CAP + ": established is clean and more");
        }
        TENANT_RESERVE.validate(tenantReserve);
        MAX_KEYS.validate(maxKeys);
        PRESSURE_SUSPECT_AT.validate(pressureSuspectAt);
        if (!(pressureUnknownAt >= pressureSuspectAt && pressureUnknownAt <= 1))
        {
            throw PRESSURE_UNKNOWN_AT.invalid(pressureUnknownAt,
                PRESSURE_SUSPECT_AT + " (" + pressureSuspectAt + ") to 1: unknown mail is tightened after suspect");
        }
        markConcluded();
        return this;
    }

    public ReputationSettings ratePerSecond(final SourceClass sourceClass, final KeyKind kind, final double ratePerSecond)
    {
        checkMutable();
        rates[classIndex(sourceClass)][kindIndex(kind)] = ratePerSecond;
        return this;
    }

    public ReputationSettings burst(final SourceClass sourceClass, final KeyKind kind, final long burst)
    {
        checkMutable();
        bursts[classIndex(sourceClass)][kindIndex(kind)] = burst;
        return this;
    }

    /** @return the class bucket's limit; valid once concluded. */
    public Limit limit(final SourceClass sourceClass, final KeyKind kind)
    {
        return new Limit(rates[classIndex(sourceClass)][kindIndex(kind)], bursts[classIndex(sourceClass)][kindIndex(kind)]);
    }

    public ReputationSettings halfLifeMs(final long halfLifeMs)
    {
        checkMutable();
        this.halfLifeMs = halfLifeMs;
        return this;
    }

    public long halfLifeMs()
    {
        return halfLifeMs;
    }

    public ReputationSettings demoteAfter(final double demoteAfter)
    {
        checkMutable();
        this.demoteAfter = demoteAfter;
        return this;
    }

    public double demoteAfter()
    {
        return demoteAfter;
    }

    public ReputationSettings cleanAfter(final double cleanAfter)
    {
        checkMutable();
        this.cleanAfter = cleanAfter;
        return this;
    }

    public double cleanAfter()
    {
        return cleanAfter;
    }

    public ReputationSettings establishedAfter(final double establishedAfter)
    {
        checkMutable();
        this.establishedAfter = establishedAfter;
        return this;
    }

    public double establishedAfter()
    {
        return establishedAfter;
    }

    /** @param share of each tenant's message burst kept for established sources; 0 for none. */
    public ReputationSettings tenantReserve(final double share)
    {
        checkMutable();
        this.tenantReserve = share;
        return this;
    }

    public double tenantReserve()
    {
        return tenantReserve;
    }

    public ReputationSettings maxKeys(final int maxKeys)
    {
        checkMutable();
        this.maxKeys = maxKeys;
        return this;
    }

    public int maxKeys()
    {
        return maxKeys;
    }

    /** @param stateFile an empty path for none; null for {@value #DEFAULT_STATE_FILE} beside admission's state file. */
    public ReputationSettings stateFile(final Path stateFile)
    {
        checkMutable();
        this.stateFile = stateFile;
        return this;
    }

    /**
     * @param admissionStateFile admission's state file, or null if it has none.
     * @return the reputation file, or null for none.
     */
    Path stateFileBeside(final Path admissionStateFile)
    {
        if (stateFile == null)
        {
            return admissionStateFile == null ? null : admissionStateFile.resolveSibling(DEFAULT_STATE_FILE);
        }
        return stateFile.toString().isEmpty() ? null : stateFile;
    }

    public ReputationSettings pressureSuspectAt(final double share)
    {
        checkMutable();
        this.pressureSuspectAt = share;
        return this;
    }

    public double pressureSuspectAt()
    {
        return pressureSuspectAt;
    }

    public ReputationSettings pressureUnknownAt(final double share)
    {
        checkMutable();
        this.pressureUnknownAt = share;
        return this;
    }

    public double pressureUnknownAt()
    {
        return pressureUnknownAt;
    }

    public ReputationSettings demotedConnections(final double ratePerSecond, final long burst)
    {
        checkMutable();
        this.demotedConnectionsPerSecond = ratePerSecond;
        this.demotedConnectionBurst = burst;
        return this;
    }

    public Limit demotedConnectionLimit()
    {
        return new Limit(demotedConnectionsPerSecond, demotedConnectionBurst);
    }
}
