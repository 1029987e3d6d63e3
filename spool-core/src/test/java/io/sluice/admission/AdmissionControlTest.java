package io.sluice.admission;

import static io.sluice.admission.AdmissionTesting.ip;
import static io.sluice.admission.AdmissionTesting.quietContext;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;

import io.sluice.net.Cidr;
import io.sluice.testing.TestClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The control plane: blocks, defaults and overrides changed live, top sources, bounded memory. */
class AdmissionControlTest
{
    private static final InetAddress SOURCE = ip("198.51.100.7");

    private final TestClock clock = new TestClock();
    private final TestPressure pressure = new TestPressure();
    private Admission admission;

    @AfterEach
    void close()
    {
        if (admission != null)
        {
            admission.close();
        }
    }

    private Admission open(final AdmissionContext context)
    {
        admission = Admission.open(context, pressure);
        return admission;
    }

    private Decision message(final InetAddress client)
    {
        return admission.admitMessage(client, false, "acme", "example.org", "mail");
    }

    @Test
    void shouldBlockANetworkUntilItsBlockLapses()
    {
        open(quietContext(clock));
        final Block block = admission.block("198.51.100.0/24", Duration.ofMinutes(10));
        assertThat(block.expiresAt()).isEqualTo(clock.instant().plus(Duration.ofMinutes(10)));

        final Decision refused = admission.admitConnection(SOURCE);
        assertThat(refused.verdict()).isEqualTo(Verdict.BLOCKED);
        assertThat(refused.detail()).isEqualTo("blocklist 198.51.100.0/24");
        assertThat(admission.admitConnection(ip("198.51.101.7")).isAccepted()).isTrue();

        clock.advance(Duration.ofMinutes(10).minusMillis(1));
        assertThat(admission.admitConnection(SOURCE).verdict()).isEqualTo(Verdict.BLOCKED);
        clock.advanceMillis(1);
        assertThat(admission.admitConnection(SOURCE).isAccepted()).isTrue();
        assertThat(admission.blocks()).isEmpty();
        assertThat(admission.count(AdmissionCounter.BLOCKED)).isEqualTo(2);
    }

    @Test
    void shouldRefuseMessagesInSessionsOpenedBeforeTheBlock()
    {
        open(quietContext(clock));
        assertThat(admission.admitConnection(SOURCE).isAccepted()).isTrue();
        admission.block("198.51.100.7", null);
        assertThat(message(SOURCE).verdict()).isEqualTo(Verdict.BLOCKED);
        assertThat(admission.blocks()).containsExactly(new Block(Cidr.parse("test", "198.51.100.7/32"), null));

        assertThat(admission.unblock("198.51.100.7/32")).isTrue();
        assertThat(admission.unblock("198.51.100.7/32")).isFalse();
        assertThat(message(SOURCE).isAccepted()).isTrue();
    }

    @Test
    void shouldMatchTheMostSpecificLiveBlockAmongManyPrefixes()
    {
        open(quietContext(clock).blocklist("203.0.113.0/24, 2001:db8::/32"));
        admission.block("198.51.0.0/16", null);
        admission.block("198.51.100.0/24", Duration.ofSeconds(1));
        clock.advanceMillis(2000);
        assertThat(admission.admitConnection(SOURCE).detail()).as("the /24 lapsed, the /16 did not")
            .isEqualTo("blocklist 198.51.0.0/16");
        assertThat(admission.admitConnection(ip("203.0.113.250")).verdict()).isEqualTo(Verdict.BLOCKED);
        assertThat(admission.admitConnection(ip("2001:db8:ffff::1")).verdict()).isEqualTo(Verdict.BLOCKED);
        assertThat(admission.admitConnection(ip("2001:db9::1")).isAccepted()).isTrue();
        assertThat(admission.blocks()).extracting(b -> b.network().toString())
            .containsExactlyInAnyOrder("198.51.0.0/16", "203.0.113.0/24", "2001:db8:0:0:0:0:0:0/32");
    }

    @Test
    void shouldApplyAChangedDefaultToLiveTrafficAtOnce()
    {
        open(quietContext(clock).ratePerSecond(KeyKind.IP, Traffic.MESSAGES, 0.001).burst(KeyKind.IP, Traffic.MESSAGES, 10));
        for (int i = 0; i < 5; i++)
        {
            assertThat(message(SOURCE).isAccepted()).isTrue();
        }
        admission.setDefaultLimit(KeyKind.IP, 0.001, 3);
        assertThat(admission.defaultLimit(KeyKind.IP)).isEqualTo(new Limit(0.001, 3));
        assertThat(message(SOURCE).verdict())
            .as("the 5 tokens left are capped at the new burst of 3")
            .isEqualTo(Verdict.ACCEPT);
        assertThat(message(SOURCE).isAccepted()).isTrue();
        assertThat(message(SOURCE).isAccepted()).isTrue();
        assertThat(message(SOURCE).verdict()).isEqualTo(Verdict.RATE_LIMITED);

        admission.setDefaultLimit(KeyKind.IP, 0, 0);
        assertThat(message(SOURCE).isAccepted()).as("a rate of 0 turns the limit off").isTrue();
    }

