package io.sluice.spool;

import io.sluice.counters.EnumCounters;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An early roll: a new journal file without waiting for the clock, that recovery and later writes respect. */
class JournalRollTest
{
    private static final long START_MS = 1_700_000_000_000L / TimeUnit.HOURS.toMillis(1) * TimeUnit.HOURS.toMillis(1);

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(START_MS);

    @Test
    void shouldStartTheNextFileNowAndCostNoMoreThanTheReserveAllowsForIt() throws Exception
    {
        try (SmallFilesystem fs = SmallFilesystem.mount(dir.resolve("mnt"), 16))
        {
            final SpoolContext context = DiskPressureTest.context(fs.path().resolve("spool"), clock).conclude();
            final int first;
            final int second;
            try (Journal journal = new Journal(context))
            {
                journal.writeOutcome(1, 0, RecipientStatus.delivered(1, "250 ok"));
                first = journal.lastWrittenCycle();
                final long before = fs.usableBytes();
                second = journal.roll();
                final long cost = before - fs.usableBytes();
                System.out.printf("early roll: a new %s file took %d KiB of tmpfs (allowed for: %d KiB)%n",
                    context.rollCycle(), cost >> 10, SpaceReclaimer.ROLL_COST_BYTES >> 10);
                assertThat(second).isEqualTo(first + 1);
                assertThat(journal.currentCycle()).as("the clock has not moved; the journal has").isEqualTo(second);
                assertThat(cost).isLessThanOrEqualTo(SpaceReclaimer.ROLL_COST_BYTES);
                assertThat(journal.cyclesOnDisk()).containsExactly((long)first, (long)second);
            }
            try (Journal journal = new Journal(context))
            {
                assertThat(journal.currentCycle()).as("reopened, it never writes behind the newest file").isEqualTo(second);
                final long index = journal.writeOutcome(1, 0, RecipientStatus.delivered(1, "250 ok"));
                assertThat(journal.cycleOf(index)).isEqualTo(second);
            }
            final EnumCounters<SpoolCounter> counters = new EnumCounters<>(SpoolCounter.class, "spool");
            try (Journal journal = new Journal(context))
            {
                new JournalRecovery(journal, new PendingIndex(), counters, false).replay();
            }
            assertThat(counters.get(SpoolCounter.CORRUPT_RECORDS_SKIPPED)).as("the marker chain is whole").isZero();
        }
    }
}
