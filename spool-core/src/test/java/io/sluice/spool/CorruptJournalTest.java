package io.sluice.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Journals damaged outside Sluice: garbage after the last record, a record whose bytes changed, a journal
 * file deleted by hand. Start-up either recovers every acknowledged message with a warning or refuses with
 * an error naming the problem; it never silently drops pending mail.
 */
class CorruptJournalTest
{
    private static final long HOUR_MS = TimeUnit.HOURS.toMillis(1);

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(1_700_000_000_000L / HOUR_MS * HOUR_MS);

    private SpoolContext context()
    {
        return new SpoolContext().directory(dir).clock(clock).blockSizeBytes(1 << 20).chunkBytes(64 << 10)
            .diskReserveBytes(8 << 20).maintenanceIntervalMs(1);
    }

    private List<Long> appendSome(final int count, final String tag) throws Exception
    {
        final List<Long> ids = new ArrayList<>();
        try (Spool spool = Spool.open(context()))
        {
            for (int i = 0; i < count; i++)
            {
                ids.add(spool.append(TestMessages.envelopeAt(clock.millis(), "r@x.test"), TestMessages.body(tag + i, 2000))
                    .get().messageId());
            }
        }
        return ids;
    }

    private List<Path> cycleFiles() throws IOException
    {
        try (Stream<Path> files = Files.list(dir))
        {
            return files.filter(p -> p.toString().endsWith(".cq4")).sorted().toList();
        }
    }

    /** @return the file offset just past the last record that carries {@code tag}'s body. */
    private static long endOf(final Path file, final String tag) throws IOException
    {
        final byte[] data = Files.readAllBytes(file);
        final byte[] body = TestMessages.body(tag, 2000).array();
        for (int i = data.length - body.length; i >= 0; i--)
        {
            if (data[i] == body[0] && java.util.Arrays.equals(data, i, i + body.length, body, 0, body.length))
            {
                return i + body.length;
            }
        }
        throw new AssertionError("record " + tag + " not found in " + file);
    }

    @Test
    void shouldRecoverEveryMessageWhenGarbageFollowsTheLastRecord() throws Exception
    {
        final List<Long> ids = appendSome(20, "g");
        final Path file = cycleFiles().get(0);
        final long end = endOf(file, "g19");
        final byte[] garbage = new byte[256];
        new Random(7).nextBytes(garbage);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"))
        {
            raf.seek(end);
            raf.write(garbage);
        }
        try (Spool spool = Spool.open(context()))
        {
            assertThat(spool.pendingCount()).isEqualTo(20);
            for (int i = 0; i < ids.size(); i++)
            {
                assertThat(TestMessages.tagOf(spool.readContent(ids.get(i)))).isEqualTo("g" + i);
            }
            final long next = spool.append(TestMessages.envelopeAt(clock.millis(), "r@x.test"), TestMessages.body("after", 100))
                .get().messageId();
            assertThat(spool.readContent(next)).isEqualTo(TestMessages.body("after", 100));
        }
        try (Spool spool = Spool.open(context()))
        {
            assertThat(spool.pendingCount()).as("the append after the garbage survives the next restart too").isEqualTo(21);
        }
    }

    @Test
    void shouldSkipARecordWhoseBytesChangedAndCountIt() throws Exception
    {
        final List<Long> ids = appendSome(5, "c");
        final Path file = cycleFiles().get(0);
        final long inside = endOf(file, "c2") - 500;
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"))
        {
            raf.seek(inside);
            raf.write(raf.read() ^ 0x55);
        }
        // Replayed, so checked, only without the clean stop's checkpoint: with it the start walks this one file from the
        // checkpoint's position on, and the altered record is met when read back (CheckpointFileScanTest).
        Files.delete(dir.resolve(IndexCheckpoint.FILE_NAME));
        try (Spool spool = Spool.open(context()))
        {
            assertThat(spool.counters().get(SpoolCounter.CORRUPT_RECORDS_SKIPPED)).isEqualTo(1);
            assertThat(spool.pending(ids.get(2))).as("the altered record is not trusted").isNull();
            assertThat(spool.pendingCount()).isEqualTo(4);
        }
    }

    @Test
    void shouldRefuseToStartWhenAJournalFileWasDeletedByHand() throws Exception
    {
        appendSome(3, "a");
        clock.advanceMillis(HOUR_MS);
        appendSome(3, "b");
        clock.advanceMillis(HOUR_MS);
        final List<Long> last = appendSome(3, "c");
        final List<Path> files = cycleFiles();
        assertThat(files).hasSize(3);
        Files.delete(files.get(1));

        assertThatThrownBy(() -> Spool.open(context()))
            .isInstanceOf(SpoolRecoveryException.class)
            .hasMessageContaining("missing")
            .hasMessageContaining(SpoolContext.ALLOW_MISSING_CYCLES.key() + "=true");

        Files.delete(files.get(0));
        assertThatThrownBy(() -> Spool.open(context())).as("the oldest file deleted by hand, too")
            .isInstanceOf(SpoolRecoveryException.class);

        try (Spool spool = Spool.open(context().allowMissingCycles(true)))
        {
            assertThat(spool.pendingMessages()).extracting(PendingMessage::messageId).containsExactlyElementsOf(last);
        }
    }

    @Test
    void shouldNotMistakeRetentionOrQuietHoursForMissingFiles() throws Exception
    {
        try (Spool spool = Spool.open(context()))
        {
            final long id =
                spool.append(TestMessages.envelopeAt(clock.millis(), "r@x.test"), TestMessages.body("x", 10)).get().messageId();
            spool.recordOutcome(id, 0, RecipientStatus.delivered(1, "250")).get();
            clock.advanceMillis(5 * HOUR_MS);
            spool.append(TestMessages.envelopeAt(clock.millis(), "r@x.test"), TestMessages.body("y", 10)).get();
            SpoolAwait.until(() -> spool.counters().get(SpoolCounter.CYCLE_FILES_DELETED) == 1);
        }
        clock.advanceMillis(HOUR_MS);
        try (Spool spool = Spool.open(context()))
        {
            assertThat(spool.pendingCount()).isEqualTo(1);
        }
    }
}
