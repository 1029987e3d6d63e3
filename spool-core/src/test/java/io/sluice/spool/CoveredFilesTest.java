package io.sluice.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A start from the checkpoint leaves the journal files it covers unscanned: damage in one of them is met when the
 * damaged record is read (its CRC fails, the message stays pending, counted as unreadable), not at start. A start
 * that cannot use the checkpoint checks every file again before the full replay reads them all.
 */
class CoveredFilesTest
{
    private static final long HOUR_MS = TimeUnit.HOURS.toMillis(1);
    private static final int PER_HOUR = 20;

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(1_700_000_000_000L / HOUR_MS * HOUR_MS + 60_000);

    private SpoolContext context()
    {
        return new SpoolContext().directory(dir).clock(clock).rollCycle("FAST_HOURLY").blockSizeBytes(1 << 20)
            .chunkBytes(16 << 10).diskReserveBytes(8 << 20).checkpointIntervalMs(0);
    }

    @Test
    void shouldLeaveCoveredFilesUnscannedAndMeetTheirDamageWhenReadBack() throws Exception
    {
        final List<Long> ids = new ArrayList<>();
        try (Spool spool = Spool.open(context()))
        {
            append(spool, ids);
            clock.advanceMillis(HOUR_MS);
            append(spool, ids);
        }
        final JournalDamage.Record head = JournalDamage.records(dir, context()).stream()
            .filter(r -> r.type() == JournalRecordCodec.TYPE_MESSAGE && r.messageId() == ids.get(5)).findFirst().orElseThrow();
        final Path firstFile = head.file();
        assertThat(firstFile).as("in the first of two files").isNotEqualTo(JournalDamage.records(dir, context())
            .get(JournalDamage.records(dir, context()).size() - 1).file());
        JournalDamage.damage(firstFile, head.position() + 4 + 200, 16, new Random(5));

        try (Spool spool = Spool.open(context()))
        {
            assertThat(spool.counters().get(SpoolCounter.FULL_REPLAYS)).as("started from the checkpoint").isZero();
            assertThat(dir.resolve(JournalSalvage.DAMAGED_DIR)).as("the covered file was not scanned").doesNotExist();
            assertThat(spool.pendingCount()).isEqualTo(2 * PER_HOUR);
            assertThat(spool.pending(ids.get(5))).as("its head fails its CRC when read").isNull();
            assertThat(spool.counters().get(SpoolCounter.PENDING_UNREADABLE)).isEqualTo(1);
            assertThatThrownBy(() -> spool.readContent(ids.get(5))).isInstanceOf(IOException.class);
            for (int i = 0; i < ids.size(); i++)
            {
                if (i != 5)
                {
                    assertThat(spool.readContent(ids.get(i))).isEqualTo(TestMessages.body("m" + i, 3000));
                }
            }
        }

        // A checkpoint that fails its CRC: every file is checked after all, and the damaged one salvaged.
        final Path checkpoint = dir.resolve(IndexCheckpoint.FILE_NAME);
        final byte[] bytes = Files.readAllBytes(checkpoint);
        bytes[bytes.length - 10] ^= 0x10;
        Files.write(checkpoint, bytes);
        try (Spool spool = Spool.open(context()))
        {
            assertThat(spool.counters().get(SpoolCounter.FULL_REPLAYS)).isEqualTo(1);
            assertThat(dir.resolve(JournalSalvage.DAMAGED_DIR).resolve(firstFile.getFileName())).as("set aside").exists();
            assertThat(spool.pendingCount()).as("all but the damaged message").isEqualTo(2 * PER_HOUR - 1);
            assertThat(spool.pending(ids.get(5))).isNull();
            assertThat(spool.readContent(ids.get(6))).isEqualTo(TestMessages.body("m6", 3000));
        }
    }

    private void append(final Spool spool, final List<Long> ids) throws Exception
    {
        for (int i = 0; i < PER_HOUR; i++)
        {
            final int n = ids.size();
            ids.add(spool.append(TestMessages.envelopeAt(clock.millis(), "r" + n + "@x.test"),
                TestMessages.body("m" + n, 3000)).get().messageId());
        }
    }
}
