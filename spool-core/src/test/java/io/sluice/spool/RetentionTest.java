package io.sluice.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retention on an injected clock that rolls the journal through six hourly files: old files are deleted, a deferred
 * message is carried forward and survives a restart, and disk use follows what is pending (under 3 MiB), not history.
 */
class RetentionTest
{
    private static final long HOUR_MS = TimeUnit.HOURS.toMillis(1);
    private static final long START_MS = 1_700_000_000_000L / HOUR_MS * HOUR_MS;

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(START_MS);

    private SpoolContext context()
    {
        return new SpoolContext().directory(dir).clock(clock).rollCycle("FAST_HOURLY").blockSizeBytes(1 << 20)
            .chunkBytes(64 << 10).diskReserveBytes(8 << 20).maintenanceIntervalMs(1);
    }

    @Test
    void shouldDeleteOldCyclesAndCarryADeferredMessageForwardAcrossSeveralRolls() throws Exception
    {
        final int cycles = 6;
        final long deferredId;
        try (Spool spool = Spool.open(context()))
        {
            deferredId = spool.append(
                    TestMessages.envelopeAt(clock.millis(), "slow@x.test"), TestMessages.body("deferred", 20_000))
                .get().messageId();
            spool.recordOutcome(
                deferredId, 0, RecipientStatus.deferred(1, START_MS + 5 * 24 * HOUR_MS, "451 4.3.0 try later")).get();
            for (int cycle = 0; cycle < cycles; cycle++)
            {
                deliverBatch(spool, 40, "c" + cycle);
                clock.advanceMillis(HOUR_MS);
            }
            // One more write puts the journal in a new cycle, so every earlier one is closed.
            deliverBatch(spool, 1, "last");

            // The counter moves just after the file goes: wait for both, not for the file alone.
            SpoolAwait.until(() -> cycleFiles().size() == 1 && spool.counters().get(SpoolCounter.CYCLE_FILES_DELETED) == cycles);
            assertThat(spool.counters().get(SpoolCounter.MESSAGES_CARRIED_FORWARD))
                .as("carried once per roll, not left pinning the oldest file").isBetween(1L, (long)cycles);
            assertThat(spool.pendingMessages()).extracting(PendingMessage::messageId).containsExactly(deferredId);
            assertThat(directoryBytes()).as("disk use follows what is pending, not history").isLessThan(3L << 20);
        }
        try (Spool spool = Spool.open(context()))
        {
            final PendingMessage deferred = spool.pending(deferredId);
            assertThat(deferred.recipients()).containsExactly(
                RecipientStatus.deferred(1, START_MS + 5 * 24 * HOUR_MS, "451 4.3.0 try later"));
            assertThat(spool.readContent(deferredId)).isEqualTo(TestMessages.body("deferred", 20_000));
            assertThat(spool.pendingCount()).isEqualTo(1);
        }
    }

    @Test
    void shouldKeepACycleWhoseMessagesAreMostlyPendingUntilTheyDrain() throws Exception
    {
        try (Spool spool = Spool.open(context()))
        {
            final List<Long> backlog = new ArrayList<>();
            for (int i = 0; i < 20; i++)
            {
                backlog.add(spool.append(TestMessages.envelopeAt(clock.millis(), "r@x.test"), TestMessages.body("b" + i, 10_000))
                    .get().messageId());
            }
            clock.advanceMillis(HOUR_MS);
            deliverBatch(spool, 1, "next");
            awaitRetentionPass(spool, START_MS);
            assertThat(cycleFiles()).as("a file that is mostly pending is not copied").hasSize(2);
            assertThat(spool.counters().get(SpoolCounter.MESSAGES_CARRIED_FORWARD)).isZero();

            for (final long id : backlog)
            {
                spool.recordOutcome(id, 0, RecipientStatus.delivered(1, "250 ok")).get();
            }
            SpoolAwait.until(() -> cycleFiles().size() == 1);
            assertThat(spool.counters().get(SpoolCounter.MESSAGES_CARRIED_FORWARD))
                .as("at most the last quarter (compactionLiveRatio) is copied while the backlog drains")
                .isLessThanOrEqualTo(5);
        }
    }

