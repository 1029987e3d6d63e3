package io.sluice.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A spool on a real, small filesystem fills to its reserve and must leave disk pressure by itself: once the drain
 * has finished what filled it, new mail is accepted within seconds, with no restart and no clock boundary (the
 * injected clock never reaches the next cycle unless a test moves it). Time from "drained" to "accepting again" is
 * measured and printed, never asserted beyond the "within seconds" the spool promises.
 */
class DiskPressureTest
{
    /** Within seconds: maintenance runs every disk check under pressure; this only bounds a hang. */
    static final long REOPEN_TIMEOUT_MS = 10_000;
    private static final int FS_MIB = 24;
    private static final int BODY_BYTES = 64 << 10;
    private static final long START_MS = 1_700_000_000_000L / TimeUnit.HOURS.toMillis(1) * TimeUnit.HOURS.toMillis(1);

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(START_MS);

    /** Shipped defaults (roll cycle, compaction ratio) except what a 24 MiB filesystem must scale down. */
    static SpoolContext context(final Path spoolDir, final java.time.Clock clock)
    {
        return new SpoolContext().directory(spoolDir).clock(clock).blockSizeBytes(1 << 20).chunkBytes(64 << 10)
            .diskReserveBytes(8 << 20).diskCheckIntervalMs(5);
    }

    @Test
    void shouldAcceptNewMailWithinSecondsOnceTheFullSpoolIsDrainedWithoutRestartOrClock() throws Exception
    {
        try (SmallFilesystem fs = SmallFilesystem.mount(dir.resolve("mnt"), FS_MIB))
        {
            final Path spoolDir = fs.path().resolve("spool");
            final long newId;
            try (Spool spool = Spool.open(context(spoolDir, clock)))
            {
                final List<Long> accepted = fill(spool, "fill");
                assertThat(accepted).as("the filesystem held mail before it filled").hasSizeGreaterThan(100);
                SpoolAwait.until(() -> spool.counters().get(SpoolCounter.DISK_PRESSURE_EPISODES) == 1);
                assertThat(spool.counters().get(SpoolCounter.DISK_PRESSURE_ETA_MS)).as("nothing drained yet").isEqualTo(-1);

                // A tenth drains over one second of the spool's clock: the estimate now has a rate to go on.
                final int tenth = accepted.size() / 10;
                deliver(spool, accepted.subList(0, tenth));
                clock.advanceMillis(1_000);
                SpoolAwait.until(() -> spool.counters().get(SpoolCounter.DISK_PRESSURE_ETA_MS) > 0);
                final long etaMs = spool.counters().get(SpoolCounter.DISK_PRESSURE_ETA_MS);
                assertThat(etaMs).as("about nine more seconds at a tenth per second").isBetween(5_000L, 10_000L);
                assertThat(spool.isAcceptingMessages()).as("a tenth drained frees nothing yet").isFalse();
                assertThat(spool.counters().get(SpoolCounter.DISK_PRESSURE_CURRENT_MS)).isEqualTo(1_000);

                deliver(spool, accepted.subList(tenth, accepted.size()));
                final long drainedNs = System.nanoTime();
                SpoolAwait.until(spool::isAcceptingMessages, REOPEN_TIMEOUT_MS);
                final long reopenMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - drainedNs);
                final AppendResult after =
                    spool.append(TestMessages.envelope("r@x.test"), TestMessages.body("after", BODY_BYTES)).get();
                assertThat(after.status()).as("accepted again, no restart, same clock cycle")
                    .isEqualTo(AppendResult.Status.ACCEPTED);
                newId = after.messageId();

                assertThat(spool.counters().get(SpoolCounter.CYCLES_ROLLED_EARLY)).isEqualTo(1);
                assertThat(spool.counters().get(SpoolCounter.CYCLE_FILES_DELETED)).isEqualTo(1);
                SpoolAwait.until(() -> spool.counters().get(SpoolCounter.DISK_PRESSURE_CURRENT_MS) == 0);
                assertThat(spool.counters().get(SpoolCounter.DISK_PRESSURE_MS)).isEqualTo(1_000);
                assertThat(spool.counters().get(SpoolCounter.DISK_PRESSURE_ETA_MS)).isZero();
                assertThat(spool.counters().get(SpoolCounter.DISK_PRESSURE_EPISODES)).isEqualTo(1);
                assertThat(fs.usableBytes()).as("the drained file's space came back").isGreaterThan(12L << 20);
                System.out.printf("disk pressure: %d messages of %d KiB filled %d MiB; drained to accepting again in %d ms"
                    + " (estimate after a tenth drained: %d ms), %d cycle rolled early, %d file deleted%n",
                    accepted.size(), BODY_BYTES >> 10, FS_MIB, reopenMs, etaMs,
                    spool.counters().get(SpoolCounter.CYCLES_ROLLED_EARLY),
                    spool.counters().get(SpoolCounter.CYCLE_FILES_DELETED));
            }
            try (Spool spool = Spool.open(context(spoolDir, clock)))
            {
                assertThat(spool.pendingMessages()).extracting(PendingMessage::messageId).containsExactly(newId);
                assertThat(spool.readContent(newId)).isEqualTo(TestMessages.body("after", BODY_BYTES));
                assertThat(spool.isAcceptingMessages()).isTrue();
            }
        }
    }

    /** Appends until the disk guard refuses; returns the ids accepted, in order. */
    static List<Long> fill(final Spool spool, final String prefix) throws Exception
    {
        final List<Long> accepted = new ArrayList<>();
        for (int i = 0; i < 10_000; i++)
        {
            final AppendResult result =
                spool.append(TestMessages.envelope("r@x.test"), TestMessages.body(prefix + i, BODY_BYTES)).get();
            if (!result.isAccepted())
            {
                assertThat(result.status()).isEqualTo(AppendResult.Status.REFUSED_DISK_FULL);
                assertThat(spool.isAcceptingMessages()).isFalse();
                return accepted;
            }
            accepted.add(result.messageId());
        }
        throw new AssertionError("the disk guard never refused");
    }

    /** Journals every message as delivered, as the drain would, and waits until each outcome is durable. */
    static void deliver(final Spool spool, final List<Long> ids)
    {
        final List<CompletableFuture<Boolean>> outcomes = new ArrayList<>();
        for (final long id : ids)
        {
            outcomes.add(spool.recordOutcome(id, 0, RecipientStatus.delivered(1, "250 2.0.0 ok")));
        }
        for (final CompletableFuture<Boolean> outcome : outcomes)
        {
            assertThat(outcome.join()).as("an outcome always has room").isTrue();
        }
    }
}
