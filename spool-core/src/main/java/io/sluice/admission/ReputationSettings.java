package io.sluice.admission;

import java.nio.file.Path;

import io.sluice.config.InvalidSettingException;

/**
 * The settings of reputation, class buckets and pressure tiers, part of {@link AdmissionContext}: each key beside
 * its default, a fluent setter, and one {@link #conclude()} that names the first bad key.
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
public final class ReputationSettings
{
    /** Reputation points halve in this time: a flood's network comes back to unknown in a day or two of silence. */
    public static final String HALF_LIFE_MS = "admission.reputation.halfLifeMs";
    public static final long DEFAULT_HALF_LIFE_MS = 12L * 3600 * 1000;

    /** Bad points (a policy rejection or a spoof is 1) above which a source or network is demoted. */
    public static final String DEMOTE_AFTER = "admission.reputation.demoteAfter";
    public static final double DEFAULT_DEMOTE_AFTER = 5;

    /** Clean deliveries after which a source or network (with almost no bad points) is clean. */
    public static final String CLEAN_AFTER = "admission.reputation.cleanAfter";
    public static final double DEFAULT_CLEAN_AFTER = 20;

    /** The most addresses and networks with a reputation; the least informative goes first when full. */
    public static final String MAX_KEYS = "admission.reputation.maxKeys";
    public static final int DEFAULT_MAX_KEYS = 1_000_000;

    /**
     * Where reputation is kept across restarts; by default {@value #DEFAULT_STATE_FILE} beside admission's state file
     * (none if admission has none); an empty path disables it.
     */
    public static final String STATE_FILE = "admission.reputation.stateFile";
    public static final String DEFAULT_STATE_FILE = "reputation.state";

    /**
     * The share of the backlog high watermark (or of the projected delay bound) at which suspect mail is tempfailed;
     * unknown mail at {@link #PRESSURE_UNKNOWN_AT}; clean mail only at the watermark itself, trusted at the hard limit.
     */
    public static final String PRESSURE_SUSPECT_AT = "admission.pressure.suspectAt";
    public static final double DEFAULT_PRESSURE_SUSPECT_AT = 0.25;
    public static final String PRESSURE_UNKNOWN_AT = "admission.pressure.unknownAt";
    public static final double DEFAULT_PRESSURE_UNKNOWN_AT = 0.5;

    /** Connections per second (and burst) of a demoted network: connection limits tighten only for a bad record. */
    public static final String DEMOTED_CONNECTIONS_PER_SECOND = "admission.class.demoted.network.connectionsPerSecond";
    public static final double DEFAULT_DEMOTED_CONNECTIONS_PER_SECOND = 1;
    public static final String DEMOTED_CONNECTION_BURST = "admission.class.demoted.network.connectionBurst";
    public static final long DEFAULT_DEMOTED_CONNECTION_BURST = 10;

    /** Per class with buckets (clean, unknown, suspect) and kind (ip, network). */
    private static final double[][] DEFAULT_RATES = {{20, 50}, {2, 10}, {0.1, 0.5}};
    private static final long[][] DEFAULT_BURSTS = {{200, 1000}, {60, 200}, {5, 10}};
    private static final SourceClass[] CLASSES = {SourceClass.CLEAN, SourceClass.UNKNOWN, SourceClass.SUSPECT};
    private static final KeyKind[] KINDS = {KeyKind.IP, KeyKind.NETWORK};
    private static final int MIN_KEYS = 16;
    private static final int MAX_MAX_KEYS = 100_000_000;

    private final double[][] rates = new double[CLASSES.length][KINDS.length];
    private final long[][] bursts = new long[CLASSES.length][KINDS.length];
    private long halfLifeMs = DEFAULT_HALF_LIFE_MS;
    private double demoteAfter = DEFAULT_DEMOTE_AFTER;
    private double cleanAfter = DEFAULT_CLEAN_AFTER;
    private int maxKeys = DEFAULT_MAX_KEYS;
    /** Null: beside admission's state file. */
    private Path stateFile;
    private double pressureSuspectAt = DEFAULT_PRESSURE_SUSPECT_AT;
    private double pressureUnknownAt = DEFAULT_PRESSURE_UNKNOWN_AT;
    private double demotedConnectionsPerSecond = DEFAULT_DEMOTED_CONNECTIONS_PER_SECOND;
    private long demotedConnectionBurst = DEFAULT_DEMOTED_CONNECTION_BURST;
    private boolean concluded;

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
            throw new InvalidSettingException(DEMOTED_CONNECTIONS_PER_SECOND, demotedConnectionsPerSecond, Limit.RATE_EXPECTED);
        }
        if (demotedConnectionsPerSecond > 0 && !Limit.isValidBurst(demotedConnectionBurst))
        {
            throw new InvalidSettingException(DEMOTED_CONNECTION_BURST, demotedConnectionBurst, Limit.BURST_EXPECTED);
        }
        if (halfLifeMs < 1000 || halfLifeMs > 365L * 24 * 3600 * 1000)
        {
            throw new InvalidSettingException(HALF_LIFE_MS, halfLifeMs, "expected 1000 (1 s) to 31536000000 (a year)");
        }
        if (!(demoteAfter >= 0.1 && demoteAfter <= 1_000_000))
        {
            throw new InvalidSettingException(DEMOTE_AFTER, demoteAfter, "expected 0.1 to 1000000 bad points");
        }
        if (!(cleanAfter >= 1 && cleanAfter <= ReputationEntry.CLEAN_CAP))
        {
            throw new InvalidSettingException(CLEAN_AFTER, cleanAfter,
                "expected 1 to " + (int)ReputationEntry.CLEAN_CAP + " clean deliveries");
        }
        if (maxKeys < MIN_KEYS || maxKeys > MAX_MAX_KEYS)
        {
            throw new InvalidSettingException(MAX_KEYS, maxKeys, "expected " + MIN_KEYS + " to " + MAX_MAX_KEYS);
        }
        if (!(pressureSuspectAt > 0 && pressureSuspectAt <= 1))
        {
            throw new InvalidSettingException(PRESSURE_SUSPECT_AT, pressureSuspectAt,
                "expected a share of the backlog watermark above 0 and at most 1");
        }
        if (!(pressureUnknownAt >= pressureSuspectAt && pressureUnknownAt <= 1))
        {
            throw new InvalidSettingException(PRESSURE_UNKNOWN_AT, pressureUnknownAt,
                "expected " + PRESSURE_SUSPECT_AT + " (" + pressureSuspectAt + ") to 1: unknown mail is tightened after suspect");
        }
        concluded = true;
        return this;
    }

    private void checkMutable()
    {
        if (concluded)
        {
            throw new IllegalStateException("ReputationSettings are concluded and can no longer change");
        }
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
