package io.sluice.daemon;

import java.nio.file.Path;

import io.sluice.fleet.FleetContext;

/** Maps the {@code fleet.*} settings onto the fleet's context, which validates them. */
final class FleetSettings
{
    private FleetSettings()
    {
    }

    static FleetContext context(final DaemonSettings settings)
    {
        final String passwordFile = settings.get(FleetContext.PASSWORD_FILE);
        return new FleetContext()
            .redis(settings.get(FleetContext.REDIS))
            .passwordFile(passwordFile.isBlank() ? null : Path.of(passwordFile))
            .name(settings.get(FleetContext.NAME))
            .nodeId(settings.get(FleetContext.NODE_ID))
            .timeoutMs(settings.get(FleetContext.TIMEOUT_MS))
            .batchMs(settings.get(FleetContext.BATCH_MS))
            .livenessTtlMs(settings.get(FleetContext.LIVENESS_TTL_MS))
            .conclude();
    }
}