    @Test
    void shouldApplyAnOverrideToItsKeyOnly()
    {
        open(quietContext(clock).ratePerSecond(KeyKind.IP, Traffic.MESSAGES, 0.001).burst(KeyKind.IP, Traffic.MESSAGES, 2));
        final InetAddress other = ip("198.51.100.8");
        admission.setOverride(KeyKind.IP, "198.51.100.7", 0.001, 100);
        for (int i = 0; i < 50; i++)
        {
            assertThat(message(SOURCE).isAccepted()).isTrue();
        }
        assertThat(message(other).isAccepted()).isTrue();
        assertThat(message(other).isAccepted()).isTrue();
        assertThat(message(other).verdict()).as("the default still holds for everyone else").isEqualTo(Verdict.RATE_LIMITED);
        assertThat(admission.overrides())
            .containsExactly(new LimitOverride(KeyKind.IP, Traffic.MESSAGES, "198.51.100.7", new Limit(0.001, 100)));

        assertThat(admission.removeOverride(KeyKind.IP, Traffic.MESSAGES, " 198.51.100.7 ")).isTrue();
        assertThat(message(SOURCE).isAccepted()).as("the 50 tokens left are capped at the default burst of 2").isTrue();
        assertThat(message(SOURCE).isAccepted()).isTrue();
        assertThat(message(SOURCE).verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(admission.overrides()).isEmpty();
    }

    @Test
    void shouldApplyOverridesForNetworksDomainsAndTenants()
    {
        open(quietContext(clock)
            .ratePerSecond(KeyKind.NETWORK, Traffic.MESSAGES, 0.001).burst(KeyKind.NETWORK, Traffic.MESSAGES, 100)
            .ratePerSecond(KeyKind.SENDER_DOMAIN, Traffic.MESSAGES, 0.001).burst(KeyKind.SENDER_DOMAIN, Traffic.MESSAGES, 100)
            .ratePerSecond(KeyKind.TENANT, Traffic.RECIPIENTS, 0.001).burst(KeyKind.TENANT, Traffic.RECIPIENTS, 100));
        admission.setOverride(KeyKind.NETWORK, "198.51.100.99/24", 0.001, 1);
        admission.setOverride(KeyKind.SENDER_DOMAIN, "Spammy.Example.", 0.001, 1);
        admission.setOverride(KeyKind.TENANT, Traffic.RECIPIENTS, "acme", 0.001, 1);

        assertThat(admission.overrides()).extracting(LimitOverride::key)
            .containsExactly("198.51.100.0/24", "spammy.example", "acme");
        assertThat(message(SOURCE).isAccepted()).isTrue();
        assertThat(message(SOURCE).detail()).isEqualTo("network 198.51.100.0/24");
        assertThat(admission.admitMessage(ip("192.0.2.1"), false, null, "spammy.example", "mail").isAccepted()).isTrue();
        assertThat(admission.admitMessage(ip("192.0.2.2"), false, null, "spammy.example", "mail").detail())
            .isEqualTo("sender domain spammy.example");
        assertThat(admission.admitRecipient(ip("192.0.2.1"), false, "acme").isAccepted()).isTrue();
        assertThat(admission.admitRecipient(ip("192.0.2.1"), false, "acme").detail()).isEqualTo("tenant acme");

        assertThat(admission.removeOverrides(KeyKind.TENANT, "acme")).isTrue();
        assertThat(admission.admitRecipient(ip("192.0.2.1"), false, "acme").isAccepted())
            .as("the tenant keeps the tokens it had (none): a changed limit grants no instant burst")
            .isFalse();
        clock.advance(Duration.ofSeconds(1000));
        assertThat(admission.admitRecipient(ip("192.0.2.1"), false, "acme").isAccepted())
            .as("refilled at the default rate")
            .isTrue();
    }

    @Test
    void shouldRefuseNonsenseFromTheControlPlaneAndChangeNothing()
    {
        open(quietContext(clock).ratePerSecond(KeyKind.IP, Traffic.MESSAGES, 1).burst(KeyKind.IP, Traffic.MESSAGES, 5));
        assertRefused(() -> admission.setDefaultLimit(KeyKind.IP, -1, 5), "ratePerSecond=-1.0");
        assertRefused(() -> admission.setDefaultLimit(KeyKind.IP, 1, 0), "burst=0");
        assertRefused(() -> admission.setDefaultLimit(KeyKind.IP, Double.NaN, 5), "ratePerSecond=NaN");
        assertRefused(() -> admission.setDefaultLimit(KeyKind.SENDER_DOMAIN, Traffic.CONNECTIONS, 1, 1), "SENDER_DOMAIN");
        assertRefused(() -> admission.setOverride(KeyKind.IP, "not-an-address", 1, 1), "not-an-address");
        assertRefused(() -> admission.setOverride(KeyKind.IP, "www.example.com", 1, 1), "www.example.com");
        assertRefused(() -> admission.setOverride(KeyKind.NETWORK, "198.51.100.0/16", 1, 1), "/24");
        assertRefused(() -> admission.setOverride(KeyKind.SENDER_DOMAIN, "a@b", 1, 1), "a@b");
        assertRefused(() -> admission.setOverride(KeyKind.TENANT, "", 1, 1), "TENANT");
        assertRefused(() -> admission.setOverride(KeyKind.GLOBAL, "", 1, 1), "GLOBAL");
        assertRefused(() -> admission.block("198.51.100.0/99", null), "198.51.100.0/99");
        assertRefused(() -> admission.block("evil.example", null), "evil.example");
        assertRefused(() -> admission.block("198.51.100.0/24", Duration.ZERO), "positive");
        assertRefused(() -> admission.block("198.51.100.0/24", Duration.ofSeconds(-5)), "positive");
        assertRefused(() -> admission.topSources(0), "topSources 0");
        assertRefused(() -> admission.setMaxProjectedDelayMs(-1), "maxProjectedDelayMs -1");
        assertRefused(() -> admission.record(AdmissionCounter.TRACKED_KEYS), "gauge");

        assertThat(admission.defaultLimit(KeyKind.IP)).isEqualTo(new Limit(1, 5));
        assertThat(admission.overrides()).isEmpty();
        assertThat(admission.blocks()).isEmpty();
        assertThat(admission.maxProjectedDelayMs()).isEqualTo(AdmissionContext.MAX_PROJECTED_DELAY_MS.defaultValue());
    }

    private static void assertRefused(final Runnable call, final String mentioned)
    {
        assertThatThrownBy(call::run).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(mentioned);
    }

    @Test
    void shouldRankTopSourcesByRecentVolume()
    {
        open(quietContext(clock).ratePerSecond(KeyKind.IP, Traffic.MESSAGES, 1).burst(KeyKind.IP, Traffic.MESSAGES, 5)
            .ratePerSecond(KeyKind.NETWORK, Traffic.MESSAGES, 1000).burst(KeyKind.NETWORK, Traffic.MESSAGES, 100_000));
        for (int i = 0; i < 40; i++)
        {
            message(ip("203.0.113.66"));
        }
        for (int i = 0; i < 10; i++)
        {
            message(ip("192.0.2.10"));
        }
        message(ip("192.0.2.11"));

        final List<SourceVolume> top = admission.topSources(3);
        assertThat(top).containsExactly(
            new SourceVolume(KeyKind.IP, "203.0.113.66", 40),
            new SourceVolume(KeyKind.IP, "192.0.2.10", 10),
            new SourceVolume(KeyKind.NETWORK, "192.0.2.0/24", 6));
    }

    @Test
    void shouldKeepTheTableBoundedAndTheFloodingSourceTracked()
    {
        open(quietContext(clock).maxTrackedKeys(100)
            .ratePerSecond(KeyKind.IP, Traffic.MESSAGES, 0.001).burst(KeyKind.IP, Traffic.MESSAGES, 10));
        for (int i = 0; i < 10; i++)
        {
            assertThat(message(SOURCE).isAccepted()).isTrue();
        }
        for (int i = 0; i < 5000; i++)
        {
            message(ip("10.0." + (i >> 8) + "." + (i & 0xFF)));
            assertThat(admission.trackedKeys()).isLessThanOrEqualTo(100);
        }
        assertThat(message(SOURCE).verdict())
            .as("the flooder's empty bucket is the last thing eviction drops: fuller ones go first")
            .isEqualTo(Verdict.RATE_LIMITED);
        assertThat(admission.count(AdmissionCounter.ACTIVE_KEYS_EVICTED)).isGreaterThan(0);
        assertThat(admission.count(AdmissionCounter.TRACKED_KEYS)).isEqualTo(admission.trackedKeys());
    }

    @Test
    void shouldEvictKeysWhoseBucketsRefilledBeforeActiveOnes()
    {
        open(quietContext(clock).maxTrackedKeys(100)
            .ratePerSecond(KeyKind.IP, Traffic.MESSAGES, 1).burst(KeyKind.IP, Traffic.MESSAGES, 10));
        for (int i = 0; i < 100; i++)
        {
            message(ip("10.1.0." + i));
        }
        clock.advanceMillis(1000);
        for (int i = 0; i < 20; i++)
        {
            message(ip("10.2.0." + i));
            assertThat(admission.trackedKeys()).isLessThanOrEqualTo(100);
        }
        assertThat(admission.count(AdmissionCounter.IDLE_KEYS_EVICTED)).isEqualTo(20);
        assertThat(admission.count(AdmissionCounter.ACTIVE_KEYS_EVICTED)).isZero();
    }

    @Test
    void shouldDropFullBucketsAtSnapshot()
    {
        open(quietContext(clock).ratePerSecond(KeyKind.IP, Traffic.MESSAGES, 1).burst(KeyKind.IP, Traffic.MESSAGES, 10));
        for (int i = 0; i < 50; i++)
        {
            message(ip("10.3.0." + i));
        }
        assertThat(admission.trackedKeys()).isEqualTo(50);
        assertThat(admission.snapshot()).isEqualTo(50);
        clock.advanceMillis(1000);
        assertThat(admission.snapshot()).isZero();
        assertThat(admission.trackedKeys()).isZero();
    }
}
