package io.sluice.fleet;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.sluice.admission.TenantTokens;

/**
 * The tenants' message rates shared by the fleet: one {@link SharedTokens} per tenant, at the tenant's configured
 * admission rate and burst, under the key {@code <fleet.name>:admission:tenant:<tenant>}. A message on an SMTP event
 * loop takes a token the node borrowed ahead (never a Redis round trip); while Redis is away, from a local bucket at
 * the tenant's rate divided by the live nodes last seen.
 *
 * <p>Tenants come from the configuration ({@code tenant.<name>.networks}, the users file), so the map stays small; a
 * tenant's gate is made at its first message, without I/O, and follows an operator's change of its rate.
 */
final class SharedTenantTokens implements TenantTokens
{
    private final Map<String, SharedTokens> tenants = new ConcurrentHashMap<>();
    private final GateFactory gates;

    /** Makes a tenant's gate at its first message. */
    @FunctionalInterface
    interface GateFactory
    {
        SharedTokens make(String tenant, double ratePerSecond, int burst);
    }

    SharedTenantTokens(final GateFactory gates)
    {
        this.gates = gates;
    }

    @Override
    public long tryTake(final String tenant, final double ratePerSecond, final long burst, final long nowNanos)
    {
        final SharedTokens gate = gate(tenant, ratePerSecond, (int)Math.min(Integer.MAX_VALUE, burst));
        if (gate.tryTake(nowNanos))
        {
            return 0;
        }
        return Math.max(1, gate.nanosUntilRetry(nowNanos));
    }

    private SharedTokens gate(final String tenant, final double ratePerSecond, final int burst)
    {
        SharedTokens gate = tenants.get(tenant);
        if (gate == null)
        {
            // Once per tenant: the lambda is made only here, so a known tenant's message allocates nothing.
            gate = tenants.computeIfAbsent(tenant, name -> gates.make(name, ratePerSecond, burst));
        }
        if (gate.ratePerSec() != ratePerSecond || gate.burst() != burst)
        {
            gate.configure(ratePerSecond, burst);
        }
        return gate;
    }

    @Override
    public void refund(final String tenant)
    {
        final SharedTokens gate = tenants.get(tenant);
        if (gate != null)
        {
            gate.refund();
        }
    }

    /** Timer thread: gives back what idle tenants borrowed. */
    void returnIdle()
    {
        tenants.values().forEach(SharedTokens::returnIdle);
    }
}
