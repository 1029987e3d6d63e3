package io.sluice.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pending-index checkpoint: a start from it (and the journal after it) finds exactly what a full replay finds,
 * envelopes, statuses and bodies alike; a checkpoint that is corrupt, missing or from another journal costs a full
 * replay (counted), never mail; and a checkpoint older than files retention has deleted since does not bring back the
 * messages that finished in them.
 */
class SpoolCheckpointTest
{
    private static final long HOUR_MS = TimeUnit.HOURS.toMillis(1);
    private static final long START_MS = 1_700_000_000_000L / HOUR_MS * HOUR_MS;

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(START_MS);

    private SpoolContext context(final Path directory)
    {
        return new SpoolContext().directory(directory).clock(clock).rollCycle("FAST_HOURLY").blockSizeBytes(1 << 20)
            .chunkBytes(16 << 10).diskReserveBytes(8 << 20).maintenanceIntervalMs(1).checkpointIntervalMs(0);
    }

    private Path home()
    {
        return dir.resolve("spool");
    }

    private Path checkpoint(final Path directory)
    {
        return directory.resolve(IndexCheckpoint.FILE_NAME);
    }

    /** Messages with one, two and five recipients, bodies over several chunk records, and outcomes of every kind. */
    private static void work(final Spool spool, final String round, final List<Long> ids) throws Exception
    {
        for (int i = 0; i < 12; i++)
        {
            final String[] recipients = i % 3 == 0 ? new String[] {"a@x.test"}
                : i % 3 == 1 ? new String[] {"a@x.test", "b@x.test"} : new String[] {"a@x", "b@x", "c@x", "d@x", "e@x"};
            final Envelope envelope = new Envelope("127.0.0." + (i + 1), "tenant" + i % 2, i % 2 == 0 ? "mail" : "bulk",
                "from" + i + "@example.org", List.of(recipients), START_MS + i, i % 4 == 0, i % 5 == 0, i % 6 == 0);
            final long id = spool.append(envelope, TestMessages.body(round + "-" + i, i % 4 == 1 ? 50_000 : 700)).get()
                .messageId();
            ids.add(id);
        }
        for (int n = 0; n < ids.size(); n++)
        {
            final long id = ids.get(n);
            switch (n % 5)
            {
                case 0 -> spool.recordOutcome(id, 0, RecipientStatus.deferred(1, START_MS + n, "451 4.7.1 later " + round))
                    .get();
                case 1 -> spool.recordOutcome(id, JournalRecordCodec.ALL_RECIPIENTS,
                    RecipientStatus.deferred(2, START_MS + 2 * n, "452 4.2.2 full")).get();
                case 2 -> spool.recordOutcome(id, 1, RecipientStatus.failed(1, "550 5.1.1 no such user")).get();
                case 3 -> spool.recordOutcome(id, JournalRecordCodec.ALL_RECIPIENTS, RecipientStatus.delivered(1, "250 ok"))
                    .get();
                default ->
                {
                }
            }
        }
    }

    /** The statuses {@link #work} journaled for its first messages, each read back from the journal. */
    private static void assertStatuses(final Spool spool)
    {
        final List<Long> first = new ArrayList<>();
        spool.forEachPendingId(first::add);
        final PendingMessage one = spool.pending(first.get(0));
        assertThat(one.envelope().recipients()).containsExactly("a@x.test");
        assertThat(one.envelope().smtpUtf8()).isTrue();
        assertThat(one.recipients()).containsExactly(RecipientStatus.deferred(1, START_MS, "451 4.7.1 later first"));
        final PendingMessage two = spool.pending(first.get(1));
        assertThat(two.envelope().lane()).isEqualTo("bulk");
        assertThat(two.recipients()).containsExactly(RecipientStatus.deferred(2, START_MS + 2, "452 4.2.2 full"),
            RecipientStatus.deferred(2, START_MS + 2, "452 4.2.2 full"));
        final PendingMessage five = spool.pending(first.get(2));
        assertThat(five.contentLength()).isEqualTo(700);
        assertThat(five.recipients()).containsExactly(RecipientStatus.NEW, RecipientStatus.failed(1, "550 5.1.1 no such user"),
            RecipientStatus.NEW, RecipientStatus.NEW, RecipientStatus.NEW);
    }

