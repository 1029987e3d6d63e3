package io.sluice.containment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.function.UnaryOperator;

import io.sluice.config.InvalidSettingException;
import io.sluice.config.Setting;
import org.junit.jupiter.api.Test;

class ContainmentContextTest
{
    private static void assertRejected(
        final UnaryOperator<ContainmentContext> change, final Setting<?> setting, final String value)
    {
        assertRejected(change, setting.key(), value);
    }

    private static void assertRejected(final UnaryOperator<ContainmentContext> change, final String key, final String value)
    {
        assertThatThrownBy(() -> change.apply(new ContainmentContext()).conclude())
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
        final ContainmentContext context = new ContainmentContext().conclude();

        assertThat(context.windowMs()).isEqualTo(300_000);
        assertThat(context.surgeFactor()).isEqualTo(10.0);
        assertThat(context.policyRejectionRatio()).isEqualTo(0.2);
        assertThat(context.minVerdicts()).isEqualTo(100);
        assertThat(context.surgeWarmupMs()).isEqualTo(3_600_000);
        assertThat(context.notificationLane()).isEqualTo("notifications");
        assertThat(context.notificationTenant()).isEqualTo("system");
        assertThat(context.stateFile()).isEqualTo(Path.of("containment.state"));
        assertThat(context.exemptTenantSet()).isEmpty();
        assertThat(context.sendingNetworkList().isEmpty()).as("the library knows no sending network").isTrue();
    }

    @Test
    void shouldNameEachBadSettingWithItsValue()
    {
        assertRejected(c -> c.windowMs(1000), ContainmentContext.WINDOW_MS, "1000");
        assertRejected(c -> c.windowSlots(0), ContainmentContext.WINDOW_SLOTS, "0");
        assertRejected(c -> c.windowMs(60_000).windowSlots(120), ContainmentContext.WINDOW_SLOTS, "120");
        assertRejected(c -> c.surgeFactor(1.0), ContainmentContext.SURGE_FACTOR, "1.0");
        assertRejected(c -> c.surgeFactor(Double.NaN), ContainmentContext.SURGE_FACTOR, "NaN");
        assertRejected(c -> c.minSurgeMessages(0), ContainmentContext.MIN_SURGE_MESSAGES, "0");
        assertRejected(c -> c.normalRateFloorPerMinute(-1), ContainmentContext.NORMAL_RATE_FLOOR_PER_MINUTE, "-1.0");
        assertRejected(c -> c.baselineHalfLifeMs(60_000), ContainmentContext.BASELINE_HALF_LIFE_MS, "60000");
        assertRejected(c -> c.surgeWarmupMs(-1), ContainmentContext.SURGE_WARMUP_MS, "-1");
        assertRejected(c -> c.policyRejectionRatio(1.0), ContainmentContext.POLICY_REJECTION_RATIO, "1.0");
        assertRejected(c -> c.permanentFailureRatio(-0.1), ContainmentContext.PERMANENT_FAILURE_RATIO, "-0.1");
        assertRejected(c -> c.minVerdicts(0), ContainmentContext.MIN_VERDICTS, "0");
        assertRejected(c -> c.exemptTenants(null), ContainmentContext.EXEMPT_TENANTS, "null");
        assertRejected(c -> c.ignoredLanes(null), ContainmentContext.IGNORED_LANES, "null");
        assertRejected(c -> c.sendingNetworks("10.0.0.0/8, mail.example.com"), ContainmentContext.SENDING_NETWORKS,
            "mail.example.com");
        assertRejected(c -> c.sendingNetworks("10.0.0.0/33"), ContainmentContext.SENDING_NETWORKS, "10.0.0.0/33");
        assertRejected(c -> c.operatorAddress("ops"), ContainmentContext.OPERATOR_ADDRESS, "ops");
        assertRejected(c -> c.notificationSender("<ops@x.test>"), ContainmentContext.NOTIFICATION_SENDER, "<ops@x.test>");
        assertRejected(c -> c.notificationTenant(" "), ContainmentContext.NOTIFICATION_TENANT, " ");
        assertRejected(c -> c.notificationLane("no tifications"), ContainmentContext.NOTIFICATION_LANE, "no tifications");
        assertRejected(c -> c.reportingMta("mx example"), ContainmentContext.REPORTING_MTA, "mx example");
        assertRejected(c -> c.clock(null), "clock", "null");
        assertRejected(c -> c.nanoClock(null), "nanoClock", "null");
    }

    @Test
    void shouldAllowRulesToBeTurnedOff()
    {
        final ContainmentContext context = new ContainmentContext().surgeFactor(0).policyRejectionRatio(0)
            .permanentFailureRatio(0).stateFile(null).exemptTenants(" a , b,").conclude();

        assertThat(context.exemptTenantSet()).containsExactlyInAnyOrder("a", "b");
        assertThatThrownBy(() -> context.windowMs(1)).isInstanceOf(IllegalStateException.class);
    }
}
