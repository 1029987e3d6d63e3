package io.sluice.control;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;

import io.sluice.admission.Admission;
import io.sluice.admission.AdmissionContext;
import io.sluice.admission.Block;
import io.sluice.admission.SourceReputation;
import io.sluice.admission.KeyKind;
import io.sluice.admission.Limit;
import io.sluice.admission.LimitOverride;
import io.sluice.admission.Traffic;
import io.sluice.ingress.auth.AuthFailures;

/**
 * Admission's limits for operators. Changes reach live traffic at once (the next MAIL FROM sees them),
 * default limits persist in {@link ControlState} under their configuration keys, and overrides and blocks
 * in admission's own state file, written before the call returns.
 */
public final class LimitsControl implements LimitsControlMXBean
{
    private final Admission admission;
    private final ControlState state;
    private final IntFunction<List<AuthFailures.Entry>> authFailures;

    /** Without SMTP AUTH: {@link #authFailures} lists nothing. */
    public LimitsControl(final Admission admission, final ControlState state)
    {
        this(admission, state, n -> List.of());
    }

    /** @param authFailures SMTP AUTH's worst failure records ({@code AuthFailures::worst}). */
    public LimitsControl(final Admission admission, final ControlState state,
        final IntFunction<List<AuthFailures.Entry>> authFailures)
    {
        this.admission = admission;
        this.state = state;
        this.authFailures = authFailures;
    }

    private double rate(final KeyKind kind)
    {
        return admission.defaultLimit(kind, Traffic.MESSAGES).ratePerSecond();
    }

    private long burst(final KeyKind kind)
    {
        return admission.defaultLimit(kind, Traffic.MESSAGES).burst();
    }

    private void setRate(final KeyKind kind, final double rate)
    {
        final Limit old = admission.defaultLimit(kind, Traffic.MESSAGES);
        admission.setDefaultLimit(kind, Traffic.MESSAGES, rate, old.burst());
        state.changed(AdmissionContext.rateKey(kind, Traffic.MESSAGES), old.ratePerSecond(), rate);
    }

    private void setBurst(final KeyKind kind, final long burst)
    {
        final Limit old = admission.defaultLimit(kind, Traffic.MESSAGES);
        admission.setDefaultLimit(kind, Traffic.MESSAGES, old.ratePerSecond(), burst);
        state.changed(AdmissionContext.burstKey(kind, Traffic.MESSAGES), old.burst(), burst);
    }

    @Override
    public double getIpRatePerSecond()
    {
        return rate(KeyKind.IP);
    }

    @Override
    public void setIpRatePerSecond(final double rate)
    {
        setRate(KeyKind.IP, rate);
    }

    @Override
    public long getIpBurst()
    {
        return burst(KeyKind.IP);
    }

    @Override
    public void setIpBurst(final long burst)
    {
        setBurst(KeyKind.IP, burst);
    }

    @Override
    public double getNetworkRatePerSecond()
    {
        return rate(KeyKind.NETWORK);
    }

    @Override
    public void setNetworkRatePerSecond(final double rate)
    {
        setRate(KeyKind.NETWORK, rate);
    }

    @Override
    public long getNetworkBurst()
    {
        return burst(KeyKind.NETWORK);
    }

    @Override
    public void setNetworkBurst(final long burst)
    {
        setBurst(KeyKind.NETWORK, burst);
    }

    @Override
    public double getSenderDomainRatePerSecond()
    {
        return rate(KeyKind.SENDER_DOMAIN);
    }

    @Override
    public void setSenderDomainRatePerSecond(final double rate)
    {
        setRate(KeyKind.SENDER_DOMAIN, rate);
    }

    @Override
    public long getSenderDomainBurst()
    {
        return burst(KeyKind.SENDER_DOMAIN);
    }

    @Override
    public void setSenderDomainBurst(final long burst)
    {
        setBurst(KeyKind.SENDER_DOMAIN, burst);
    }

    @Override
    public double getTenantRatePerSecond()
    {
        return rate(KeyKind.TENANT);
    }

    @Override
    public void setTenantRatePerSecond(final double rate)
    {
        setRate(KeyKind.TENANT, rate);
    }

    @Override
    public long getTenantBurst()
    {
        return burst(KeyKind.TENANT);
    }

    @Override
    public void setTenantBurst(final long burst)
    {
        setBurst(KeyKind.TENANT, burst);
    }

    @Override
    public double getGlobalRatePerSecond()
    {
        return rate(KeyKind.GLOBAL);
    }

    @Override
    public void setGlobalRatePerSecond(final double rate)
    {
        setRate(KeyKind.GLOBAL, rate);
    }

    @Override
    public long getGlobalBurst()
    {
        return burst(KeyKind.GLOBAL);
    }

    @Override
    public void setGlobalBurst(final long burst)
    {
        setBurst(KeyKind.GLOBAL, burst);
    }

    @Override
    public long getMaxProjectedDelaySeconds()
    {
        return admission.maxProjectedDelayMs() / 1000;
    }

    @Override
    public void setMaxProjectedDelaySeconds(final long seconds)
    {
        if (seconds < 0 || seconds > Long.MAX_VALUE / 1000)
        {
            throw new IllegalArgumentException("max projected delay must be 0 (off) or a positive number of seconds: " + seconds);
        }
        final long old = admission.maxProjectedDelayMs();
        admission.setMaxProjectedDelayMs(seconds * 1000);
        state.changed(AdmissionContext.MAX_PROJECTED_DELAY_MS.key(), old, seconds * 1000);
    }

