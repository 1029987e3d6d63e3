package io.sluice.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A child JVM appends under load and is killed with {@code kill -9} at random moments; after each kill the
 * spool is reopened and every acknowledged message must be there exactly once, with its bytes, and every
 * recipient journaled as delivered must stay delivered.
 */
class SpoolCrashTest
{
    /** At least this many appends acknowledged in a round before its kill: with 5 kills, more than one per kill. */
    private static final int MIN_ACKS_BEFORE_KILL = 10;
    /** About twice the ~230 a round the old 50-700 ms window let through here at load 12, so a round stays short. */
    private static final int MAX_ACKS_BEFORE_KILL = 400;

    @TempDir
    Path dir;

    /** What the child promised about one message. */
    private static final class Promise
    {
        final String tag;
        final int size;
        final Set<Integer> delivered = new HashSet<>();
        final Set<Integer> intended = new HashSet<>();

        Promise(final String tag, final int size)
        {
            this.tag = tag;
            this.size = size;
        }
    }

    @Test
    void shouldKeepEveryAcknowledgedMessageThroughFiveKills() throws Exception
    {
        killRepeatedly(5);
    }

    @Test
    @Tag("long")
    void shouldKeepEveryAcknowledgedMessageThroughFiftyKills() throws Exception
    {
        killRepeatedly(50);
    }

    private void killRepeatedly(final int kills) throws Exception
    {
        final Map<Long, Promise> promises = new HashMap<>();
        long totalAcks = 0;
        for (int round = 0; round < kills; round++)
        {
            try (ChildJvm child = ChildJvm.start(CrashingAppender.class, dir.toString(), "r" + round))
            {
                // The kill moment is counted in durable appends, not in time since the JVM started: on a loaded
                // machine the child may spend seconds opening the spool, and a kill before the first append proves
                // nothing. Anywhere from its first few promises to a few hundred, with appends still in flight.
                final int acksBeforeKill = ThreadLocalRandom.current().nextInt(MIN_ACKS_BEFORE_KILL, MAX_ACKS_BEFORE_KILL);
                SpoolAwait.until(() -> acknowledged(child) >= acksBeforeKill || !child.isAlive(), 120_000);
                assertThat(child.isAlive()).as("child died by itself in round %d: %s", round, tail(child)).isTrue();
                child.kill9();
                totalAcks += record(child, promises);
            }
            verify(promises, round);
        }
        final long finished = promises.values().stream().filter(p -> finished(p.delivered)).count();
        System.out.printf("crash test: %d kills survived, %d acknowledged appends checked, %d finished and never pending again%n",
            kills, totalAcks, finished);
        assertThat(finished).as("some messages were finished before a kill").isPositive();
        assertThat(totalAcks).as("the children acknowledged mail before each kill").isGreaterThan(kills);
    }

    /**
     * Killed after a periodic checkpoint with appends and outcomes past it: the restart loads the checkpoint, replays
     * only the journal after it, and finds every promise kept, as a full replay would.
     */
    @Test
    void shouldKeepEveryAcknowledgedMessageWhenKilledPastACheckpoint() throws Exception
    {
        final Map<Long, Promise> promises = new HashMap<>();
        for (int round = 0; round < 2; round++)
        {
            try (ChildJvm child = ChildJvm.start(CrashingAppender.class, dir.toString(), "k" + round, "200"))
            {
                SpoolAwait.until(() -> acknowledgedAfterCheckpoint(child) >= 50 || !child.isAlive(), 120_000);
                assertThat(child.isAlive()).as("child died by itself in round %d: %s", round, tail(child)).isTrue();
                child.kill9();
                record(child, promises);
            }
            final long[] replay = verify(promises, round);
            assertThat(replay[0]).as("round %d started from the checkpoint, not a full replay", round).isZero();
            assertThat(replay[1]).as("round %d replayed records after the checkpoint", round).isPositive();
        }
    }

    /** @return "A" lines printed after the first "K" line. */
    private static long acknowledgedAfterCheckpoint(final ChildJvm child)
    {
        long acks = 0;
        boolean checkpointed = false;
        for (final String line : child.lines())
        {
            checkpointed |= line.startsWith("K ");
            acks += checkpointed && line.startsWith("A ") ? 1 : 0;
        }
        return acks;
    }

    private static long acknowledged(final ChildJvm child)
    {
        return child.lines().stream().filter(line -> line.startsWith("A ")).count();
    }

    private static List<String> tail(final ChildJvm child)
    {
        final List<String> lines = child.lines();
        return lines.subList(Math.max(0, lines.size() - 20), lines.size());
    }

    private static boolean finished(final Set<Integer> recipients)
    {
        return recipients.contains(-1) || recipients.containsAll(Set.of(0, 1));
    }

    private static long record(final ChildJvm child, final Map<Long, Promise> promises)
    {
        long acks = 0;
        for (final String line : child.lines())
        {
            final String[] parts = line.split(" ");
            if (parts[0].equals("A"))
            {
                acks++;
                assertThat(promises.put(Long.parseLong(parts[1]), new Promise(parts[2], Integer.parseInt(parts[3]))))
                    .as("message id %s acknowledged twice", parts[1]).isNull();
            }
            else if (parts[0].equals("D"))
            {
                promises.get(Long.parseLong(parts[1])).delivered.add(Integer.parseInt(parts[2]));
            }
            else if (parts[0].equals("I"))
            {
                promises.get(Long.parseLong(parts[1])).intended.add(Integer.parseInt(parts[2]));
            }
        }
        return acks;
    }

    /** @return the full replays the reopening counted and the records it replayed. */
    private long[] verify(final Map<Long, Promise> promises, final int round) throws Exception
    {
        try (Spool spool = Spool.open(new SpoolContext().directory(dir).blockSizeBytes(1 << 20).chunkBytes(32 << 10)
            .diskReserveBytes(8 << 20).rollCycle("FAST_HOURLY")))
        {
            final long[] replay = {spool.counters().get(SpoolCounter.FULL_REPLAYS), spool.recoveredRecords()};
            final Set<String> tags = new HashSet<>();
            for (final PendingMessage pending : spool.pendingMessages())
            {
                final String tag = TestMessages.tagOf(spool.readContent(pending.messageId()));
                assertThat(tags.add(tag)).as("round %d: message %s spooled twice", round, tag).isTrue();
            }
            for (final Map.Entry<Long, Promise> entry : promises.entrySet())
            {
                final Promise promise = entry.getValue();
                final PendingMessage pending = spool.pending(entry.getKey());
                if (finished(promise.delivered))
                {
                    assertThat(pending).as("round %d: finished %s is pending again", round, promise.tag).isNull();
                    continue;
                }
                if (pending == null && finished(promise.intended))
                {
                    // The finishing outcome became durable; the kill only beat its "D" line.
                    promise.delivered.addAll(promise.intended);
                    continue;
                }
                assertThat(pending).as("round %d: acknowledged %s lost", round, promise.tag).isNotNull();
                final ByteBuffer content = spool.readContent(entry.getKey());
                assertThat(content).as("round %d: bytes of %s", round, promise.tag)
                    .isEqualTo(TestMessages.body(promise.tag, promise.size));
                for (final int recipient : promise.delivered)
                {
                    assertThat(pending.recipients().get(recipient).disposition())
                        .as("round %d: %s recipient %d was journaled delivered", round, promise.tag, recipient)
                        .isEqualTo(Disposition.DELIVERED);
                }
            }
            return replay;
        }
    }
}
