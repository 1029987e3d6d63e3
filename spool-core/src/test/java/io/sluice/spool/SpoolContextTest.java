package io.sluice.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.function.UnaryOperator;

import io.sluice.config.InvalidSettingException;
import io.sluice.config.Setting;
import org.junit.jupiter.api.Test;

/** Every bad spool setting is refused with its key and value. */
class SpoolContextTest
{
    private static void assertRejected(final UnaryOperator<SpoolContext> change, final Setting<?> setting, final String value)
    {
        assertRejected(change, setting.key(), value);
    }

    private static void assertRejected(final UnaryOperator<SpoolContext> change, final String key, final String value)
    {
        assertThatThrownBy(() -> change.apply(new SpoolContext()).conclude())
            .isInstanceOfSatisfying(InvalidSettingException.class, ex ->
            {
                assertThat(ex.key()).isEqualTo(key);
                assertThat(ex.value()).isEqualTo(value);
                assertThat(ex.getMessage()).startsWith(key + "=" + value + ": expected");
            });
    }

    @Test
    void shouldAcceptTheDefaults()
    {
        final SpoolContext context = new SpoolContext().conclude();
        assertThat(context.directory()).isEqualTo(Path.of("spool"));
        assertThat(context.durability()).isEqualTo(Durability.DURABLE);
        assertThat(context.rollCycle().toString()).isEqualTo("FIVE_MINUTELY");
    }

    @Test
    void shouldNameEachBadSettingWithItsValue()
    {
        assertRejected(c -> c.directory(null), SpoolContext.DIRECTORY, "null");
        assertRejected(c -> c.rollCycle("FORTNIGHTLY"), SpoolContext.ROLL_CYCLE, "FORTNIGHTLY");
        assertRejected(c -> c.blockSizeBytes(3_000_000), SpoolContext.BLOCK_SIZE_BYTES, "3000000");
        assertRejected(c -> c.blockSizeBytes(1 << 20).chunkBytes(1 << 20), SpoolContext.CHUNK_BYTES, "1048576");
        assertRejected(c -> c.maxMessageBytes(10), SpoolContext.MAX_MESSAGE_BYTES, "10");
        assertRejected(c -> c.diskReserveBytes(1 << 20), SpoolContext.DISK_RESERVE_BYTES, "1048576");
        assertRejected(c -> c.diskCheckIntervalMs(0), SpoolContext.DISK_CHECK_INTERVAL_MS, "0");
        assertRejected(c -> c.writeQueueCapacity(1000), SpoolContext.WRITE_QUEUE_CAPACITY, "1000");
        assertRejected(c -> c.maxBatch(0), SpoolContext.MAX_BATCH, "0");
        assertRejected(c -> c.compactionLiveRatio(1.5), SpoolContext.COMPACTION_LIVE_RATIO, "1.5");
        assertRejected(c -> c.compactionLiveRatio(Double.NaN), SpoolContext.COMPACTION_LIVE_RATIO, "NaN");
        assertRejected(c -> c.maintenanceIntervalMs(-1), SpoolContext.MAINTENANCE_INTERVAL_MS, "-1");
    }

    @Test
    void shouldAcceptRollCycleNamesInAnyCase()
    {
        assertThat(new SpoolContext().rollCycle("fast_daily").conclude().rollCycle().toString()).isEqualTo("FAST_DAILY");
    }

    @Test
    void shouldRefuseChangesOnceConcluded()
    {
        final SpoolContext context = new SpoolContext().conclude();
        assertThatThrownBy(() -> context.maxBatch(3)).isInstanceOf(IllegalStateException.class);
    }
}
