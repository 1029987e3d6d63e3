package io.sluice.daemon;

import java.nio.file.Path;

import io.sluice.admission.AdmissionContext;
import io.sluice.admission.KeyKind;
import io.sluice.admission.ReputationSettings;
import io.sluice.admission.SourceClass;
import io.sluice.admission.Traffic;
import io.sluice.ingress.SourcePolicy;
import io.sluice.spool.SpoolContext;

/** Maps the {@code admission.*} settings onto admission's own context, which validates them. */
final class AdmissionSettings
{
    private AdmissionSettings()
    {
    }

    static AdmissionContext context(final DaemonSettings settings)
    {
        final AdmissionContext context = new AdmissionContext();
        for (final KeyKind kind : KeyKind.values())
        {
            for (final Traffic traffic : Traffic.values())
            {
                if (kind.limits(traffic))
                {
                    context.ratePerSecond(kind, traffic, settings.doubleValue(AdmissionContext.rateKey(kind, traffic)));
                    context.burst(kind, traffic, settings.longValue(AdmissionContext.burstKey(kind, traffic)));
                }
            }
        }
        reputation(settings, context.reputation());
        final String protectedDomains = settings.get(AdmissionContext.PROTECTED_DOMAINS);
        final String stateFile = settings.get(AdmissionContext.STATE_FILE);
        return context
            .networkIpv4PrefixLength(settings.get(AdmissionContext.NETWORK_IPV4_PREFIX_LENGTH))
            .networkIpv6PrefixLength(settings.get(AdmissionContext.NETWORK_IPV6_PREFIX_LENGTH))
            .maxTrackedKeys(settings.get(AdmissionContext.MAX_TRACKED_KEYS))
            // `auto` (the default) is derived at open from what the spool can hold: SpoolCapacityGauge.
            .backlogHighWatermark(AdmissionContext.backlogValue(settings.get(AdmissionContext.BACKLOG_HIGH_WATERMARK)))
            .backlogLowWatermark(AdmissionContext.backlogValue(settings.get(AdmissionContext.BACKLOG_LOW_WATERMARK)))
            .backlogHardLimit(AdmissionContext.backlogValue(settings.get(AdmissionContext.BACKLOG_HARD_LIMIT)))
            .oldestAgeHighWatermarkMs(settings.get(AdmissionContext.OLDEST_AGE_HIGH_WATERMARK_MS))
            .oldestAgeLowWatermarkMs(settings.get(AdmissionContext.OLDEST_AGE_LOW_WATERMARK_MS))
            .maxProjectedDelayMs(settings.get(AdmissionContext.MAX_PROJECTED_DELAY_MS))
            // The flood's pattern is a forged sender in our own domains: by default those are the relay domains.
            .protectedDomains(protectedDomains.isBlank() ? settings.string(SourcePolicy.RELAY_DOMAINS) : protectedDomains)
            .spoofDefaultAction(settings.get(AdmissionContext.SPOOF_DEFAULT_ACTION))
            .blocklist(settings.get(AdmissionContext.BLOCKLIST))
            .stateFile(stateFile.isBlank()
                ? settings.get(SpoolContext.DIRECTORY).resolve(AdmissionContext.DEFAULT_STATE_FILE) : Path.of(stateFile))
            .conclude();
    }

    private static void reputation(final DaemonSettings settings, final ReputationSettings reputation)
    {
        for (final SourceClass sourceClass : ReputationSettings.bucketClasses())
        {
            for (final KeyKind kind : ReputationSettings.bucketKinds())
            {
                reputation.ratePerSecond(sourceClass, kind, settings.doubleValue(ReputationSettings.rateKey(sourceClass, kind)))
                    .burst(sourceClass, kind, settings.longValue(ReputationSettings.burstKey(sourceClass, kind)));
            }
        }
        final String stateFile = settings.get(ReputationSettings.STATE_FILE);
        reputation
            .demotedConnections(settings.get(ReputationSettings.DEMOTED_CONNECTIONS_PER_SECOND),
                settings.get(ReputationSettings.DEMOTED_CONNECTION_BURST))
            .halfLifeMs(settings.get(ReputationSettings.HALF_LIFE_MS))
            .demoteAfter(settings.get(ReputationSettings.DEMOTE_AFTER))
            .cleanAfter(settings.get(ReputationSettings.CLEAN_AFTER))
            .establishedAfter(settings.get(ReputationSettings.ESTABLISHED_AFTER))
            .tenantReserve(settings.get(ReputationSettings.TENANT_RESERVE))
            .maxKeys(settings.get(ReputationSettings.MAX_KEYS))
            .pressureSuspectAt(settings.get(ReputationSettings.PRESSURE_SUSPECT_AT))
            .pressureUnknownAt(settings.get(ReputationSettings.PRESSURE_UNKNOWN_AT))
            .stateFile(stateFile.isBlank()
                ? settings.get(SpoolContext.DIRECTORY).resolve(ReputationSettings.DEFAULT_STATE_FILE)
                : Path.of(stateFile));
    }
}
