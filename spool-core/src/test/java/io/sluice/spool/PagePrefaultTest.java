package io.sluice.spool;

import io.sluice.counters.EnumCounters;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The journal's pages mapped ahead of the writer: they take space at once, and change nothing that is read back. */
class PagePrefaultTest
{
    private static final long START_MS = 1_700_000_000_000L / TimeUnit.HOURS.toMillis(1) * TimeUnit.HOURS.toMillis(1);
    private static final int MESSAGES = 100;

    @TempDir
    Path dir;

    @Test
    void shouldMapPagesAheadOfTheWriterAndRecoverEveryMessageWrittenIntoThem() throws Exception
    {
        try (SmallFilesystem fs = SmallFilesystem.mount(dir.resolve("mnt"), 16))
        {
            final SpoolContext context =
                DiskPressureTest.context(fs.path().resolve("spool"), new MutableClock(START_MS)).conclude();
            final List<long[]> written = new ArrayList<>();
            try (Journal journal = new Journal(context))
            {
                final long before = fs.usableBytes();
                written.add(write(journal, 0));
                assertThat(before - fs.usableBytes()).as("the first record's file, and the pages mapped ahead of it")
                    .isGreaterThanOrEqualTo(PagePrefault.STEP_BYTES);
                for (int i = 1; i < MESSAGES; i++)
                {
                    written.add(write(journal, i));
                }
            }
            final PendingIndex index = new PendingIndex();
            try (Journal journal = new Journal(context))
            {
                final JournalRecovery.Report report =
                    new JournalRecovery(journal, index, new EnumCounters<>(SpoolCounter.class, "spool"), false).replay();
                assertThat(report.pendingMessages()).isEqualTo(MESSAGES);
                assertThat(report.corruptRecords()).isZero();
                for (int i = 0; i < MESSAGES; i++)
                {
                    final ByteBuffer content = journal.readContent(i + 1, written.get(i), 4000);
                    assertThat(content).isEqualTo(TestMessages.body("m" + i, 4000));
                }
            }
        }
    }

    private static long[] write(final Journal journal, final int i)
    {
        final Envelope envelope = TestMessages.envelope("r" + i + "@example.com");
        return journal.writeMessage(i + 1, false, envelope, Collections.nCopies(1, RecipientStatus.NEW),
            TestMessages.body("m" + i, 4000), 64 << 10);
    }
}