    private static Map<Long, PendingMessage> pending(final Spool spool)
    {
        final Map<Long, PendingMessage> all = new LinkedHashMap<>();
        for (final PendingMessage message : spool.pendingMessages())
        {
            all.put(message.messageId(), message);
        }
        return all;
    }

    private static Map<Long, ByteBuffer> contents(final Spool spool) throws IOException
    {
        final Map<Long, ByteBuffer> all = new LinkedHashMap<>();
        for (final PendingMessage message : spool.pendingMessages())
        {
            all.put(message.messageId(), spool.readContent(message.messageId()));
        }
        return all;
    }

    private void assertRecovers(final Path directory, final Map<Long, PendingMessage> expected,
        final Map<Long, ByteBuffer> bodies, final long fullReplays) throws IOException
    {
        try (Spool spool = Spool.open(context(directory)))
        {
            assertThat(spool.counters().get(SpoolCounter.FULL_REPLAYS)).isEqualTo(fullReplays);
            assertThat(pending(spool)).containsExactlyEntriesOf(expected);
            assertThat(contents(spool)).containsExactlyEntriesOf(bodies);
            final List<Long> newestFirst = new ArrayList<>();
            spool.pendingAfter(Long.MAX_VALUE, true).forEach(m -> newestFirst.add(m.messageId()));
            final List<Long> oldestFirst = new ArrayList<>(expected.keySet());
            Collections.reverse(oldestFirst);
            assertThat(newestFirst).containsExactlyElementsOf(oldestFirst);
        }
    }

    @Test
    void shouldStartFromTheCheckpointAndTheJournalAfterItAsAFullReplayWould() throws Exception
    {
        final List<Long> ids = new ArrayList<>();
        final Map<Long, PendingMessage> told = new java.util.concurrent.ConcurrentHashMap<>();
        final SpoolListener listener = new SpoolListener()
        {
            @Override
            public void onAccepted(final PendingMessage message)
            {
                told.put(message.messageId(), message);
            }

            @Override
            public void onOutcome(final PendingMessage message)
            {
                told.put(message.messageId(), message);
            }
        };
        try (Spool spool = Spool.open(context(home()), listener))
        {
            work(spool, "first", ids);
            assertStatuses(spool);
            for (final long id : ids)
            {
                // The listener was told each change (futures complete after it): its last word is the spool's.
                final PendingMessage pending = spool.pending(id);
                assertThat(pending == null ? told.get(id).isFinished() : pending.equals(told.get(id)))
                    .as("listener and spool agree on %s", QueueIds.format(id)).isTrue();
            }
        }
        assertThat(checkpoint(home())).as("written at the clean stop").exists();
        final Path older = dir.resolve("older.checkpoint");
        Files.copy(checkpoint(home()), older);

        final Map<Long, PendingMessage> expected;
        final Map<Long, ByteBuffer> bodies;
        try (Spool spool = Spool.open(context(home())))
        {
            assertThat(spool.counters().get(SpoolCounter.FULL_REPLAYS)).isZero();
            assertStatuses(spool);
            work(spool, "second", ids);
            // Outcomes for messages the older checkpoint holds, after it: the tail replay must apply them.
            spool.recordOutcome(ids.get(0), 0, RecipientStatus.delivered(2, "250 at last")).get();
            spool.recordOutcome(ids.get(4), 3, RecipientStatus.failed(1, "550 gone")).get();
            expected = pending(spool);
            bodies = contents(spool);
        }
        assertThat(expected).as("some pending with each kind of state").hasSizeGreaterThan(10);

        assertRecovers(home(), expected, bodies, 0);
        // As after a kill -9 long after the last checkpoint: the older one, and every record since replayed.
        Files.copy(older, checkpoint(home()), StandardCopyOption.REPLACE_EXISTING);
        assertRecovers(home(), expected, bodies, 0);
        Files.delete(checkpoint(home()));
        assertRecovers(home(), expected, bodies, 1);
    }

