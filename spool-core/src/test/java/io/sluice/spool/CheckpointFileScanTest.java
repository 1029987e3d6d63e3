package io.sluice.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import net.openhft.chronicle.queue.RollCycle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A start from the checkpoint walks the checkpoint's own journal file from the checkpoint's position, not from the
 * file's start: a record damaged before the position is not read at start (met when read back, as in the files wholly
 * before), a record damaged after it is found and the file salvaged as always, and every message after the position
 * is replayed. One file holds the whole journal here, as it does when a backlog builds within one roll cycle.
 */
class CheckpointFileScanTest
{
    private static final int BEFORE = 20;
    private static final int AFTER = 10;

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(1_700_000_000_000L);

    private SpoolContext context()
    {
        return new SpoolContext().directory(dir).clock(clock).rollCycle("FAST_HOURLY").blockSizeBytes(1 << 20)
            .chunkBytes(16 << 10).diskReserveBytes(8 << 20).checkpointIntervalMs(0);
    }

    /**
     * @return the message ids: {@value #BEFORE} covered by the checkpoint left in place, then {@value #AFTER} appended
     *         after it, in the same file (the later clean stop's checkpoint is replaced by the earlier one, as a crash
     *         after a periodic checkpoint leaves it).
     */
    private List<Long> journalWithATailAfterTheCheckpoint() throws Exception
    {
        final List<Long> ids = new ArrayList<>();
        try (Spool spool = Spool.open(context()))
        {
            append(spool, ids, BEFORE);
        }
        final Path checkpoint = dir.resolve(IndexCheckpoint.FILE_NAME);
        final byte[] covering = Files.readAllBytes(checkpoint);
        try (Spool spool = Spool.open(context()))
        {
            append(spool, ids, AFTER);
        }
        Files.write(checkpoint, covering);
        final List<JournalDamage.Record> records = JournalDamage.records(dir, context());
        assertThat(records.stream().map(JournalDamage.Record::file).distinct()).as("one journal file").hasSize(1);
        return ids;
    }

    @Test
    void shouldNotReadTheRecordsBeforeTheCheckpointsPositionInItsOwnFile() throws Exception
    {
        final List<Long> ids = journalWithATailAfterTheCheckpoint();
        final JournalDamage.Record covered = head(ids.get(5));
        final RollCycle rollCycle = context().conclude().rollCycle();
        final long position = IndexCheckpoint.coveredPosition(dir.resolve(IndexCheckpoint.FILE_NAME));
        final JournalFileScan.Result fromPosition = JournalFileScan.scanFrom(covered.file(), rollCycle.defaultIndexCount(),
            rollCycle.defaultIndexSpacing(), rollCycle.toSequenceNumber(position), CheckpointFileScanTest::ignore);
        final JournalFileScan.Result whole = JournalFileScan.scan(covered.file(), rollCycle.defaultIndexCount(),
            rollCycle.defaultIndexSpacing(), CheckpointFileScanTest::ignore);
        assertThat(fromPosition.fromSequence()).isEqualTo(rollCycle.toSequenceNumber(position)).isPositive();
        assertThat(fromPosition.records()).as("the position's record and those after it only")
            .isEqualTo(whole.records() - fromPosition.fromSequence());
        assertThat(fromPosition.isClean()).isTrue();

        JournalDamage.damage(covered.file(), covered.position() + 4 + 200, 16, new Random(7));
        assertThat(JournalFileScan.scan(covered.file(), rollCycle.defaultIndexCount(), rollCycle.defaultIndexSpacing(),
            CheckpointFileScanTest::ignore).isClean()).as("a whole walk finds the damage").isFalse();

        try (Spool spool = Spool.open(context()))
        {
            assertThat(spool.counters().get(SpoolCounter.FULL_REPLAYS)).as("started from the checkpoint").isZero();
            assertThat(dir.resolve(JournalSalvage.DAMAGED_DIR)).as("the records before the position were not read")
                .doesNotExist();
            assertThat(spool.pendingCount()).isEqualTo(BEFORE + AFTER);
            assertThat(spool.pending(ids.get(5))).as("its head fails its CRC when read back").isNull();
            assertThatThrownBy(() -> spool.readContent(ids.get(5))).isInstanceOf(IOException.class);
            for (int i = 0; i < ids.size(); i++)
            {
                if (i != 5)
                {
                    assertThat(spool.readContent(ids.get(i))).as("message %d", i).isEqualTo(TestMessages.body("m" + i, 3000));
                }
            }
        }
    }

    @Test
    void shouldStillFindDamageAfterTheCheckpointsPositionAndSalvageTheFile() throws Exception
    {
        final List<Long> ids = journalWithATailAfterTheCheckpoint();
        final JournalDamage.Record tail = head(ids.get(BEFORE + 3));
        JournalDamage.damage(tail.file(), tail.position() + 4 + 200, 16, new Random(11));

        try (Spool spool = Spool.open(context()))
        {
            assertThat(dir.resolve(JournalSalvage.DAMAGED_DIR).resolve(tail.file().getFileName())).as("set aside")
                .exists();
            assertThat(spool.counters().get(SpoolCounter.FULL_REPLAYS)).as("only a full replay salvages it").isEqualTo(1);
            assertThat(spool.pendingCount()).as("all but the damaged message").isEqualTo(BEFORE + AFTER - 1);
            assertThat(spool.pending(ids.get(BEFORE + 3))).isNull();
            for (int i = 0; i < ids.size(); i++)
            {
                if (i != BEFORE + 3)
                {
                    assertThat(spool.readContent(ids.get(i))).as("message %d", i).isEqualTo(TestMessages.body("m" + i, 3000));
                }
            }
        }
    }

    private JournalDamage.Record head(final long messageId) throws IOException
    {
        return JournalDamage.records(dir, context()).stream()
            .filter(r -> r.type() == JournalRecordCodec.TYPE_MESSAGE && r.messageId() == messageId).findFirst().orElseThrow();
    }

    private void append(final Spool spool, final List<Long> ids, final int count) throws Exception
    {
        for (int i = 0; i < count; i++)
        {
            final int n = ids.size();
            ids.add(spool.append(TestMessages.envelopeAt(clock.millis(), "r" + n + "@x.test"),
                TestMessages.body("m" + n, 3000)).get().messageId());
        }
    }

    /** The scans here are asked only what they found, not handed the records they walk. */
    private static void ignore(final long position, final org.agrona.ExpandableArrayBuffer buffer, final int offset,
        final int length)
    {
    }
}