    /**
     * The last quarter of a big file is copied forward in slices between the writer's batches, not in one go that holds
     * every outcome behind it: with a maintenance interval of an hour only the first slice is due while the test runs,
     * and it copies at most 256 messages; the rest follow slice by slice (an interval of 1 ms), and nothing is lost.
     */
    @Test
    void shouldCarryALargeRemainderForwardInSlices() throws Exception
    {
        final List<Long> pending = new ArrayList<>();
        try (Spool spool = Spool.open(context().maintenanceIntervalMs(TimeUnit.HOURS.toMillis(1))))
        {
            for (int i = 0; i < 1200; i++)
            {
                final long id = spool.append(TestMessages.envelopeAt(clock.millis(), "r@x.test"), TestMessages.body("m" + i, 900))
                    .get().messageId();
                if (i % 4 == 0)
                {
                    pending.add(id);
                }
                else
                {
                    spool.recordOutcome(id, 0, RecipientStatus.delivered(1, "250 ok")).get();
                }
            }
            clock.advanceMillis(HOUR_MS);
            deliverBatch(spool, 1, "next");
        }
        try (Spool spool = Spool.open(context().maintenanceIntervalMs(TimeUnit.HOURS.toMillis(1))))
        {
            // The first maintenance runs at once after a start; the next slice is due a sixteenth of an hour later.
            SpoolAwait.until(() -> spool.counters().get(SpoolCounter.MESSAGES_CARRIED_FORWARD) > 0);
            assertThat(spool.counters().get(SpoolCounter.MESSAGES_CARRIED_FORWARD)).as("one slice").isBetween(1L, 256L);
            assertThat(cycleFiles()).as("the file stays until every pending message in it is copied").hasSize(2);
            assertThat(spool.pendingCount()).isEqualTo(pending.size());
        }
        try (Spool spool = Spool.open(context()))
        {
            SpoolAwait.until(() -> cycleFiles().size() == 1);
            assertThat(spool.pendingCount()).isEqualTo(pending.size());
            for (int i = 0; i < pending.size(); i++)
            {
                assertThat(spool.readContent(pending.get(i))).isEqualTo(TestMessages.body("m" + 4 * i, 900));
            }
        }
    }

    /**
     * Waits until retention has run at least once on the spool as it is now, so that "nothing was carried" is a verdict
     * and not a race. Each maintenance pass updates the gauges from the injected clock, then runs retention: once a pass
     * has shown a clock moved after the last write, and a later pass a clock moved again, the first pass's retention
     * has finished.
     */
    private void awaitRetentionPass(final Spool spool, final long oldestPendingReceivedMs)
    {
        for (int pass = 0; pass < 2; pass++)
        {
            clock.advanceMillis(1);
            final long age = clock.millis() - oldestPendingReceivedMs;
            SpoolAwait.until(() -> spool.counters().get(SpoolCounter.OLDEST_PENDING_AGE_MS) == age);
        }
    }

    private void deliverBatch(final Spool spool, final int count, final String tag) throws Exception
    {
        for (int i = 0; i < count; i++)
        {
            final long id = spool.append(
                    TestMessages.envelopeAt(clock.millis(), "r@x.test"), TestMessages.body(tag + "-" + i, 10_000))
                .get().messageId();
            spool.recordOutcome(id, 0, RecipientStatus.delivered(1, "250 ok")).get();
        }
    }

    private List<Path> cycleFiles()
    {
        try (Stream<Path> files = Files.list(dir))
        {
            return files.filter(p -> p.getFileName().toString().endsWith(".cq4")).toList();
        }
        catch (final IOException ex)
        {
            throw new AssertionError(ex);
        }
    }

    private long directoryBytes() throws IOException
    {
        // Allocated blocks, not apparent size: Chronicle's files are sparse.
        final Process du = new ProcessBuilder("du", "-sk", dir.toString()).start();
        final String out = new String(du.getInputStream().readAllBytes()).trim();
        try
        {
            du.waitFor();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        return Long.parseLong(out.split("\\s+")[0]) * 1024;
    }
}
