package io.sluice.daemon;

import io.sluice.drain.DrainContext;

/** Maps the {@code drain.*} settings onto the drain's own context, which validates them. */
final class DrainSettings
{
    private DrainSettings()
    {
    }

    static DrainContext context(final DaemonSettings settings)
    {
        return new DrainContext()
            .routes(settings.string(DrainContext.ROUTES))
            .defaultRoute(settings.string(DrainContext.DEFAULT_ROUTE))
            .laneRoutes(settings.string(DrainContext.LANE_ROUTES))
            .tenantRoutes(settings.string(DrainContext.TENANT_ROUTES))
            .lanes(settings.string(DrainContext.LANES))
            .defaultLane(settings.string(DrainContext.DEFAULT_LANE))
            .laneRates(settings.string(DrainContext.LANE_RATES))
            .tenantRatePerSec(settings.doubleValue(DrainContext.TENANT_RATE_PER_SEC))
            .tenantRates(settings.string(DrainContext.TENANT_RATES))
            .tenantBurst(settings.intValue(DrainContext.TENANT_BURST))
            .tenantWeight(settings.intValue(DrainContext.TENANT_WEIGHT))
            .tenantWeights(settings.string(DrainContext.TENANT_WEIGHTS))
            .networkPrefixV4(settings.intValue(DrainContext.NETWORK_PREFIX_V4))
            .networkPrefixV6(settings.intValue(DrainContext.NETWORK_PREFIX_V6))
            .retryInitialMs(settings.longValue(DrainContext.RETRY_INITIAL_MS))
            .retryMaxMs(settings.longValue(DrainContext.RETRY_MAX_MS))
            .retryMultiplier(settings.doubleValue(DrainContext.RETRY_MULTIPLIER))
            .retryJitter(settings.doubleValue(DrainContext.RETRY_JITTER))
            .maxQueueLifetimeMs(settings.longValue(DrainContext.MAX_QUEUE_LIFETIME_MS))
            .aimdDecreaseFactor(settings.doubleValue(DrainContext.AIMD_DECREASE_FACTOR))
            .aimdRecoveryFraction(settings.doubleValue(DrainContext.AIMD_RECOVERY_FRACTION))
            .aimdIntervalMs(settings.longValue(DrainContext.AIMD_INTERVAL_MS))
            .aimdFloorRatePerSec(settings.doubleValue(DrainContext.AIMD_FLOOR_RATE_PER_SEC))
            .demotionLane(settings.string(DrainContext.DEMOTION_LANE))
            .demotionAction(settings.string(DrainContext.DEMOTION_ACTION))
            .demotionPolicyRejections(settings.intValue(DrainContext.DEMOTION_POLICY_REJECTIONS))
            .demotionNetworkPolicyRejections(settings.intValue(DrainContext.DEMOTION_NETWORK_POLICY_REJECTIONS))
            .demotionExemptNetworks(ContainmentSettings.sendingNetworks(settings))
            .demotionDurationMs(settings.longValue(DrainContext.DEMOTION_DURATION_MS))
            .maxRecipientsPerDispatch(settings.intValue(DrainContext.MAX_RECIPIENTS_PER_DISPATCH))
            .inFlightTimeoutMs(settings.longValue(DrainContext.IN_FLIGHT_TIMEOUT_MS))
            .rateWindowMs(settings.longValue(DrainContext.RATE_WINDOW_MS))
            .statusIntervalMs(settings.longValue(DrainContext.STATUS_INTERVAL_MS))
            .maxDispatchesPerCycle(settings.intValue(DrainContext.MAX_DISPATCHES_PER_CYCLE))
            .pausedRoutes(settings.string(DrainContext.PAUSED_ROUTES))
            .pausedTenants(settings.string(DrainContext.PAUSED_TENANTS))
            .pausedSources(settings.string(DrainContext.PAUSED_SOURCES))
            .conclude();
    }
}
