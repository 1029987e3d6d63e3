package io.sluice.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.function.Consumer;
import java.util.function.UnaryOperator;

import io.sluice.config.InvalidSettingException;
import io.sluice.net.Cidr;
import org.junit.jupiter.api.Test;

class AdmissionContextTest
{
    private static void assertReputationRejected(final Consumer<ReputationSettings> change, final String key,
        final String value)
    {
        assertRejected(c ->
        {
            change.accept(c.reputation());
            return c;
        }, key, value);
    }

    private static void assertRejected(final UnaryOperator<AdmissionContext> change, final String key, final String value)
    {
        assertThatThrownBy(() -> change.apply(new AdmissionContext()).conclude())
            .isInstanceOfSatisfying(InvalidSettingException.class, ex ->
            {
                assertThat(ex.key()).isEqualTo(key);
                assertThat(ex.value()).isEqualTo(value);
                assertThat(ex.getMessage()).startsWith(key + "=" + value + ": expected");
            });
    }

    @Test
    void shouldAcceptTheDefaults()
    {
        final AdmissionContext context = new AdmissionContext().conclude();
        assertThat(context.maxTrackedKeys()).isEqualTo(1_000_000);
        assertThat(context.maxProjectedDelayMs()).isEqualTo(15 * 60 * 1000);
        // The kind buckets are ceilings now; the class buckets tell a partner from a flood (issue 12).
        assertThat(context.limit(KeyKind.IP, Traffic.MESSAGES)).isEqualTo(new Limit(20, 200));
        assertThat(context.limit(KeyKind.NETWORK, Traffic.MESSAGES)).isEqualTo(new Limit(100, 2000));
        assertThat(context.limit(KeyKind.NETWORK, Traffic.CONNECTIONS)).isEqualTo(new Limit(50, 500));
        assertThat(context.reputation().limit(SourceClass.UNKNOWN, KeyKind.NETWORK)).isEqualTo(new Limit(10, 200));
        assertThat(context.reputation().limit(SourceClass.CLEAN, KeyKind.NETWORK)).isEqualTo(new Limit(50, 1000));
        assertThat(context.limit(KeyKind.SENDER_DOMAIN, Traffic.CONNECTIONS)).isEqualTo(Limit.UNLIMITED);
        assertThat(context.spoofDefaultAction()).as("a spoof is refused in-session, not forwarded")
            .isEqualTo(SpoofVerdict.REFUSE);
        assertThat(context.protectedDomainActions()).isEmpty();
        assertThat(context.blockedNetworks()).isEmpty();
    }

    @Test
    void shouldNameKeysAfterKindAndTraffic()
    {
        assertThat(AdmissionContext.rateKey(KeyKind.IP, Traffic.MESSAGES)).isEqualTo("admission.ip.ratePerSecond");
        assertThat(AdmissionContext.burstKey(KeyKind.IP, Traffic.MESSAGES)).isEqualTo("admission.ip.burst");
        assertThat(AdmissionContext.rateKey(KeyKind.IP, Traffic.RECIPIENTS)).isEqualTo("admission.ip.recipientsPerSecond");
        assertThat(AdmissionContext.burstKey(KeyKind.IP, Traffic.RECIPIENTS)).isEqualTo("admission.ip.recipientBurst");
        assertThat(AdmissionContext.rateKey(KeyKind.IP, Traffic.CONNECTIONS)).isEqualTo("admission.ip.connectionsPerSecond");
        assertThat(AdmissionContext.burstKey(KeyKind.IP, Traffic.CONNECTIONS)).isEqualTo("admission.ip.connectionBurst");
        assertThat(AdmissionContext.rateKey(KeyKind.SENDER_DOMAIN, Traffic.MESSAGES))
            .isEqualTo("admission.senderDomain.ratePerSecond");
        assertThat(AdmissionContext.burstKey(KeyKind.GLOBAL, Traffic.MESSAGES)).isEqualTo("admission.global.burst");
    }

