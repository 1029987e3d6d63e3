package io.sluice.control;

import java.time.Duration;
import java.time.Instant;
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
import io.sluice.fleet.FleetSwitches;
import io.sluice.ingress.auth.AuthFailures;
import io.sluice.net.Cidr;

/**
 * Admission's limits for operators. Changes reach live traffic at once (the next MAIL FROM sees them),
 * default limits persist in {@link ControlState} under their configuration keys, and overrides and blocks
 * in admission's own state file, written before the call returns. In a fleet, a block or unblock is told to the other
 * nodes, and theirs applied here ({@link FleetSwitches.Kind#BLOCKED_NETWORK}).
 */
public final class LimitsControl implements LimitsControlMXBean
{
    private final Admission admission;
    private final ControlState state;
    private final IntFunction<List<AuthFailures.Entry>> authFailures;
    private final FleetSwitches fleet;

    /** Without SMTP AUTH: {@link #authFailures} lists nothing. */
    public LimitsControl(final Admission admission, final ControlState state)
    {
        this(admission, state, n -> List.of());
    }

    /** @param authFailures SMTP AUTH's worst failure records ({@code AuthFailures::worst}). */
    public LimitsControl(final Admission admission, final ControlState state,
        final IntFunction<List<AuthFailures.Entry>> authFailures)
    {
        this(admission, state, authFailures, FleetSwitches.NONE);
    }

    /** @param fleet the fleet's shared switches: blocks are told to it, and its blocks applied here. */
    public LimitsControl(final Admission admission, final ControlState state,
        final IntFunction<List<AuthFailures.Entry>> authFailures, final FleetSwitches fleet)
    {
        this.admission = admission;
        this.state = state;
        this.authFailures = authFailures;
        this.fleet = fleet;
        fleet.bind(FleetSwitches.Kind.BLOCKED_NETWORK, this::applyFleetBlock);
        fleet.bind(FleetSwitches.Kind.LIMIT_OVERRIDE, this::applyFleetOverride);
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
    public String getBacklogWatermarks()
    {
        return admission.backlogWatermarks().toString();
    }

    @Override
    public long getBacklogHighWatermark()
    {
        return admission.backlogWatermarks().high();
    }

    @Override
    public long getBacklogLowWatermark()
    {
        return admission.backlogWatermarks().low();
    }

    @Override
    public long getBacklogHardLimit()
    {
        return admission.backlogWatermarks().hardLimit();
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
        fleet.changed(FleetSwitches.Kind.LIMIT_OVERRIDE, overrideEntry(kind, key), true, ratePerSecond + " " + burst);
    }

    /** @return the fleet's name for an override: {@code <key kind>:<key>}, e.g. {@code tenant:acme}. */
    private static String overrideEntry(final String kind, final String key)
    {
        return kind(kind).name().toLowerCase(Locale.ROOT) + ":" + key.trim();
    }

    /** Another node's override or its removal, on the fleet's timer thread: applied and saved as an operator's here. */
    private boolean applyFleetOverride(final String entry, final boolean on, final String value)
    {
        final int colon = entry.indexOf(':');
        final KeyKind kind = kind(entry.substring(0, colon));
        final String key = entry.substring(colon + 1);
        if (!on)
        {
            final boolean removed = admission.removeOverrides(kind, key);
            if (removed)
            {
                admission.snapshot();
                ControlState.audit("override " + entry, "set", "removed by the fleet");
            }
            return removed;
        }
        final String[] rateAndBurst = value.split(" ");
        final Limit limit = new Limit(Double.parseDouble(rateAndBurst[0]), Long.parseLong(rateAndBurst[1]));
        for (final LimitOverride override : admission.overrides())
        {
            if (override.kind() == kind && override.traffic() == Traffic.MESSAGES && override.key().equalsIgnoreCase(key)
                && override.limit().equals(limit))
            {
                return false;
            }
        }
        admission.setOverride(kind, key, limit.ratePerSecond(), limit.burst());
        admission.snapshot();
        ControlState.audit("override " + entry, "default", limit.ratePerSecond() + "/s burst " + limit.burst() + " by the fleet");
        return true;
    }

    @Override
    public boolean removeOverride(final String kind, final String key)
    {
        final boolean removed = admission.removeOverrides(kind(kind), key);
        if (removed)
        {
            admission.snapshot();
            ControlState.audit("override " + kind + " " + key, "set", "removed");
            fleet.changed(FleetSwitches.Kind.LIMIT_OVERRIDE, overrideEntry(kind, key), false, "");
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
        fleet.changed(FleetSwitches.Kind.BLOCKED_NETWORK, block.network().toString(), true,
            Long.toString(block.isPermanent() ? 0 : block.expiresAt().toEpochMilli()));
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
            fleet.changed(FleetSwitches.Kind.BLOCKED_NETWORK, Cidr.parse("network", cidr).toString(), false, "");
        }
        return unblocked;
    }

    /**
     * Another node's block or unblock, on the fleet's timer thread: applied and saved as an operator's here, unless it
     * is so already (the fleet's catch-up offers every block again every few seconds) or has lapsed.
     *
     * @param value the expiry, epoch ms, or 0 for until unblocked.
     */
    private boolean applyFleetBlock(final String network, final boolean on, final String value)
    {
        final Cidr cidr = Cidr.parse("network", network);
        if (!on)
        {
            final boolean unblocked = admission.unblock(cidr);
            if (unblocked)
            {
                admission.snapshot();
                ControlState.audit("block " + cidr, "blocked", "unblocked by the fleet");
            }
            return unblocked;
        }
        final long expiresAt = Long.parseLong(value);
        final long now = System.currentTimeMillis();
        if (expiresAt != 0 && expiresAt <= now)
        {
            return false;
        }
        for (final Block block : admission.blocks())
        {
            // Within a second: a block made here from a duration lands a few ms off the other node's instant.
            if (block.network().equals(cidr) && (block.isPermanent() ? expiresAt == 0
                : expiresAt != 0 && Math.abs(block.expiresAt().toEpochMilli() - expiresAt) < 1_000))
            {
                return false;
            }
        }
        admission.block(cidr, expiresAt == 0 ? null
            : Duration.between(Instant.ofEpochMilli(now), Instant.ofEpochMilli(expiresAt)));
        admission.snapshot();
        ControlState.audit("block " + cidr, "none", "blocked by the fleet");
        return true;
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
