package io.sluice.bounce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.function.UnaryOperator;

import io.sluice.config.InvalidSettingException;
import io.sluice.config.Setting;
import io.sluice.net.Cidr;
import org.junit.jupiter.api.Test;

class BounceContextTest
{
    private static void assertRejected(final UnaryOperator<BounceContext> change, final Setting<?> setting, final String value)
    {
        assertRejected(change, setting.key(), value);
    }

    private static void assertRejected(final UnaryOperator<BounceContext> change, final String key, final String value)
    {
        assertThatThrownBy(() -> change.apply(new BounceContext()).conclude())
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
        final BounceContext context = new BounceContext().conclude();

        assertThat(context.budgetFraction()).isEqualTo(0.01);
        assertThat(context.policyFailuresBounce()).isFalse();
        assertThat(context.lane()).isEqualTo("bounces");
        assertThat(context.trustedLaneSet()).containsExactly("notifications");
        assertThat(context.suspectLaneSet()).containsExactly("suspect");
        assertThat(context.protectedDomainSet()).isEmpty();
        assertThat(context.trustedNetworkList()).isEmpty();
        assertThat(context.suppressionExpiryMs()).isEqualTo(7L * 24 * 3600 * 1000);
        assertThat(context.conclude()).as("idempotent").isSameAs(context);
    }

    @Test
    void shouldTakeAdmissionsProtectedDomainsAndTheIngressTrustedNetworksAsTheyAre()
    {
        final BounceContext context = new BounceContext()
            .protectedDomains("Example.COM.:REFUSE, customer.test:suspect, plain.test")
            .trustedNetworks(List.of(Cidr.parse("x", "10.0.0.0/8"), Cidr.parse("x", "::1")))
            .conclude();

        assertThat(context.protectedDomainSet()).containsExactlyInAnyOrder("example.com", "customer.test", "plain.test");
        assertThat(context.trustedNetworkList()).hasSize(2);
        assertThat(context.trustedNetworks()).isEqualTo("10.0.0.0/8,0:0:0:0:0:0:0:1/128");
    }

    @Test
    void shouldNameEachBadSettingWithItsValue()
    {
        assertRejected(c -> c.protectedDomains("example.com, bad domain"), BounceContext.PROTECTED_DOMAINS,
            "example.com, bad domain");
        assertRejected(c -> c.protectedDomains("example.com:PASS"), BounceContext.PROTECTED_DOMAINS, "example.com:PASS");
        assertRejected(c -> c.protectedDomains(null), BounceContext.PROTECTED_DOMAINS, "null");
        assertRejected(c -> c.trustedNetworks("10.0.0.0/8, 10.0.0"), BounceContext.TRUSTED_NETWORKS, "10.0.0");
        assertRejected(c -> c.trustedLanes("notifications, bad lane"), BounceContext.TRUSTED_LANES, "notifications, bad lane");
        assertRejected(c -> c.suspectLanes(null), BounceContext.SUSPECT_LANES, "null");
        assertRejected(c -> c.lane(""), BounceContext.LANE, "");
        assertRejected(c -> c.lane("notifications"), BounceContext.LANE, "notifications");
        assertRejected(c -> c.suppressionExpiryMs(-1), BounceContext.SUPPRESSION_EXPIRY_MS, "-1");
        assertRejected(c -> c.suppressionMaxEntries(0), BounceContext.SUPPRESSION_MAX_ENTRIES, "0");
        assertRejected(c -> c.recipientRatePerHour(-1), BounceContext.RECIPIENT_RATE_PER_HOUR, "-1");
        assertRejected(c -> c.recipientBurst(0), BounceContext.RECIPIENT_BURST, "0");
        assertRejected(c -> c.domainRatePerHour(2_000_000_000L), BounceContext.DOMAIN_RATE_PER_HOUR, "2000000000");
        assertRejected(c -> c.domainBurst(-3), BounceContext.DOMAIN_BURST, "-3");
        assertRejected(c -> c.budgetFraction(1.5), BounceContext.BUDGET_FRACTION, "1.5");
        assertRejected(c -> c.budgetFraction(Double.NaN), BounceContext.BUDGET_FRACTION, "NaN");
        assertRejected(c -> c.budgetWindowMs(1000), BounceContext.BUDGET_WINDOW_MS, "1000");
        assertRejected(c -> c.budgetMinimum(-1), BounceContext.BUDGET_MINIMUM, "-1");
        assertRejected(c -> c.dedupWindowMs(-5), BounceContext.DEDUP_WINDOW_MS, "-5");
        assertRejected(c -> c.maxTrackedKeys(0), BounceContext.MAX_TRACKED_KEYS, "0");
        assertRejected(c -> c.recentSuppressions(0), BounceContext.RECENT_SUPPRESSIONS, "0");
        assertRejected(c -> c.operatorAddress("ops"), BounceContext.OPERATOR_ADDRESS, "ops");
        assertRejected(c -> c.reportingMta("mx example"), BounceContext.REPORTING_MTA, "mx example");
        assertRejected(c -> c.dsnMaxHeaderBytes(100), BounceContext.DSN_MAX_HEADER_BYTES, "100");
        assertRejected(c -> c.clock(null), "clock", "null");
        assertRejected(c -> c.nanoClock(null), "nanoClock", "null");
    }

    @Test
    void shouldAllowARateOfZeroToTurnALimitOffWhateverItsBurst()
    {
        final BounceContext context = new BounceContext().recipientRatePerHour(0).recipientBurst(0).conclude();

        assertThat(context.recipientRatePerHour()).isZero();
    }

    @Test
    void shouldRefuseChangesOnceConcluded()
    {
        final BounceContext context = new BounceContext().conclude();

        assertThatThrownBy(() -> context.lane("other")).isInstanceOf(IllegalStateException.class);
    }
}
