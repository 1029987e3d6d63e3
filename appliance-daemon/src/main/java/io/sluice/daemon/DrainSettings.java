package io.sluice.daemon;

import io.sluice.drain.DrainContext;
import io.sluice.drain.RateLearningSettings;

/** Maps the {@code drain.*} settings onto the drain's own context, which validates them. */
final class DrainSettings
{
    private DrainSettings()
    {
    }

    static DrainContext context(final DaemonSettings settings)
    {
        return new DrainContext()
            .routes(settings.get(DrainContext.ROUTES))
            .defaultRoute(settings.get(DrainContext.DEFAULT_ROUTE))
            .laneRoutes(settings.get(DrainContext.LANE_ROUTES))
            .tenantRoutes(settings.get(DrainContext.TENANT_ROUTES))
            .lanes(settings.get(DrainContext.LANES))
            .defaultLane(settings.get(DrainContext.DEFAULT_LANE))
            .laneRates(settings.get(DrainContext.LANE_RATES))
            .tenantRatePerSec(settings.get(DrainContext.TENANT_RATE_PER_SEC))
            .tenantRates(settings.get(DrainContext.TENANT_RATES))
            .tenantBurst(settings.get(DrainContext.TENANT_BURST))
            .tenantWeight(settings.get(DrainContext.TENANT_WEIGHT))
            .tenantWeights(settings.get(DrainContext.TENANT_WEIGHTS))
            .networkPrefixV4(settings.get(DrainContext.NETWORK_PREFIX_V4))
            .networkPrefixV6(settings.get(DrainContext.NETWORK_PREFIX_V6))
            .retryInitialMs(settings.get(DrainContext.RETRY_INITIAL_MS))
            .retryMaxMs(settings.get(DrainContext.RETRY_MAX_MS))
            .retryMultiplier(settings.get(DrainContext.RETRY_MULTIPLIER))
            .retryJitter(settings.get(DrainContext.RETRY_JITTER))
            .maxQueueLifetimeMs(settings.get(DrainContext.MAX_QUEUE_LIFETIME_MS))
            .aimdDecreaseFactor(settings.get(DrainContext.AIMD_DECREASE_FACTOR))
            .aimdRecoveryFraction(settings.get(DrainContext.AIMD_RECOVERY_FRACTION))
            .aimdIntervalMs(settings.get(DrainContext.AIMD_INTERVAL_MS))
            .aimdFloorRatePerSec(settings.get(DrainContext.AIMD_FLOOR_RATE_PER_SEC))
            .rateLearning(new RateLearningSettings()
                .holdFraction(settings.get(RateLearningSettings.HOLD_FRACTION))
                .probeAfterMs(settings.get(RateLearningSettings.PROBE_AFTER_MS))
                .probeStep(settings.get(RateLearningSettings.PROBE_STEP))
                .requeueLimit(settings.get(RateLearningSettings.REQUEUE_LIMIT))
                .stateFile(settings.fileInSpool(RateLearningSettings.STATE_FILE, RateLearningSettings.STATE_FILE_NAME)))
            .demotionLane(settings.get(DrainContext.DEMOTION_LANE))
            .demotionAction(settings.get(DrainContext.DEMOTION_ACTION))
            .demotionPolicyRejections(settings.get(DrainContext.DEMOTION_POLICY_REJECTIONS))
            .demotionNetworkPolicyRejections(settings.get(DrainContext.DEMOTION_NETWORK_POLICY_REJECTIONS))
            .demotionExemptNetworks(ContainmentSettings.sendingNetworks(settings))
            .demotionDurationMs(settings.get(DrainContext.DEMOTION_DURATION_MS))
            .maxRecipientsPerDispatch(settings.get(DrainContext.MAX_RECIPIENTS_PER_DISPATCH))
            .inFlightTimeoutMs(settings.get(DrainContext.IN_FLIGHT_TIMEOUT_MS))
            .rateWindowMs(settings.get(DrainContext.RATE_WINDOW_MS))
            .statusIntervalMs(settings.get(DrainContext.STATUS_INTERVAL_MS))
            .maxDispatchesPerCycle(settings.get(DrainContext.MAX_DISPATCHES_PER_CYCLE))
            .pausedRoutes(settings.get(DrainContext.PAUSED_ROUTES))
            .pausedTenants(settings.get(DrainContext.PAUSED_TENANTS))
            .pausedSources(settings.get(DrainContext.PAUSED_SOURCES))
            .conclude();
    }
}
