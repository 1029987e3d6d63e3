package io.sluice.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.bucket4j.TimeMeter;
import io.sluice.admission.KeyKind;
import io.sluice.counters.EnumCounters;
import org.junit.jupiter.api.Test;

/**
 * The fleet's admission gates without Redis (the node has not reached it: local limits), on a hand-moved clock: which
 * kinds are shared and under which keys, the fallback at the key's rate divided by the live nodes, and sender domains'
 * gates forgotten once idle, so made-up domains cost no lasting memory. The shared path, with a real redis-server, is
 * FleetDaemonTest's.
 */
class SharedAdmissionRatesTest
{
    private final EnumCounters<FleetCounter> counters = new EnumCounters<>(FleetCounter.class, "fleet");
    private final FleetHealth health = new FleetHealth(counters);
    private final ManualTime time = new ManualTime();
    private final SharedAdmissionRates rates = new SharedAdmissionRates((key, rate, burst) ->
        new SharedTokens("test:" + key, rate, burst, 50, true, health, counters, time, () -> null));

    /** A clock the test moves. */
    private static final class ManualTime implements TimeMeter
    {
        long nanos = 1_000_000_000L;

        @Override
        public long currentTimeNanos()
        {
            return nanos;
        }

        @Override
        public boolean isWallClockBased()
        {
            return false;
        }
    }

    @Test
    void shouldShareTheSenderDomainTenantAndGlobalBucketsAndKeepAddressesAndNetworksLocal()
    {
        assertThat(rates.shares(KeyKind.SENDER_DOMAIN)).isTrue();
        assertThat(rates.shares(KeyKind.TENANT)).isTrue();
        assertThat(rates.shares(KeyKind.GLOBAL)).isTrue();
        assertThat(rates.shares(KeyKind.IP)).isFalse();
        assertThat(rates.shares(KeyKind.NETWORK)).isFalse();
        assertThat(SharedAdmissionRates.redisKey(KeyKind.SENDER_DOMAIN, "example.org"))
            .isEqualTo("admission:senderDomain:example.org");
        assertThat(SharedAdmissionRates.redisKey(KeyKind.TENANT, "acme")).isEqualTo("admission:tenant:acme");
        assertThat(SharedAdmissionRates.redisKey(KeyKind.GLOBAL, "")).isEqualTo("admission:global");
    }

    @Test
    void shouldAdmitEachKeyAtItsRateDividedByTheLiveNodesWhileRedisIsAway()
    {
        health.liveNodes(3);
        int taken = 0;
        while (rates.tryTake(KeyKind.SENDER_DOMAIN, "example.org", 30, 30, time.nanos) == 0)
        {
            taken++;
        }
        assertThat(taken).as("a third of the domain's burst of 30").isEqualTo(10);
        assertThat(rates.tryTake(KeyKind.SENDER_DOMAIN, "example.org", 30, 30, time.nanos))
            .as("a token refills in 1/10 s at a third of 30/s").isBetween(1L, 100_000_000L);
        assertThat(rates.tryTake(KeyKind.GLOBAL, "", 30, 30, time.nanos)).as("each key its own bucket").isZero();

        rates.refund(KeyKind.SENDER_DOMAIN, "example.org");
        time.nanos += 100_000_000L;
        assertThat(rates.tryTake(KeyKind.SENDER_DOMAIN, "example.org", 30, 30, time.nanos)).isZero();
    }

    @Test
    void shouldForgetASenderDomainsGateIdleForAMinuteAndKeepTenants()
    {
        rates.tryTake(KeyKind.SENDER_DOMAIN, "once.example", 50, 1000, time.nanos);
        rates.tryTake(KeyKind.SENDER_DOMAIN, "busy.example", 50, 1000, time.nanos);
        rates.tryTake(KeyKind.TENANT, "acme", 50, 1000, time.nanos);
        assertThat(rates.gates(KeyKind.SENDER_DOMAIN)).isEqualTo(2);

        time.nanos += SharedAdmissionRates.IDLE_DOMAIN_DROP_NANOS;
        rates.tryTake(KeyKind.SENDER_DOMAIN, "busy.example", 50, 1000, time.nanos);
        time.nanos += 1;
        rates.returnIdle(time.nanos);

        assertThat(rates.gates(KeyKind.SENDER_DOMAIN)).as("only the domain seen within the minute").isEqualTo(1);
        assertThat(rates.gates(KeyKind.TENANT)).as("tenants come from the configuration: kept").isEqualTo(1);
    }
}