    @Override
    public void setDefaultLimit(final String kind, final String traffic, final double ratePerSecond, final long burst)
    {
        final KeyKind keyKind = kind(kind);
        final Traffic trafficKind = traffic(traffic);
        final Limit old = admission.defaultLimit(keyKind, trafficKind);
        admission.setDefaultLimit(keyKind, trafficKind, ratePerSecond, burst);
        state.changed(AdmissionContext.rateKey(keyKind, trafficKind), old.ratePerSecond(), ratePerSecond);
        state.changed(AdmissionContext.burstKey(keyKind, trafficKind), old.burst(), burst);
    }

    @Override
    public void setOverride(final String kind, final String key, final double ratePerSecond, final long burst)
    {
        admission.setOverride(kind(kind), key, ratePerSecond, burst);
        admission.snapshot();
        ControlState.audit("override " + kind + " " + key, "default", ratePerSecond + "/s burst " + burst);
    }

    @Override
    public boolean removeOverride(final String kind, final String key)
    {
        final boolean removed = admission.removeOverrides(kind(kind), key);
        if (removed)
        {
            admission.snapshot();
            ControlState.audit("override " + kind + " " + key, "set", "removed");
        }
        return removed;
    }

    @Override
    public String[] listOverrides()
    {
        final List<LimitOverride> overrides = admission.overrides();
        return overrides.stream()
            .map(o -> o.kind() + " " + o.key() + " " + o.traffic().name().toLowerCase(Locale.ROOT) + " " + o.limit())
            .toArray(String[]::new);
    }

    @Override
    public String block(final String cidr, final long seconds)
    {
        if (seconds < 0)
        {
            throw new IllegalArgumentException("block duration must be 0 (until unblocked) or positive seconds: " + seconds);
        }
        final Block block = admission.block(cidr, seconds == 0 ? null : Duration.ofSeconds(seconds));
        admission.snapshot();
        ControlState.audit("block " + cidr, "none", seconds == 0 ? "until unblocked" : seconds + " s");
        return describe(block);
    }

    @Override
    public boolean unblock(final String cidr)
    {
        final boolean unblocked = admission.unblock(cidr);
        if (unblocked)
        {
            admission.snapshot();
            ControlState.audit("block " + cidr, "blocked", "unblocked");
        }
        return unblocked;
    }

    @Override
    public String[] listBlocks()
    {
        return admission.blocks().stream().map(LimitsControl::describe).toArray(String[]::new);
    }

    @Override
    public String[] topSources(final int count)
    {
        return admission.topSources(count).stream()
            .map(v -> v.kind() + " " + v.key() + " " + v.recentMessages() + " recent messages")
            .toArray(String[]::new);
    }

    @Override
    public String[] worstReputations(final int count)
    {
        return admission.worstReputations(count).stream().map(LimitsControl::reputationLine).toArray(String[]::new);
    }

    /** {@code <kind> <key> <failures> <lockedUntilMs> <lockouts>}, as {@code sluice top} reads it. */
    @Override
    public String[] authFailures(final int count)
    {
        if (count < 1 || count > 10_000)
        {
            throw new IllegalArgumentException("count expects 1 to 10000, got " + count);
        }
        return authFailures.apply(count).stream()
            .map(e -> e.kind().name().toLowerCase(Locale.ROOT) + " " + e.key() + " " + e.failures() + " " + e.lockedUntilMs()
                + " " + e.lockouts())
            .toArray(String[]::new);
    }

    @Override
    public String reputation(final String key)
    {
        final SourceReputation reputation = admission.reputation(key);
        return reputation == null ? key.trim() + " has no reputation: nothing learnt of it lately" : reputationLine(reputation);
    }

    /** {@code <key> <class> <score> <clean> <bad> <why>}, as {@code sluice top} reads it. */
    static String reputationLine(final SourceReputation reputation)
    {
        return String.format(Locale.ROOT, "%s %s %.1f %.1f %.1f %s", reputation.key(), reputation.sourceClass().label(),
            reputation.score(), reputation.clean(), reputation.bad(), reputation.why());
    }

    private static String describe(final Block block)
    {
        return block.network() + (block.expiresAt() == null ? " until unblocked" : " until " + block.expiresAt());
    }

    private static KeyKind kind(final String kind)
    {
        try
        {
            return KeyKind.valueOf(kind.trim().toUpperCase(Locale.ROOT));
        }
        catch (final IllegalArgumentException | NullPointerException ex)
        {
            throw new IllegalArgumentException(
                "unknown key kind '" + kind + "': expected IP, NETWORK, SENDER_DOMAIN, TENANT or GLOBAL");
        }
    }

    private static Traffic traffic(final String traffic)
    {
        try
        {
            return Traffic.valueOf(traffic.trim().toUpperCase(Locale.ROOT));
        }
        catch (final IllegalArgumentException | NullPointerException ex)
        {
            throw new IllegalArgumentException("unknown traffic '" + traffic + "': expected CONNECTIONS, MESSAGES or RECIPIENTS");
        }
    }
}
