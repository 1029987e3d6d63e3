package io.sluice.daemon;

import java.nio.file.Path;
import java.time.Clock;

import io.sluice.admission.AdmissionContext;
import io.sluice.bounce.BounceContext;
import io.sluice.containment.ContainmentContext;
import io.sluice.ingress.SourcePolicy;
import io.sluice.spool.SpoolContext;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * Maps the {@code bounce.*} settings onto the bounce policy's context, which validates them. Empty protected domains
 * and trusted networks are derived from admission's and the relay's: the forged-sender pattern is the same one
 * admission sees at SMTP time. An empty operator address is containment's (one operator, one address), and an empty
 * state file is {@code bounce.state} in the spool directory.
 */
final class BounceSettings
{
    private BounceSettings()
    {
    }

    static BounceContext context(final DaemonSettings settings)
    {
        return context(settings, Clock.systemUTC(), SystemNanoClock.INSTANCE);
    }

    /**
     * With the clocks the budget window, the buckets and the dedup table run on: the system's in the daemon; a test's
     * own, so hours of budget windows pass in a moment while the rest of the daemon runs for real.
     */
    static BounceContext context(final DaemonSettings settings, final Clock clock, final NanoClock nanoClock)
    {
        final String domains = settings.string(BounceContext.PROTECTED_DOMAINS);
        final String admissionDomains = settings.string(AdmissionContext.PROTECTED_DOMAINS);
        final String derivedDomains = admissionDomains.isBlank() ? settings.string(SourcePolicy.RELAY_DOMAINS) : admissionDomains;
        final String networks = settings.string(BounceContext.TRUSTED_NETWORKS);
        final String operator = settings.string(BounceContext.OPERATOR_ADDRESS);
        final String stateFile = settings.string(BounceContext.STATE_FILE);
        return new BounceContext()
            .clock(clock)
            .nanoClock(nanoClock)
            .protectedDomains(domains.isBlank() ? derivedDomains : domains)
            .trustedNetworks(networks.isBlank() ? settings.string(SourcePolicy.TRUSTED_NETWORKS) : networks)
            .trustedLanes(settings.string(BounceContext.TRUSTED_LANES))
            .suspectLanes(settings.string(BounceContext.SUSPECT_LANES))
            .lane(settings.string(BounceContext.LANE))
            .policyFailuresBounce(settings.booleanValue(BounceContext.POLICY_FAILURES_BOUNCE))
            .suppressionExpiryMs(settings.longValue(BounceContext.SUPPRESSION_EXPIRY_MS))
            .suppressionMaxEntries(settings.intValue(BounceContext.SUPPRESSION_MAX_ENTRIES))
            .recipientRatePerHour(settings.longValue(BounceContext.RECIPIENT_RATE_PER_HOUR))
            .recipientBurst(settings.longValue(BounceContext.RECIPIENT_BURST))
            .domainRatePerHour(settings.longValue(BounceContext.DOMAIN_RATE_PER_HOUR))
            .domainBurst(settings.longValue(BounceContext.DOMAIN_BURST))
            .budgetFraction(settings.doubleValue(BounceContext.BUDGET_FRACTION))
            .budgetWindowMs(settings.longValue(BounceContext.BUDGET_WINDOW_MS))
            .budgetMinimum(settings.longValue(BounceContext.BUDGET_MINIMUM))
            .dedupWindowMs(settings.longValue(BounceContext.DEDUP_WINDOW_MS))
            .maxTrackedKeys(settings.intValue(BounceContext.MAX_TRACKED_KEYS))
            .recentSuppressions(settings.intValue(BounceContext.RECENT_SUPPRESSIONS))
            .operatorAddress(operator.isBlank() ? settings.get(ContainmentContext.OPERATOR_ADDRESS) : operator)
            .stateFile(stateFile.isBlank()
                ? settings.get(SpoolContext.DIRECTORY).resolve("bounce.state") : Path.of(stateFile))
            .reportingMta(settings.string(BounceContext.REPORTING_MTA))
            .dsnMaxHeaderBytes(settings.intValue(BounceContext.DSN_MAX_HEADER_BYTES))
            .conclude();
    }
}
