package io.sluice.fleet;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.sluice.admission.KeyKind;
import io.sluice.admission.SharedRates;

/**
 * The admission message rates shared by the fleet: one {@link SharedTokens} per tenant, per sender domain and one for
 * the global bucket, at the key's configured admission rate and burst, under the keys
 * {@code <fleet.name>:admission:tenant:<tenant>}, {@code <fleet.name>:admission:senderDomain:<domain>} and
 * {@code <fleet.name>:admission:global}. A message on an SMTP event loop takes a token the node borrowed ahead (never a
 * Redis round trip); while Redis is away, from a local bucket at the key's rate divided by the live nodes last seen.
 * Per-address and per-network buckets stay local: a load balancer spreads one source across the nodes.
 *
 * <p>Tenants come from the configuration, so their map stays small; sender domains come from the internet, so a
 * domain's gate that has been idle for {@link #IDLE_DOMAIN_DROP_NANOS} (its borrowed tokens returned) is dropped. A
 * key's gate is made at its first message, without I/O, and follows an operator's change of its rate.
 */
final class SharedAdmissionRates implements SharedRates
{
    /** A sender domain's gate idle this long is dropped: memory stays bounded by the domains seen lately. */
    static final long IDLE_DOMAIN_DROP_NANOS = 60_000_000_000L;

    private final Map<KeyKind, Map<String, SharedTokens>> gatesByKind = new EnumMap<>(KeyKind.class);
    private final GateFactory gates;

    /** Makes a key's gate at its first message. */
    @FunctionalInterface
    interface GateFactory
    {
        /** @param redisKey the key's suffix under the fleet's name, e.g. {@code admission:tenant:acme}. */
        SharedTokens make(String redisKey, double ratePerSecond, int burst);
    }

    SharedAdmissionRates(final GateFactory gates)
    {
        this.gates = gates;
        for (final KeyKind kind : new KeyKind[] {KeyKind.SENDER_DOMAIN, KeyKind.TENANT, KeyKind.GLOBAL})
        {
            gatesByKind.put(kind, new ConcurrentHashMap<>());
        }
    }

    @Override
    public boolean shares(final KeyKind kind)
    {
        return gatesByKind.containsKey(kind);
    }

    @Override
    public long tryTake(final KeyKind kind, final String name, final double ratePerSecond, final long burst,
        final long nowNanos)
    {
        final SharedTokens gate = gate(kind, name, ratePerSecond, (int)Math.min(Integer.MAX_VALUE, burst));
        if (gate.tryTake(nowNanos))
        {
            return 0;
        }
        return Math.max(1, gate.nanosUntilRetry(nowNanos));
    }

    private SharedTokens gate(final KeyKind kind, final String name, final double ratePerSecond, final int burst)
    {
        final Map<String, SharedTokens> gatesOfKind = gatesByKind.get(kind);
        SharedTokens gate = gatesOfKind.get(name);
        if (gate == null)
        {
            // Once per key: the lambda is made only here, so a known key's message allocates nothing.
            gate = gatesOfKind.computeIfAbsent(name, key -> gates.make(redisKey(kind, key), ratePerSecond, burst));
        }
        if (gate.ratePerSec() != ratePerSecond || gate.burst() != burst)
        {
            gate.configure(ratePerSecond, burst);
        }
        return gate;
    }

    /** @return the Redis key's suffix under the fleet's name for a key of {@code kind}. */
    static String redisKey(final KeyKind kind, final String name)
    {
        return switch (kind)
        {
            case SENDER_DOMAIN -> "admission:senderDomain:" + name;
            case TENANT -> "admission:tenant:" + name;
            case GLOBAL -> "admission:global";
            default -> throw new IllegalArgumentException(kind + " buckets are not shared by the fleet");
        };
    }

    @Override
    public void refund(final KeyKind kind, final String name)
    {
        final Map<String, SharedTokens> gatesOfKind = gatesByKind.get(kind);
        final SharedTokens gate = gatesOfKind == null ? null : gatesOfKind.get(name);
        if (gate != null)
        {
            gate.refund();
        }
    }

    /**
     * Timer thread: gives back what idle keys borrowed, and drops sender domains' gates idle for long with nothing
     * borrowed. A message racing the drop takes from the dropped gate at most once more (on credit or from its
     * stash): the shared bucket loses at most one batch of that domain's rate, once.
     */
    void returnIdle(final long nowNanos)
    {
        for (final Map<String, SharedTokens> gatesOfKind : gatesByKind.values())
        {
            gatesOfKind.values().forEach(SharedTokens::returnIdle);
        }
        gatesByKind.get(KeyKind.SENDER_DOMAIN).entrySet().removeIf(entry ->
            entry.getValue().idleNanos(nowNanos) > IDLE_DOMAIN_DROP_NANOS && entry.getValue().borrowed() == 0);
    }

    /** @return the gates of a kind's keys now, for tests and the status. */
    int gates(final KeyKind kind)
    {
        return gatesByKind.get(kind).size();
    }
}
