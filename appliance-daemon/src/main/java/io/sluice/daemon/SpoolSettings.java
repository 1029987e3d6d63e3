package io.sluice.daemon;

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
            .directory(settings.get(SpoolContext.DIRECTORY))
            .durability(settings.get(SpoolContext.DURABILITY))
            .rollCycle(settings.get(SpoolContext.ROLL_CYCLE))
            .blockSizeBytes(settings.get(SpoolContext.BLOCK_SIZE_BYTES))
            .chunkBytes(settings.get(SpoolContext.CHUNK_BYTES))
            .maxMessageBytes(settings.get(SpoolContext.MAX_MESSAGE_BYTES))
            .diskReserveBytes(settings.get(SpoolContext.DISK_RESERVE_BYTES))
            .diskCheckIntervalMs(settings.get(SpoolContext.DISK_CHECK_INTERVAL_MS))
            .writeQueueCapacity(settings.get(SpoolContext.WRITE_QUEUE_CAPACITY))
            .maxBatch(settings.get(SpoolContext.MAX_BATCH))
            .compactionLiveRatio(settings.get(SpoolContext.COMPACTION_LIVE_RATIO))
            .maintenanceIntervalMs(settings.get(SpoolContext.MAINTENANCE_INTERVAL_MS))
            .checkpointIntervalMs(settings.get(SpoolContext.CHECKPOINT_INTERVAL_MS))
            .allowMissingCycles(settings.get(SpoolContext.ALLOW_MISSING_CYCLES))
            .conclude();
    }
}
