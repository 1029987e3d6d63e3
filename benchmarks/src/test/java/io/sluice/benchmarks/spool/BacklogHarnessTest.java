package io.sluice.benchmarks.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;

import io.sluice.spool.ChildJvm;
import io.sluice.spool.SpoolAwait;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18's large case for real: a child JVM with the launcher's {@code -Xmx1g} fills a spool at its defaults with
 * 4 KiB messages, is killed with {@code kill -9} while still appending, and the spool is recovered: every acknowledged
 * message is pending exactly once, and a sample drains through the journal. 20,000 messages in the default suite;
 * 1,000,000 with {@code -Plong}, or any count with {@code -Dsluice.backlog.messages=N} (e.g. 10000000).
 */
class BacklogHarnessTest
{
    private static final int SAMPLE = 1000;

    @TempDir
    Path dir;

    @Test
    void shouldLoseNothingAcknowledgedInASmallBacklogKilledAndRecovered() throws Exception
    {
        fillKillRecover(20_000);
    }

    @Test
    @Tag("long")
    void shouldLoseNothingAcknowledgedInALargeBacklogKilledAndRecovered() throws Exception
    {
        fillKillRecover(Long.getLong("sluice.backlog.messages", 1_000_000));
    }

    private void fillKillRecover(final long count) throws Exception
    {
        final long acked;
        final String filled;
        try (ChildJvm child = ChildJvm.startWithHeap("1g", Backlog.class, "fill", dir.toString(), Long.toString(count)))
        {
            // Generous: a durable fill on a loaded 2-core VM manages a few thousand messages a second at worst.
            SpoolAwait.until(() -> filledLine(child.lines()) != null || !child.isAlive(), 120_000 + count / 2);
            assertThat(child.isAlive()).as("the filler died before %d were acknowledged: %s", count,
                tail(child.lines())).isTrue();
            child.kill9();
            filled = filledLine(child.lines());
            acked = lastAcknowledged(child.lines());
        }
        final Backlog.Report report = Backlog.recover(dir, acked, SAMPLE);
        System.out.printf("backlog of %,d (%s): %s%n", count, filled, report);
        assertThat(acked).as("acknowledged before the kill").isGreaterThanOrEqualTo(count);
        assertThat(report.missing()).as("acknowledged messages lost").isZero();
        assertThat(report.duplicates()).as("messages pending twice").isZero();
        assertThat(report.pending()).as("pending after recovery").isGreaterThanOrEqualTo(acked);
        assertThat(report.picks()).as("timed picks").isPositive();
        assertThat(report.sampleBad()).as("sample messages with wrong content or envelope").isZero();
        assertThat(report.sampleDrained()).as("sample messages drained and gone").isEqualTo(SAMPLE);
        assertThat(report.pendingAfterDrain()).isEqualTo(report.pending() - SAMPLE);
    }

    private static String filledLine(final List<String> lines)
    {
        for (final String line : lines)
        {
            if (line.startsWith("FILLED "))
            {
                return line;
            }
        }
        return null;
    }

    /** @return the highest n of the child's "P n" lines: the first n appends were all acknowledged. */
    private static long lastAcknowledged(final List<String> lines)
    {
        long acked = 0;
        for (final String line : lines)
        {
            if (line.startsWith("P "))
            {
                acked = Math.max(acked, Long.parseLong(line.substring(2)));
            }
        }
        return acked;
    }

    private static List<String> tail(final List<String> lines)
    {
        return lines.subList(Math.max(0, lines.size() - 10), lines.size());
    }
}