    @Test
    void shouldReplayTheWholeJournalWhenTheCheckpointIsCorrupt() throws Exception
    {
        final Map<Long, PendingMessage> expected;
        final Map<Long, ByteBuffer> bodies;
        try (Spool spool = Spool.open(context(home())))
        {
            work(spool, "only", new ArrayList<>());
            expected = pending(spool);
            bodies = contents(spool);
        }
        final byte[] bytes = Files.readAllBytes(checkpoint(home()));
        bytes[bytes.length / 2] ^= 0x40;
        Files.write(checkpoint(home()), bytes);

        assertRecovers(home(), expected, bodies, 1);
        assertThat(home().resolve(IndexCheckpoint.FILE_NAME + ".corrupt")).as("kept for a post-mortem").exists();
        assertRecovers(home(), expected, bodies, 0);
    }

    @Test
    void shouldRefuseTheCheckpointOfAnotherJournal() throws Exception
    {
        final Path other = dir.resolve("other");
        try (Spool spool = Spool.open(context(other)))
        {
            work(spool, "other", new ArrayList<>());
        }
        // Another appliance, later: its ids and records differ.
        clock.advanceMillis(1000);
        final Path mine = dir.resolve("mine");
        final Map<Long, PendingMessage> expected;
        final Map<Long, ByteBuffer> bodies;
        try (Spool spool = Spool.open(context(mine)))
        {
            work(spool, "mine", new ArrayList<>());
            expected = pending(spool);
            bodies = contents(spool);
        }
        Files.copy(checkpoint(other), checkpoint(mine), StandardCopyOption.REPLACE_EXISTING);
        assertRecovers(mine, expected, bodies, 1);
    }

    @Test
    void shouldNotBringBackMessagesThatFinishedInFilesDeletedSinceTheCheckpoint() throws Exception
    {
        final long finishedId;
        final long deferredId;
        try (Spool spool = Spool.open(context(home())))
        {
            finishedId = spool.append(TestMessages.envelopeAt(clock.millis(), "a@x.test"), TestMessages.body("a", 900))
                .get().messageId();
            deferredId = spool.append(TestMessages.envelopeAt(clock.millis(), "b@x.test"), TestMessages.body("b", 900))
                .get().messageId();
        }
        final Path older = dir.resolve("older.checkpoint");
        Files.copy(checkpoint(home()), older);
        final long newId;
        try (Spool spool = Spool.open(context(home())))
        {
            spool.recordOutcome(finishedId, 0, RecipientStatus.delivered(1, "250 ok")).get();
            spool.recordOutcome(deferredId, 0, RecipientStatus.deferred(1, START_MS + 9 * HOUR_MS, "451 later")).get();
            // Enough finished mail in the first file that retention carries the deferred message out of it.
            for (int i = 0; i < 8; i++)
            {
                final long filler = spool.append(TestMessages.envelopeAt(clock.millis(), "f@x.test"),
                    TestMessages.body("f" + i, 900)).get().messageId();
                spool.recordOutcome(filler, 0, RecipientStatus.delivered(1, "250 ok")).get();
            }
            clock.advanceMillis(HOUR_MS);
            newId = spool.append(TestMessages.envelopeAt(clock.millis(), "c@x.test"), TestMessages.body("c", 900))
                .get().messageId();
            // The deferred message is carried forward, then the first file (and the finishing outcome) goes.
            SpoolAwait.until(() -> spool.counters().get(SpoolCounter.CYCLE_FILES_DELETED) == 1);
        }
        Files.copy(older, checkpoint(home()), StandardCopyOption.REPLACE_EXISTING);
        try (Spool spool = Spool.open(context(home())))
        {
            assertThat(spool.counters().get(SpoolCounter.FULL_REPLAYS)).isZero();
            assertThat(spool.pendingMessages()).extracting(PendingMessage::messageId).containsExactly(deferredId, newId);
            assertThat(spool.pending(deferredId).recipients())
                .containsExactly(RecipientStatus.deferred(1, START_MS + 9 * HOUR_MS, "451 later"));
            assertThat(spool.readContent(deferredId)).isEqualTo(TestMessages.body("b", 900));
        }
    }
}
