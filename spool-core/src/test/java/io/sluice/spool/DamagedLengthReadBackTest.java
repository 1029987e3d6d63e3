package io.sluice.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A record whose Chronicle header claims a damaged length, in a journal file the checkpoint covers (so not checked at
 * start), read back as the drain reads a message to dispatch it: an unreadable pending message (logged, counted in
 * {@link SpoolCounter#PENDING_UNREADABLE}, still pending), not a buffer sized from the claim. The reads run in a child
 * JVM with a 64 MiB heap, where a buffer of the claimed size would end it with OutOfMemoryError.
 */
class DamagedLengthReadBackTest
{
    private static final long HOUR_MS = TimeUnit.HOURS.toMillis(1);
    private static final int PER_HOUR = 20;
    private static final int BODY_BYTES = 3000;
    /** Chronicle's 30 length bits, nearly all set: about 1 GiB, past {@link Journal#MAX_RECORD_BYTES}. */
    private static final int PAST_THE_BOUND = 0x3FFF_FFF0;
    /** Under the bound, yet three times the child's heap: only the record's own header can tell it is damaged. */
    private static final int UNDER_THE_BOUND = 200 << 20;
    private static final int OVER = 5;
    /**
     * In the second of three files: Chronicle finds a record by its index by walking from the nearest indexed one, and a
     * walk over the first damaged header would miss the second before its own header was read.
     */
    private static final int UNDER = PER_HOUR + 5;
    private static final int FILES = 3;
    /**
     * More than FAST_HOURLY's index spacing (256): the start finds the position's record by walking from the indexed
     * record before it, and damage on that walk is found at start (the whole file is checked), not met on read-back.
     */
    private static final int BEFORE_THE_POSITION = 300;

    @TempDir
    Path dir;

    private static SpoolContext context(final Path dir, final MutableClock clock)
    {
        return new SpoolContext().directory(dir).clock(clock).rollCycle("FAST_HOURLY").blockSizeBytes(1 << 20)
            .chunkBytes(16 << 10).diskReserveBytes(8 << 20).checkpointIntervalMs(0);
    }

    @Test
    void shouldReadADamagedRecordLengthBackAsAnUnreadableMessageNotAnOutOfMemoryError() throws Exception
    {
        final MutableClock clock = new MutableClock(1_700_000_000_000L / HOUR_MS * HOUR_MS + 60_000);
        final List<Long> ids = new ArrayList<>();
        try (Spool spool = Spool.open(context(dir, clock)))
        {
            for (int file = 0; file < FILES; file++)
            {
                clock.advanceMillis(file == 0 ? 0 : HOUR_MS);
                append(spool, ids, clock);
            }
        }
        final List<JournalDamage.Record> records = JournalDamage.records(dir, context(dir, clock));
        final Path lastFile = records.get(records.size() - 1).file();
        final JournalDamage.Record over = head(records, ids.get(OVER));
        final JournalDamage.Record under = head(records, ids.get(UNDER));
        assertThat(List.of(over.file(), under.file())).as("in two files the checkpoint covers").doesNotHaveDuplicates()
            .doesNotContain(lastFile);
        assertThat(JournalDamage.intAt(over.file(), over.position())).as("Chronicle's header: the length alone")
            .isEqualTo(over.length());
        final long overIndex = JournalDamage.headIndex(dir, context(dir, clock), ids.get(OVER));
        JournalDamage.putIntAt(over.file(), over.position(), PAST_THE_BOUND);
        JournalDamage.putIntAt(under.file(), under.position(), UNDER_THE_BOUND);

        final List<String> lines = readBack(clock, ids, OVER + "," + UNDER);
        assertThat(lines).contains(
            "full replays 0",
            "salvaged false",
            "pending " + FILES * PER_HOUR,
            "snapshot " + OVER + " null",
            "snapshot " + UNDER + " null",
            "unreadable 2",
            "read back " + (FILES * PER_HOUR - 2) + " of " + (FILES * PER_HOUR - 2),
            "appended read back true",
            "pending after " + (FILES * PER_HOUR + 1));
        assertThat(lines).anySatisfy(line -> assertThat(line).startsWith("content " + OVER + " IOException")
            .contains("index " + Long.toHexString(overIndex))
            .contains("claims " + PAST_THE_BOUND + " bytes").contains("the " + Journal.MAX_RECORD_BYTES + " any"));
        assertThat(lines).anySatisfy(line -> assertThat(line).startsWith("content " + UNDER + " IOException")
            .contains("claims " + UNDER_THE_BOUND + " bytes, its own header says " + under.length()));
    }

    /**
     * The same damage before the checkpoint's position in its own file, which a start from the checkpoint walks only from
     * the indexed record before the position on: it too is met when read back, as in a file the checkpoint covers whole.
     */
    @Test
    void shouldReadADamagedRecordLengthBeforeTheCheckpointsPositionInItsOwnFileBackAsUnreadable() throws Exception
    {
        final MutableClock clock = new MutableClock(1_700_000_000_000L / HOUR_MS * HOUR_MS + 60_000);
        final List<Long> ids = new ArrayList<>();
        try (Spool spool = Spool.open(context(dir, clock)))
        {
            append(spool, ids, clock, BEFORE_THE_POSITION);
        }
        // A later stretch after the checkpoint, in the same file, whose own clean stop's checkpoint is replaced by the
        // earlier one (as a crash after a periodic checkpoint leaves it): the position lies inside the file.
        final Path checkpoint = dir.resolve(IndexCheckpoint.FILE_NAME);
        final byte[] covering = Files.readAllBytes(checkpoint);
        try (Spool spool = Spool.open(context(dir, clock)))
        {
            append(spool, ids, clock, PER_HOUR);
        }
        Files.write(checkpoint, covering);
        final List<JournalDamage.Record> records = JournalDamage.records(dir, context(dir, clock));
        assertThat(records.stream().map(JournalDamage.Record::file).distinct()).as("one journal file").hasSize(1);
        final JournalDamage.Record over = head(records, ids.get(OVER));
        final long overIndex = JournalDamage.headIndex(dir, context(dir, clock), ids.get(OVER));
        final long position = IndexCheckpoint.coveredPosition(checkpoint);
        final int spacing = context(dir, clock).conclude().rollCycle().defaultIndexSpacing();
        assertThat(overIndex).as("before the indexed record the start walks from to the position")
            .isLessThan(position / spacing * spacing);
        JournalDamage.putIntAt(over.file(), over.position(), PAST_THE_BOUND);

        final List<String> lines = readBack(clock, ids, Integer.toString(OVER));
        assertThat(lines).contains(
            "full replays 0",
            "salvaged false",
            "pending " + (BEFORE_THE_POSITION + PER_HOUR),
            "snapshot " + OVER + " null",
            "unreadable 1",
            "read back " + ((BEFORE_THE_POSITION + PER_HOUR) - 1) + " of " + ((BEFORE_THE_POSITION + PER_HOUR) - 1),
            "appended read back true",
            "pending after " + ((BEFORE_THE_POSITION + PER_HOUR) + 1));
        assertThat(lines).anySatisfy(line -> assertThat(line).startsWith("content " + OVER + " IOException")
            .contains("index " + Long.toHexString(overIndex)).contains("claims " + PAST_THE_BOUND + " bytes"));
    }

    /** @return what the child reported, having started the spool and read every message back in a 64 MiB heap. */
    private List<String> readBack(final MutableClock clock, final List<Long> ids, final String damaged) throws Exception
    {
        final List<String> args = new ArrayList<>(List.of(dir.toString(), Long.toString(clock.millis()), damaged));
        ids.forEach(id -> args.add(Long.toString(id)));
        try (ChildJvm child = ChildJvm.startWithHeap("64m", ReadBack.class, args.toArray(String[]::new)))
        {
            final int exit = child.waitFor(120_000);
            final List<String> lines = child.lines();
            assertThat(exit).as("the child's report: %s", lines).isZero();
            return lines;
        }
    }

    private static JournalDamage.Record head(final List<JournalDamage.Record> records, final long id)
    {
        return records.stream().filter(r -> r.type() == JournalRecordCodec.TYPE_MESSAGE && r.messageId() == id)
            .findFirst().orElseThrow();
    }

    private static void append(final Spool spool, final List<Long> ids, final MutableClock clock) throws Exception
    {
        append(spool, ids, clock, PER_HOUR);
    }

    private static void append(final Spool spool, final List<Long> ids, final MutableClock clock, final int count)
        throws Exception
    {
        for (int i = 0; i < count; i++)
        {
            final int n = ids.size();
            ids.add(spool.append(TestMessages.envelopeAt(clock.millis(), "r" + n + "@x.test"),
                TestMessages.body("m" + n, BODY_BYTES)).get().messageId());
        }
    }

    /**
     * The child: starts the spool from its checkpoint and reads every message back as the drain does (its snapshot,
     * then its body), then appends one more, printing what it met. Arguments: directory, clock millis, the damaged
     * messages' positions in the list (comma-separated), then the ids.
     */
    public static final class ReadBack
    {
        private ReadBack()
        {
        }

        public static void main(final String[] args) throws Exception
        {
            final MutableClock clock = new MutableClock(Long.parseLong(args[1]));
            final java.util.Set<Integer> damaged = new java.util.HashSet<>();
            for (final String n : args[2].split(","))
            {
                damaged.add(Integer.parseInt(n));
            }
            try (Spool spool = Spool.open(context(Path.of(args[0]), clock)))
            {
                System.out.println("full replays " + spool.counters().get(SpoolCounter.FULL_REPLAYS));
                System.out.println("salvaged " + java.nio.file.Files.exists(Path.of(args[0], JournalSalvage.DAMAGED_DIR)));
                System.out.println("pending " + spool.pendingCount());
                int good = 0;
                int read = 0;
                for (int n = 0; n + 3 < args.length; n++)
                {
                    final long id = Long.parseLong(args[n + 3]);
                    final PendingMessage snapshot = spool.pending(id);
                    if (damaged.contains(n))
                    {
                        System.out.println("snapshot " + n + " " + snapshot);
                        try
                        {
                            System.out.println("content " + n + " read " + spool.readContent(id));
                        }
                        catch (final IOException ex)
                        {
                            System.out.println("content " + n + " IOException " + ex.getMessage());
                        }
                        continue;
                    }
                    good++;
                    final ByteBuffer content = spool.readContent(id);
                    if (snapshot != null && TestMessages.body("m" + n, BODY_BYTES).equals(content))
                    {
                        read++;
                    }
                }
                System.out.println("unreadable " + spool.counters().get(SpoolCounter.PENDING_UNREADABLE));
                final long appended = spool.append(TestMessages.envelopeAt(clock.millis(), "after@x.test"),
                    TestMessages.body("after", BODY_BYTES)).get().messageId();
                System.out.println("appended read back "
                    + TestMessages.body("after", BODY_BYTES).equals(spool.readContent(appended)));
                System.out.println("read back " + read + " of " + good);
                System.out.println("pending after " + spool.pendingCount());
            }
        }
    }
}
