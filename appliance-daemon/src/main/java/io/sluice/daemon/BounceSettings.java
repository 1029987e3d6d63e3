package io.sluice.daemon;

import java.time.Clock;

import io.sluice.admission.AdmissionContext;
import io.sluice.bounce.BounceContext;
import io.sluice.containment.ContainmentContext;
import io.sluice.ingress.SourcePolicy;
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
        final String domains = settings.get(BounceContext.PROTECTED_DOMAINS);
        final String admissionDomains = settings.get(AdmissionContext.PROTECTED_DOMAINS);
        final String derivedDomains = admissionDomains.isBlank() ? settings.string(SourcePolicy.RELAY_DOMAINS) : admissionDomains;
        final String networks = settings.get(BounceContext.TRUSTED_NETWORKS);
        final String operator = settings.get(BounceContext.OPERATOR_ADDRESS);
        return new BounceContext()
            .clock(clock)
            .nanoClock(nanoClock)
            .protectedDomains(domains.isBlank() ? derivedDomains : domains)
            .trustedNetworks(networks.isBlank() ? settings.string(SourcePolicy.TRUSTED_NETWORKS) : networks)
            .trustedLanes(settings.get(BounceContext.TRUSTED_LANES))
            .suspectLanes(settings.get(BounceContext.SUSPECT_LANES))
            .lane(settings.get(BounceContext.LANE))
            .policyFailuresBounce(settings.get(BounceContext.POLICY_FAILURES_BOUNCE))
            .suppressionExpiryMs(settings.get(BounceContext.SUPPRESSION_EXPIRY_MS))
            .quarantineExpiryMs(settings.get(BounceContext.QUARANTINE_EXPIRY_MS))
            .suppressionMaxEntries(settings.get(BounceContext.SUPPRESSION_MAX_ENTRIES))
            .recipientRatePerHour(settings.get(BounceContext.RECIPIENT_RATE_PER_HOUR))
            .recipientBurst(settings.get(BounceContext.RECIPIENT_BURST))
            .domainRatePerHour(settings.get(BounceContext.DOMAIN_RATE_PER_HOUR))
            .domainBurst(settings.get(BounceContext.DOMAIN_BURST))
            .budgetFraction(settings.get(BounceContext.BUDGET_FRACTION))
            .budgetWindowMs(settings.get(BounceContext.BUDGET_WINDOW_MS))
            .budgetMinimum(settings.get(BounceContext.BUDGET_MINIMUM))
            .dedupWindowMs(settings.get(BounceContext.DEDUP_WINDOW_MS))
            .maxTrackedKeys(settings.get(BounceContext.MAX_TRACKED_KEYS))
            .recentSuppressions(settings.get(BounceContext.RECENT_SUPPRESSIONS))
            .operatorAddress(operator.isBlank() ? settings.get(ContainmentContext.OPERATOR_ADDRESS) : operator)
            .stateFile(settings.fileInSpool(BounceContext.STATE_FILE, BounceContext.STATE_FILE_NAME))
            .reportingMta(settings.get(BounceContext.REPORTING_MTA))
            .dsnMaxHeaderBytes(settings.get(BounceContext.DSN_MAX_HEADER_BYTES))
            .conclude();
    }
}
