package io.sluice.drain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.function.UnaryOperator;

import io.sluice.config.InvalidSettingException;
import io.sluice.config.Setting;
import org.junit.jupiter.api.Test;

class DrainContextTest
{
    private static void assertRejected(final UnaryOperator<DrainContext> change, final Setting<?> setting, final String value)
    {
        assertRejected(change, setting.key(), value);
    }

    private static void assertRejected(final UnaryOperator<DrainContext> change, final String key, final String value)
    {
        assertThatThrownBy(() -> change.apply(new DrainContext()).conclude())
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
        final DrainContext context = new DrainContext().conclude();

        assertThat(context.routeSpecs()).containsExactly(
            new RouteSpec("default", 200, 20), new RouteSpec("notifications", 20, 5));
        assertThat(context.laneSpecs()).containsExactly(
            new LaneSpec("notifications", true, 0, 0),
            new LaneSpec("mail", false, 16, 0),
            new LaneSpec("bounces", false, 4, 10),
            new LaneSpec("suspect", false, 1, 1));
        assertThat(context.routeTable().route("any", "notifications")).isEqualTo("notifications");
        assertThat(context.routeTable().route("any", "mail")).isEqualTo("default");
        assertThat(context.retryInitialMs()).isEqualTo(60_000);
        assertThat(context.retryMaxMs()).isEqualTo(3_600_000);
        assertThat(context.maxQueueLifetimeMs()).isEqualTo(5 * 24 * 3_600_000L);
        assertThat(context.tenantRatePerSec("any")).isZero();
        assertThat(context.tenantWeight("any")).isEqualTo(1);
    }

    @Test
    void shouldRouteByTheMostSpecificMapping()
    {
        final RouteTable table = new DrainContext()
            .routes("default:200:20,notifications:20:5,acme:50:5,acme-alerts:5:1")
            .tenantRoutes("acme:acme, acme/notifications:acme-alerts")
            .conclude()
            .routeTable();

        assertThat(table.route("acme", "notifications")).as("tenant/lane").isEqualTo("acme-alerts");
        assertThat(table.route("acme", "mail")).as("tenant").isEqualTo("acme");
        assertThat(table.route("other", "notifications")).as("lane").isEqualTo("notifications");
        assertThat(table.route("other", "mail")).as("default").isEqualTo("default");
        assertThat(table.route(null, "mail")).isEqualTo("default");
    }

    @Test
    void shouldParseOverridesAndFractionalRates()
    {
        final DrainContext context = new DrainContext()
            .routes("slow:0.5:1")
            .defaultRoute("slow")
            .laneRoutes("")
            .tenantRatePerSec(20)
            .tenantRates("big:150,free:0")
            .tenantWeights("big:4")
            .conclude();

        assertThat(context.routeSpecs()).containsExactly(new RouteSpec("slow", 0.5, 1));
        assertThat(context.tenantRatePerSec("big")).isEqualTo(150);
        assertThat(context.tenantRatePerSec("free")).isZero();
        assertThat(context.tenantRatePerSec("anyone")).isEqualTo(20);
        assertThat(context.tenantWeight("big")).isEqualTo(4);
    }

