package io.sluice.admission;

import java.time.Clock;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * The kind buckets every decision is charged against, in {@link KeyKind} order (address, network, sender domain,
 * tenant, global): one token from each that applies to it, all or none, with the tenant's reserve for established
 * sources ({@link TenantReserve}), the fleet's shared rates where a kind is shared ({@link SharedRates}), and
 * backpressure last, once every bucket had room. What {@link Admission} decides before the buckets (the blocklist,
 * the disk, the projected delay, the source's class) stays there.
 *
 * <p>Thread-safe as the table's keys are; a decision for a known key allocates nothing but a refusal's text.
 */
final class KindBuckets
{
    private static final KeyKind[] KINDS = KeyKind.values();

    private final SourceTable table;
    /** The one global key; kept outside the table so it is never evicted. */
    private final TrackedKey global = TrackedKey.ofName(KeyKind.GLOBAL, "");
    /** The message rates shared with other appliances; {@link SharedRates#LOCAL} for the single one. */
    private final SharedRates sharedRates;
    /** By {@link KeyKind#ordinal}: whether {@link #sharedRates} gates the kind's message buckets. */
    private final boolean[] sharedKinds = new boolean[KINDS.length];
    private final TenantReserve tenantReserve;
    private final Backpressure backpressure;
    private final SpoolPressure pressure;
    private final AtomicCounter reserveKept;
    private final Clock clock;
    private final int ipv4PrefixLength;
    private final int ipv6PrefixLength;

    KindBuckets(final SourceTable table, final SharedRates sharedRates, final TenantReserve tenantReserve,
        final Backpressure backpressure, final SpoolPressure pressure, final AtomicCounter reserveKept, final Clock clock,
        final int ipv4PrefixLength, final int ipv6PrefixLength)
    {
        this.table = table;
        this.sharedRates = sharedRates;
        for (final KeyKind kind : KINDS)
        {
            sharedKinds[kind.ordinal()] = sharedRates.shares(kind);
        }
        this.tenantReserve = tenantReserve;
        this.backpressure = backpressure;
        this.pressure = pressure;
        this.reserveKept = reserveKept;
        this.clock = clock;
        this.ipv4PrefixLength = ipv4PrefixLength;
        this.ipv6PrefixLength = ipv6PrefixLength;
    }

    TrackedKey global()
    {
        return global;
    }

    /**
     * Charges one token of {@code traffic} to every kind bucket that applies, or none.
     *
     * @param sourceClass      the source's class for the tenant's reserve; TRUSTED, or null where traffic has no class
     * @param backpressureGate whether backpressure is asked once every bucket had room
     */
    Decision charge(final Traffic traffic, final Limits current, final long nowNs, final byte[] address,
        final SourceClass sourceClass, final String tenant, final String senderDomain, final boolean backpressureGate)
    {
        return chargeFrom(0, traffic, current, nowNs, address, sourceClass, tenant, senderDomain, backpressureGate);
    }

    /** @return whether an operator set a limit for the address or its network. */
    boolean operatorSetLimits(final Limits current, final byte[] address)
    {
        if (!current.hasOverrides())
        {
            return false;
        }
        final KeyProbe probe = KeyProbe.local();
        return current.hasOverride(probe.address(KeyKind.IP, address, address.length * 8, -1))
            || current.hasOverride(probe.address(KeyKind.NETWORK, address, networkPrefix(address), -1));
    }

    /**
     * Takes a token from the bucket of each kind from {@code index} on, recursively, so that a refusal further on
     * gives back the token taken here without allocating a list of what was taken.
     */
    private Decision chargeFrom(final int index, final Traffic traffic, final Limits current, final long nowNs,
        final byte[] address, final SourceClass sourceClass, final String tenant, final String senderDomain,
        final boolean backpressureGate)
    {
        final boolean trusted = sourceClass == SourceClass.TRUSTED;
        for (int i = index; i < KINDS.length; i++)
        {
            final TrackedKey key = key(KINDS[i], traffic, current, nowNs, address, trusted, tenant, senderDomain);
            if (key == null)
            {
                continue;
            }
            final BucketConfiguration configuration = current.configuration(key, traffic);
            if (traffic == Traffic.MESSAGES)
            {
                key.volume++;
            }
            final long kept = key.kind == KeyKind.TENANT ? tenantReserve.tokensKept(traffic, configuration, sourceClass) : 0;
            final long waitNs = consume(key, traffic, current, configuration, kept, sourceClass, address, nowNs);
            if (waitNs > 0)
            {
                return new Decision(Verdict.RATE_LIMITED, (waitNs + 999_999) / 1_000_000,
                    kept > 0 ? detail(key) + ", the rest kept for established sources" : detail(key));
            }
            final boolean shared = isShared(key, traffic);
            if (shared)
            {
                final long sharedWaitNs = takeShared(key, configuration, nowNs);
                if (sharedWaitNs > 0)
                {
                    key.refund(traffic, 1, nowNs);
                    return new Decision(Verdict.RATE_LIMITED, (sharedWaitNs + 999_999) / 1_000_000,
                        detail(key) + " (shared rate)");
                }
            }
            final Decision rest = chargeFrom(
                i + 1, traffic, current, nowNs, address, sourceClass, tenant, senderDomain, backpressureGate);
            if (!rest.isAccepted())
            {
                key.refund(traffic, 1, nowNs);
                if (shared)
                {
                    sharedRates.refund(key.kind, key.name);
                }
            }
            return rest;
        }
        if (backpressureGate)
        {
            final Decision busy = backpressure.refusal(pressure, trusted);
            if (busy != null)
            {
                return busy;
            }
        }
        return Decision.ACCEPT;
    }

    /**
     * Takes one token from the key's bucket, leaving {@code kept} tokens (a tenant's reserve) unless the source is
     * established: looked up only when the bucket is down to its reserve, so a decision in quiet times costs nothing more.
     *
     * @return 0 if taken, else nanoseconds until it may be.
     */
    private long consume(final TrackedKey key, final Traffic traffic, final Limits current,
        final BucketConfiguration configuration, final long kept, final SourceClass sourceClass, final byte[] address,
        final long nowNs)
    {
        final long waitNs = key.tryConsume(traffic, configuration, 1, kept, nowNs);
        if (waitNs == 0 || kept == 0)
        {
            return waitNs;
        }
        // An operator's limit for the address or network wins here too, as it does over the class buckets.
        if (tenantReserve.mayUse(sourceClass, address, clock.millis()) || operatorSetLimits(current, address))
        {
            return key.tryConsume(traffic, configuration, 1, 0, nowNs);
        }
        reserveKept.increment();
        return waitNs;
    }

    /**
     * @return whether the key's bucket is also gated by {@link #sharedRates}: messages of a shared kind (a tenant's, a
     *         sender domain's, the global bucket's), in a fleet.
     */
    private boolean isShared(final TrackedKey key, final Traffic traffic)
    {
        return traffic == Traffic.MESSAGES && sharedKinds[key.kind.ordinal()];
    }

    /** @return 0 if the key's shared rate gave a token, else nanoseconds until it may. No allocation. */
    private long takeShared(final TrackedKey key, final BucketConfiguration configuration, final long nowNs)
    {
        final Bandwidth bandwidth = configuration.getBandwidths()[0];
        final double ratePerSecond = bandwidth.getRefillTokens() * 1e9 / bandwidth.getRefillPeriodNanos();
        return sharedRates.tryTake(key.kind, key.name, ratePerSecond, bandwidth.getCapacity(), nowNs);
    }

    /**
     * @return the table's key of this kind for the decision (inserted if new), or null if the kind does not apply to
     *         it or does not limit this traffic for it; looked up with this thread's probe, so a known key costs no
     *         allocation.
     */
    private TrackedKey key(final KeyKind kind, final Traffic traffic, final Limits current, final long nowNs,
        final byte[] address, final boolean trusted, final String tenant, final String senderDomain)
    {
        if (current.isOff(kind, traffic))
        {
            return null;
        }
        final KeyProbe probe = KeyProbe.local();
        switch (kind)
        {
            case IP -> probe.address(KeyKind.IP, address, address.length * 8, -1);
            case NETWORK -> probe.address(KeyKind.NETWORK, address, networkPrefix(address), -1);
            case SENDER_DOMAIN ->
            {
                if (senderDomain == null)
                {
                    return null;
                }
                probe.name(KeyKind.SENDER_DOMAIN, senderDomain);
            }
            case TENANT ->
            {
                if (tenant == null)
                {
                    return null;
                }
                probe.name(KeyKind.TENANT, tenant);
            }
            default ->
            {
                return trusted || current.configuration(global, traffic) == null ? null : global;
            }
        }
        return current.configuration(kind, probe, traffic) == null ? null : table.get(probe, nowNs);
    }

    private int networkPrefix(final byte[] address)
    {
        return address.length == 4 ? ipv4PrefixLength : ipv6PrefixLength;
    }

    private static String detail(final TrackedKey key)
    {
        return key.kind == KeyKind.GLOBAL ? "global" : key.toString();
    }
}
