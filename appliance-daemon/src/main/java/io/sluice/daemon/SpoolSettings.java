package io.sluice.daemon;

import java.nio.file.Path;

import io.sluice.spool.Durability;
import io.sluice.spool.SpoolContext;

/** Maps the {@code spool.*} settings onto the spool's own context, which validates them. */
final class SpoolSettings
{
    private SpoolSettings()
    {
    }

    static SpoolContext context(final DaemonSettings settings)
    {
        return new SpoolContext()
            .directory(Path.of(settings.string(SpoolContext.DIRECTORY)))
            .durability(settings.enumValue(SpoolContext.DURABILITY, Durability.class))
            .rollCycle(settings.string(SpoolContext.ROLL_CYCLE))
            .blockSizeBytes(settings.longValue(SpoolContext.BLOCK_SIZE_BYTES))
            .chunkBytes(settings.intValue(SpoolContext.CHUNK_BYTES))
            .maxMessageBytes(settings.longValue(SpoolContext.MAX_MESSAGE_BYTES))
            .diskReserveBytes(settings.longValue(SpoolContext.DISK_RESERVE_BYTES))
            .diskCheckIntervalMs(settings.longValue(SpoolContext.DISK_CHECK_INTERVAL_MS))
            .writeQueueCapacity(settings.intValue(SpoolContext.WRITE_QUEUE_CAPACITY))
            .maxBatch(settings.intValue(SpoolContext.MAX_BATCH))
            .compactionLiveRatio(settings.doubleValue(SpoolContext.COMPACTION_LIVE_RATIO))
            .maintenanceIntervalMs(settings.longValue(SpoolContext.MAINTENANCE_INTERVAL_MS))
            .allowMissingCycles(settings.booleanValue(SpoolContext.ALLOW_MISSING_CYCLES))
            .conclude();
    }
}