    @Test
    void shouldNameEachBadSettingWithItsValue()
    {
        assertRejected(c -> c.routes(""), DrainContext.ROUTES, "");
        assertRejected(c -> c.routes("default:fast:20"), DrainContext.ROUTES, "fast");
        assertRejected(c -> c.routes("default:0:20"), DrainContext.ROUTES, "0.0");
        assertRejected(c -> c.routes("default:200:0"), DrainContext.ROUTES, "0");
        assertRejected(c -> c.routes("default:200"), DrainContext.ROUTES, "default:200");
        assertRejected(c -> c.routes("default:200:20,default:100:10"), DrainContext.ROUTES, "default:200:20,default:100:10");
        assertRejected(c -> c.routes("de fault:200:20"), DrainContext.ROUTES, "de fault");
        assertRejected(c -> c.defaultRoute("nowhere"), DrainContext.DEFAULT_ROUTE, "nowhere");
        assertRejected(c -> c.pausedTenants("a b"), DrainContext.PAUSED_TENANTS, "a b");
        assertRejected(c -> c.laneRoutes("notifications:nowhere"), DrainContext.LANE_ROUTES, "notifications:nowhere");
        assertRejected(c -> c.tenantRoutes("acme:nowhere"), DrainContext.TENANT_ROUTES, "acme:nowhere");
        assertRejected(c -> c.lanes("notifications:strict"), DrainContext.LANES, "notifications:strict");
        assertRejected(c -> c.lanes("mail:0,suspect:1"), DrainContext.LANES, "0");
        assertRejected(c -> c.lanes("mail:heavy,suspect:1"), DrainContext.LANES, "heavy");
        assertRejected(c -> c.lanes("mail:16").laneRates(""), DrainContext.DEMOTION_LANE, "suspect");
        assertRejected(c -> c.defaultLane("spam"), DrainContext.DEFAULT_LANE, "spam");
        assertRejected(c -> c.demotionLane("notifications"), DrainContext.DEMOTION_LANE, "notifications");
        assertRejected(c -> c.laneRates("bounces:-1"), DrainContext.LANE_RATES, "-1.0");
        assertRejected(c -> c.laneRates("dsn:5"), DrainContext.LANE_RATES, "dsn:5");
        assertRejected(c -> c.tenantRatePerSec(-1), DrainContext.TENANT_RATE_PER_SEC, "-1.0");
        assertRejected(c -> c.tenantRatePerSec(Double.NaN), DrainContext.TENANT_RATE_PER_SEC, "NaN");
        assertRejected(c -> c.tenantRates("acme:lots"), DrainContext.TENANT_RATES, "lots");
        assertRejected(c -> c.tenantBurst(0), DrainContext.TENANT_BURST, "0");
        assertRejected(c -> c.tenantWeight(0), DrainContext.TENANT_WEIGHT, "0");
        assertRejected(c -> c.tenantWeights("acme:1001"), DrainContext.TENANT_WEIGHTS, "1001");
        assertRejected(c -> c.networkPrefixV4(33), DrainContext.NETWORK_PREFIX_V4, "33");
        assertRejected(c -> c.networkPrefixV6(-1), DrainContext.NETWORK_PREFIX_V6, "-1");
        assertRejected(c -> c.retryInitialMs(0), DrainContext.RETRY_INITIAL_MS, "0");
        assertRejected(c -> c.retryMaxMs(1000), DrainContext.RETRY_MAX_MS, "1000");
        assertRejected(c -> c.retryMultiplier(0.5), DrainContext.RETRY_MULTIPLIER, "0.5");
        assertRejected(c -> c.retryJitter(1.0), DrainContext.RETRY_JITTER, "1.0");
        assertRejected(c -> c.maxQueueLifetimeMs(1000), DrainContext.MAX_QUEUE_LIFETIME_MS, "1000");
        assertRejected(c -> c.aimdDecreaseFactor(1.0), DrainContext.AIMD_DECREASE_FACTOR, "1.0");
        assertRejected(c -> c.aimdRecoveryFraction(0), DrainContext.AIMD_RECOVERY_FRACTION, "0.0");
        assertRejected(c -> c.aimdIntervalMs(0), DrainContext.AIMD_INTERVAL_MS, "0");
        assertRejected(c -> c.aimdFloorRatePerSec(0), DrainContext.AIMD_FLOOR_RATE_PER_SEC, "0.0");
        assertRejected(c -> c.demotionPolicyRejections(0), DrainContext.DEMOTION_POLICY_REJECTIONS, "0");
        assertRejected(c -> c.demotionDurationMs(0), DrainContext.DEMOTION_DURATION_MS, "0");
        assertRejected(c -> c.demotionAction("trickle"), DrainContext.DEMOTION_ACTION, "trickle");
        assertRejected(c -> c.maxRecipientsPerDispatch(0), DrainContext.MAX_RECIPIENTS_PER_DISPATCH, "0");
        assertRejected(c -> c.inFlightTimeoutMs(-5), DrainContext.IN_FLIGHT_TIMEOUT_MS, "-5");
        assertRejected(c -> c.rateWindowMs(5), DrainContext.RATE_WINDOW_MS, "5");
        assertRejected(c -> c.statusIntervalMs(0), DrainContext.STATUS_INTERVAL_MS, "0");
        assertRejected(c -> c.maxDispatchesPerCycle(0), DrainContext.MAX_DISPATCHES_PER_CYCLE, "0");
        assertRejected(c -> c.clock(null), "clock", "null");
    }

    @Test
    void shouldRefuseChangesOnceConcluded()
    {
        final DrainContext context = new DrainContext().conclude();

        assertThatThrownBy(() -> context.routes("default:1:1")).isInstanceOf(IllegalStateException.class);
    }
}