    @Test
    void shouldNameEachBadSettingWithItsValue()
    {
        assertRejected(c -> c.ratePerSecond(KeyKind.IP, Traffic.MESSAGES, -1), "admission.ip.ratePerSecond", "-1.0");
        assertRejected(c -> c.ratePerSecond(KeyKind.NETWORK, Traffic.MESSAGES, Double.NaN),
            "admission.network.ratePerSecond", "NaN");
        assertRejected(c -> c.ratePerSecond(KeyKind.GLOBAL, Traffic.MESSAGES, 2e6),
            "admission.global.ratePerSecond", "2000000.0");
        assertRejected(c -> c.burst(KeyKind.TENANT, Traffic.RECIPIENTS, 0), "admission.tenant.recipientBurst", "0");
        assertRejected(c -> c.burst(KeyKind.IP, Traffic.CONNECTIONS, -5), "admission.ip.connectionBurst", "-5");
        assertRejected(c -> c.networkIpv4PrefixLength(33), AdmissionContext.NETWORK_IPV4_PREFIX_LENGTH.key(), "33");
        assertRejected(c -> c.networkIpv6PrefixLength(8), AdmissionContext.NETWORK_IPV6_PREFIX_LENGTH.key(), "8");
        assertRejected(c -> c.maxTrackedKeys(0), AdmissionContext.MAX_TRACKED_KEYS.key(), "0");
        assertRejected(c -> c.backlogHighWatermark(0), AdmissionContext.BACKLOG_HIGH_WATERMARK.key(), "0");
        assertRejected(c -> c.backlogHighWatermark(100_000).backlogLowWatermark(200_000),
            AdmissionContext.BACKLOG_LOW_WATERMARK.key(), "200000");
        assertRejected(c -> c.backlogLowWatermark(-2), AdmissionContext.BACKLOG_LOW_WATERMARK.key(), "-2");
        assertRejected(c -> c.backlogHighWatermark(100).backlogHardLimit(10), AdmissionContext.BACKLOG_HARD_LIMIT.key(), "10");
        assertRejected(c -> c.backlogHardLimit(0), AdmissionContext.BACKLOG_HARD_LIMIT.key(), "0");
        assertRejected(c -> c.oldestAgeHighWatermarkMs(-1), AdmissionContext.OLDEST_AGE_HIGH_WATERMARK_MS.key(), "-1");
        assertRejected(c -> c.oldestAgeHighWatermarkMs(60_000).oldestAgeLowWatermarkMs(120_000),
            AdmissionContext.OLDEST_AGE_LOW_WATERMARK_MS.key(), "120000");
        assertRejected(c -> c.maxProjectedDelayMs(-1), AdmissionContext.MAX_PROJECTED_DELAY_MS.key(), "-1");
        assertRejected(c -> c.spoofDefaultAction(SpoofVerdict.PASS), AdmissionContext.SPOOF_DEFAULT_ACTION.key(), "PASS");
        assertRejected(c -> c.spoofDefaultAction(null), AdmissionContext.SPOOF_DEFAULT_ACTION.key(), "null");
        assertRejected(c -> c.protectedDomains("example.com, bad domain"), AdmissionContext.PROTECTED_DOMAINS.key(),
            "example.com, bad domain");
        assertRejected(c -> c.protectedDomains("example.com:PASS"), AdmissionContext.PROTECTED_DOMAINS.key(), "example.com:PASS");
        assertRejected(c -> c.protectedDomains("user@example.com"), AdmissionContext.PROTECTED_DOMAINS.key(), "user@example.com");
        assertRejected(c -> c.blocklist("192.0.2.0/24, 198.51.100"), AdmissionContext.BLOCKLIST.key(), "198.51.100");
        assertRejected(c -> c.blocklist("192.0.2.0/33"), AdmissionContext.BLOCKLIST.key(), "192.0.2.0/33");
        assertReputationRejected(r -> r.ratePerSecond(SourceClass.UNKNOWN, KeyKind.NETWORK, -2),
            "admission.class.unknown.network.ratePerSecond", "-2.0");
        assertReputationRejected(r -> r.burst(SourceClass.SUSPECT, KeyKind.IP, 0), "admission.class.suspect.ip.burst", "0");
        assertReputationRejected(r -> r.demotedConnections(1, 0),
            ReputationSettings.DEMOTED_CONNECTION_BURST.key(), "0");
        assertReputationRejected(r -> r.halfLifeMs(10), ReputationSettings.HALF_LIFE_MS.key(), "10");
        assertReputationRejected(r -> r.demoteAfter(0), ReputationSettings.DEMOTE_AFTER.key(), "0.0");
        assertReputationRejected(r -> r.cleanAfter(5000), ReputationSettings.CLEAN_AFTER.key(), "5000.0");
        assertReputationRejected(r -> r.maxKeys(1), ReputationSettings.MAX_KEYS.key(), "1");
        assertReputationRejected(r -> r.establishedAfter(10), ReputationSettings.ESTABLISHED_AFTER.key(), "10.0");
        assertReputationRejected(r -> r.cleanAfter(300), ReputationSettings.ESTABLISHED_AFTER.key(), "200.0");
        assertReputationRejected(r -> r.establishedAfter(2000), ReputationSettings.ESTABLISHED_AFTER.key(), "2000.0");
        assertReputationRejected(r -> r.tenantReserve(0.95), ReputationSettings.TENANT_RESERVE.key(), "0.95");
        assertReputationRejected(r -> r.tenantReserve(-0.1), ReputationSettings.TENANT_RESERVE.key(), "-0.1");
        assertReputationRejected(r -> r.pressureSuspectAt(0), ReputationSettings.PRESSURE_SUSPECT_AT.key(), "0.0");
        assertReputationRejected(r -> r.pressureSuspectAt(0.6).pressureUnknownAt(0.5),
            ReputationSettings.PRESSURE_UNKNOWN_AT.key(), "0.5");
        assertRejected(c -> c.clock(null), "clock", "null");
        assertRejected(c -> c.nanoClock(null), "nanoClock", "null");
    }

