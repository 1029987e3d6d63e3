package io.sluice.daemon;

import java.nio.file.Path;
import java.time.Clock;

import io.sluice.containment.ContainmentContext;
import io.sluice.ingress.SourcePolicy;
import io.sluice.net.SourceNetworks;
import io.sluice.spool.SpoolContext;
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
        final String stateFile = settings.string(ContainmentContext.STATE_FILE);
        return new ContainmentContext()
            .clock(clock)
            .nanoClock(nanoClock)
            .windowMs(settings.longValue(ContainmentContext.WINDOW_MS))
            .windowSlots(settings.intValue(ContainmentContext.WINDOW_SLOTS))
            .surgeFactor(settings.doubleValue(ContainmentContext.SURGE_FACTOR))
            .minSurgeMessages(settings.longValue(ContainmentContext.MIN_SURGE_MESSAGES))
            .normalRateFloorPerMinute(settings.doubleValue(ContainmentContext.NORMAL_RATE_FLOOR_PER_MINUTE))
            .baselineHalfLifeMs(settings.longValue(ContainmentContext.BASELINE_HALF_LIFE_MS))
            .surgeWarmupMs(settings.longValue(ContainmentContext.SURGE_WARMUP_MS))
            .policyRejectionRatio(settings.doubleValue(ContainmentContext.POLICY_REJECTION_RATIO))
            .permanentFailureRatio(settings.doubleValue(ContainmentContext.PERMANENT_FAILURE_RATIO))
            .minVerdicts(settings.longValue(ContainmentContext.MIN_VERDICTS))
            .exemptTenants(settings.string(ContainmentContext.EXEMPT_TENANTS))
            .ignoredLanes(settings.string(ContainmentContext.IGNORED_LANES))
            .sendingNetworks(sendingNetworksList(settings))
            .stateFile(stateFile.isBlank()
                ? settings.get(SpoolContext.DIRECTORY).resolve("containment.state") : Path.of(stateFile))
            .operatorAddress(settings.string(ContainmentContext.OPERATOR_ADDRESS))
            .notificationSender(settings.string(ContainmentContext.NOTIFICATION_SENDER))
            .notificationTenant(settings.string(ContainmentContext.NOTIFICATION_TENANT))
            .notificationLane(settings.string(ContainmentContext.NOTIFICATION_LANE))
            .reportingMta(settings.string(ContainmentContext.REPORTING_MTA))
            .conclude();
    }

    /** @return {@code containment.sendingNetworks}, or {@code relay.trustedNetworks} when it is empty */
    static String sendingNetworksList(final DaemonSettings settings)
    {
        final String sending = settings.string(ContainmentContext.SENDING_NETWORKS);
        return sending.isBlank() ? settings.string(SourcePolicy.TRUSTED_NETWORKS) : sending;
    }

    /** @return the appliance's own sending networks, parsed (errors name {@code containment.sendingNetworks}) */
    static SourceNetworks sendingNetworks(final DaemonSettings settings)
    {
        return SourceNetworks.parse(ContainmentContext.SENDING_NETWORKS, sendingNetworksList(settings));
    }
}
