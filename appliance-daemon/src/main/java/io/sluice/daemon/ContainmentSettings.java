package io.sluice.daemon;

import java.time.Clock;

import io.sluice.containment.ContainmentContext;
import io.sluice.ingress.SourcePolicy;
import io.sluice.net.SourceNetworks;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * Maps the {@code containment.*} settings onto containment's context, which validates them. Empty sending networks are
 * the relay's trusted networks: the sources that may send anywhere are the tenants' own senders; everyone else can
 * only send to the relay domains, and that inbound mail is never counted or held.
 */
final class ContainmentSettings
{
    private ContainmentSettings()
    {
    }

    static ContainmentContext context(final DaemonSettings settings)
    {
        return context(settings, Clock.systemUTC(), SystemNanoClock.INSTANCE);
    }

    /**
     * With the clocks containment's windows run on: the system's in the daemon; a test's own, so minutes of traffic
     * history pass in a moment while the rest of the daemon runs for real.
     */
    static ContainmentContext context(final DaemonSettings settings, final Clock clock, final NanoClock nanoClock)
    {
        return new ContainmentContext()
            .clock(clock)
            .nanoClock(nanoClock)
            .windowMs(settings.get(ContainmentContext.WINDOW_MS))
            .windowSlots(settings.get(ContainmentContext.WINDOW_SLOTS))
            .surgeFactor(settings.get(ContainmentContext.SURGE_FACTOR))
            .minSurgeMessages(settings.get(ContainmentContext.MIN_SURGE_MESSAGES))
            .normalRateFloorPerMinute(settings.get(ContainmentContext.NORMAL_RATE_FLOOR_PER_MINUTE))
            .baselineHalfLifeMs(settings.get(ContainmentContext.BASELINE_HALF_LIFE_MS))
            .surgeWarmupMs(settings.get(ContainmentContext.SURGE_WARMUP_MS))
            .policyRejectionRatio(settings.get(ContainmentContext.POLICY_REJECTION_RATIO))
            .permanentFailureRatio(settings.get(ContainmentContext.PERMANENT_FAILURE_RATIO))
            .minVerdicts(settings.get(ContainmentContext.MIN_VERDICTS))
            .exemptTenants(settings.get(ContainmentContext.EXEMPT_TENANTS))
            .ignoredLanes(settings.get(ContainmentContext.IGNORED_LANES))
            .sendingNetworks(sendingNetworksList(settings))
            .stateFile(settings.fileInSpool(ContainmentContext.STATE_FILE, ContainmentContext.STATE_FILE_NAME))
            .operatorAddress(settings.get(ContainmentContext.OPERATOR_ADDRESS))
            .notificationSender(settings.get(ContainmentContext.NOTIFICATION_SENDER))
            .notificationTenant(settings.get(ContainmentContext.NOTIFICATION_TENANT))
            .notificationLane(settings.get(ContainmentContext.NOTIFICATION_LANE))
            .reportingMta(settings.get(ContainmentContext.REPORTING_MTA))
            .conclude();
    }

    /** @return {@code containment.sendingNetworks}, or {@code relay.trustedNetworks} when it is empty */
    static String sendingNetworksList(final DaemonSettings settings)
    {
        final String sending = settings.get(ContainmentContext.SENDING_NETWORKS);
        return sending.isBlank() ? settings.string(SourcePolicy.TRUSTED_NETWORKS) : sending;
    }

    /** @return the appliance's own sending networks, parsed (errors name {@code containment.sendingNetworks}) */
    static SourceNetworks sendingNetworks(final DaemonSettings settings)
    {
        return SourceNetworks.parse(ContainmentContext.SENDING_NETWORKS.key(), sendingNetworksList(settings));
    }
}