    @Test
    void shouldAllowARateOfZeroToTurnALimitOffWhateverTheBurst()
    {
        final AdmissionContext context = new AdmissionContext()
            .ratePerSecond(KeyKind.TENANT, Traffic.MESSAGES, 0)
            .burst(KeyKind.TENANT, Traffic.MESSAGES, 0)
            .conclude();
        assertThat(context.limit(KeyKind.TENANT, Traffic.MESSAGES).isUnlimited()).isTrue();
    }

    @Test
    void shouldRefuseALimitForTrafficTheKindCannotLimit()
    {
        assertThatThrownBy(() -> new AdmissionContext().ratePerSecond(KeyKind.SENDER_DOMAIN, Traffic.CONNECTIONS, 1))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("SENDER_DOMAIN");
    }

    @Test
    void shouldParseProtectedDomainsWithTheirOwnActions()
    {
        final AdmissionContext context = new AdmissionContext()
            .protectedDomains(" Example.COM. , payroll.example.net:refuse,alerts.example.org:SUSPECT ,")
            .conclude();
        assertThat(context.protectedDomainActions())
            .containsEntry("example.com", null)
            .containsEntry("payroll.example.net", SpoofVerdict.REFUSE)
            .containsEntry("alerts.example.org", SpoofVerdict.SUSPECT)
            .hasSize(3);
    }

    @Test
    void shouldParseTheBlocklist()
    {
        final AdmissionContext context = new AdmissionContext().blocklist("192.0.2.0/24, 2001:db8::/32,198.51.100.7").conclude();
        assertThat(context.blockedNetworks()).extracting(Cidr::toString)
            .containsExactly("192.0.2.0/24", "2001:db8:0:0:0:0:0:0/32", "198.51.100.7/32");
    }

    @Test
    void shouldRefuseChangesOnceConcluded()
    {
        final AdmissionContext context = new AdmissionContext().conclude();
        assertThatThrownBy(() -> context.maxTrackedKeys(3)).isInstanceOf(IllegalStateException.class);
    }
}
