package io.sluice.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

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
    static final int BODY_BYTES = 64 << 10;
    /** Messages the drain keeps back while mail is accepted, so a backlog drains under pressure. */
    private static final int BACKLOG = 100;
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

    @Test
    void shouldAlternateUnderAContinuingFloodWhileABacklogDrainsAndNeverWedge() throws Exception
    {
        try (SmallFilesystem fs = SmallFilesystem.mount(dir.resolve("mnt"), FS_MIB))
        {
            final Path spoolDir = fs.path().resolve("spool");
            final int target = 3 * (FS_MIB << 20) / BODY_BYTES;
            try (Spool spool = Spool.open(context(spoolDir, clock)))
            {
                final LinkedBlockingQueue<Long> backlog = new LinkedBlockingQueue<>();
                final AtomicBoolean flooding = new AtomicBoolean(true);
                final AtomicLong delivered = new AtomicLong();
                final AtomicReference<Throwable> drainFailure = new AtomicReference<>();
                // The drain keeps a backlog while mail is accepted and drains freely under pressure, as a drain slower
                // than the flood does; every outcome must find room.
                final Thread drain = new Thread(() -> drain(spool, backlog, flooding, delivered, drainFailure), "test-drain");
                drain.start();
                int accepted = 0;
                int refusals = 0;
                long longestRefusalMs = 0;
                while (accepted < target)
                {
                    final AppendResult result =
                        spool.append(TestMessages.envelope("r@x.test"), TestMessages.body("flood" + accepted, BODY_BYTES)).get();
                    if (result.isAccepted())
                    {
                        backlog.add(result.messageId());
                        accepted++;
                        continue;
                    }
                    assertThat(result.status()).isEqualTo(AppendResult.Status.REFUSED_DISK_FULL);
                    refusals++;
                    // A sender told 452 comes back later: here, as soon as the spool says it takes mail again.
                    final long refusedNs = System.nanoTime();
                    SpoolAwait.until(spool::isAcceptingMessages, REOPEN_TIMEOUT_MS);
                    longestRefusalMs = Math.max(longestRefusalMs, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - refusedNs));
                }
                flooding.set(false);
                drain.join(60_000);
                assertThat(drainFailure.get()).as("every outcome found room").isNull();
                assertThat(delivered.get()).isEqualTo(accepted);
                final long drainedNs = System.nanoTime();
                SpoolAwait.until(spool::isAcceptingMessages, REOPEN_TIMEOUT_MS);
                final long reopenMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - drainedNs);
                assertThat(spool.append(TestMessages.envelope("r@x.test"), TestMessages.body("after", BODY_BYTES)).get().status())
                    .isEqualTo(AppendResult.Status.ACCEPTED);
                final long episodes = spool.counters().get(SpoolCounter.DISK_PRESSURE_EPISODES);
                assertThat(refusals).as("three filesystems' worth through one: it filled and reopened more than once")
                    .isGreaterThanOrEqualTo(2);
                assertThat(episodes).as("each refusal began an episode that ended").isGreaterThanOrEqualTo(refusals);
                assertThat(spool.counters().get(SpoolCounter.MESSAGES_CARRIED_FORWARD)).as("the backlog was carried forward")
                    .isPositive();
                assertThat(spool.counters().get(SpoolCounter.JOURNAL_IO_FAILURES)).isZero();
                System.out.printf("disk pressure under a flood: %d messages of %d KiB through a %d MiB filesystem, %d refusals,"
                    + " %d episodes, longest refusal %d ms, %d early rolls, %d carried forward; drained to accepting in %d ms%n",
                    accepted, BODY_BYTES >> 10, FS_MIB, refusals, episodes, longestRefusalMs,
                    spool.counters().get(SpoolCounter.CYCLES_ROLLED_EARLY),
                    spool.counters().get(SpoolCounter.MESSAGES_CARRIED_FORWARD), reopenMs);
            }
            try (Spool spool = Spool.open(context(spoolDir, clock)))
            {
                assertThat(spool.pendingCount()).as("only the last message is pending").isEqualTo(1);
            }
        }
    }

    private static void drain(final Spool spool, final LinkedBlockingQueue<Long> backlog, final AtomicBoolean flooding,
        final AtomicLong delivered, final AtomicReference<Throwable> failure)
    {
        try
        {
            while (flooding.get() || !backlog.isEmpty())
            {
                // Under pressure the drain leaves the newest message pending, as a real drain still busy with it
                // would: the early roll must then carry it forward. Draining everything first (which a fast drain
                // thread on a loaded machine did) left the carry-forward path untested and the count at zero.
                final boolean keepNewest = flooding.get() && !spool.isAcceptingMessages() && backlog.size() <= 1;
                if (keepNewest || flooding.get() && spool.isAcceptingMessages() && backlog.size() <= BACKLOG)
                {
                    Thread.onSpinWait();
                    continue;
                }
                final Long id = backlog.poll(10, TimeUnit.MILLISECONDS);
                if (id != null)
                {
                    assertThat(spool.recordOutcome(id, 0, RecipientStatus.delivered(1, "250 2.0.0 ok")).join()).isTrue();
                    delivered.incrementAndGet();
                }
            }
        }
        catch (final Throwable ex)
        {
            failure.set(ex);
        }
    }

    @Test
    void shouldAcceptAgainWithinSecondsAfterAKillAtTheFullPointAndADrain() throws Exception
    {
        try (SmallFilesystem fs = SmallFilesystem.mount(dir.resolve("mnt"), FS_MIB))
        {
            final Path spoolDir = fs.path().resolve("spool");
            final List<Long> acknowledged = new ArrayList<>();
            try (ChildJvm child = ChildJvm.start(DiskFiller.class, spoolDir.toString()))
            {
                SpoolAwait.until(() -> child.lines().stream().anyMatch(l -> l.startsWith("FULL")) || !child.isAlive(), 60_000);
                assertThat(child.isAlive()).as("the child filled the disk and waits, alive").isTrue();
                child.kill9();
                for (final String line : child.lines())
                {
                    if (line.startsWith("A "))
                    {
                        acknowledged.add(Long.parseLong(line.substring(2)));
                    }
                    else if (line.startsWith("FULL"))
                    {
                        assertThat(line).isEqualTo("FULL REFUSED_DISK_FULL");
                    }
                }
            }
            try (Spool spool = Spool.open(context(spoolDir, java.time.Clock.systemUTC())))
            {
                assertThat(spool.pendingMessages()).extracting(PendingMessage::messageId).containsExactlyElementsOf(acknowledged);
                assertThat(spool.append(TestMessages.envelope("r@x.test"), TestMessages.body("still", BODY_BYTES)).get().status())
                    .as("restarted, still full: a restart alone frees nothing").isEqualTo(AppendResult.Status.REFUSED_DISK_FULL);
                deliver(spool, acknowledged);
                final long drainedNs = System.nanoTime();
                SpoolAwait.until(spool::isAcceptingMessages, REOPEN_TIMEOUT_MS);
                final long reopenMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - drainedNs);
                assertThat(spool.append(TestMessages.envelope("r@x.test"), TestMessages.body("after", BODY_BYTES)).get().status())
                    .isEqualTo(AppendResult.Status.ACCEPTED);
                System.out.printf("disk pressure after kill -9 at the full point: %d acknowledged messages recovered, drained to"
                    + " accepting in %d ms%n", acknowledged.size(), reopenMs);
            }
            try (Spool spool = Spool.open(context(spoolDir, java.time.Clock.systemUTC())))
            {
                assertThat(spool.pendingCount()).isEqualTo(1);
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
