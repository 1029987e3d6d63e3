package io.sluice.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

import io.sluice.config.AtomicFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checkpoint is copied while the journal writer goes on, so its entries may already reflect records after the
 * position it names: recovery replays those records again over them, and must still find exactly what a full replay
 * finds. Shown at the extreme (every entry as the journal left it, the position and per-file byte counts from long
 * before) and live (checkpoints copied on their own thread while appends and outcomes run, one of them kept as a
 * kill -9 would leave it).
 */
class ConcurrentCheckpointTest
{
    @TempDir
    Path dir;

    private SpoolContext context(final long checkpointIntervalMs)
    {
        return new SpoolContext().directory(dir.resolve("spool")).blockSizeBytes(1 << 20).chunkBytes(16 << 10)
            .diskReserveBytes(8 << 20).maintenanceIntervalMs(1).checkpointIntervalMs(checkpointIntervalMs);
    }

    private Path checkpoint()
    {
        return dir.resolve("spool").resolve(IndexCheckpoint.FILE_NAME);
    }

    @Test
    void shouldRecoverFromEntriesNewerThanTheCheckpointPosition() throws Exception
    {
        final List<Long> ids = new ArrayList<>();
        try (Spool spool = Spool.open(context(0)))
        {
            work(spool, 0, 40, ids);
        }
        final PendingIndex atFirst = new PendingIndex();
        final IndexCheckpoint.Loaded first = IndexCheckpoint.load(checkpoint(), atFirst);
        final IndexCheckpoint.Header header = IndexCheckpoint.Header.of(atFirst, first.position(), first.positionCrc(),
            first.maxMessageId());
        final Map<Long, PendingMessage> expected;
        final Map<Long, ByteBuffer> bodies;
        try (Spool spool = Spool.open(context(0)))
        {
            // Outcomes for messages of the first round (some finish them), and a second round with its own outcomes.
            for (int n = 0; n < ids.size(); n += 3)
            {
                spool.recordOutcome(ids.get(n), JournalRecordCodec.ALL_RECIPIENTS, RecipientStatus.delivered(1, "250 ok"))
                    .get();
            }
            work(spool, 1, 40, ids);
            expected = pending(spool);
            bodies = contents(spool);
        }
        final PendingIndex atLast = new PendingIndex();
        IndexCheckpoint.load(checkpoint(), atLast);
        // What a copy that started at the first position and ran past everything since would have written.
        final Path temporary = AtomicFiles.temporarySibling(checkpoint());
        IndexCheckpoint.writeTemporary(temporary, atLast, header);
        AtomicFiles.moveIntoPlace(temporary, checkpoint());

        assertRecovers(expected, bodies, 0);
        Files.delete(checkpoint());
        assertRecovers(expected, bodies, 1);
    }

    @Test
    void shouldRecoverFromACheckpointCopiedWhileAppendsAndOutcomesRan() throws Exception
    {
        final Path kept = dir.resolve("kept.checkpoint");
        final Map<Long, PendingMessage> expected;
        final Map<Long, ByteBuffer> bodies;
        try (Spool spool = Spool.open(context(1)))
        {
            final AtomicBoolean running = new AtomicBoolean(true);
            final CompletableFuture<Void> producer = CompletableFuture.runAsync(() ->
            {
                final List<Long> ids = new ArrayList<>();
                for (int round = 0; running.get() || round < 3; round++)
                {
                    work(spool, round, 200, ids);
                }
            });
            final long before = spool.counters().get(SpoolCounter.INDEX_CHECKPOINTS);
            SpoolAwait.until(() -> spool.counters().get(SpoolCounter.INDEX_CHECKPOINTS) >= before + 3 || producer.isDone());
            // As a kill -9 would find it: the last checkpoint written while the producer ran, the journal after it.
            Files.copy(checkpoint(), kept, StandardCopyOption.REPLACE_EXISTING);
            SpoolAwait.until(() -> spool.counters().get(SpoolCounter.INDEX_CHECKPOINTS) >= before + 6 || producer.isDone());
            running.set(false);
            producer.get();
            assertThat(spool.counters().get(SpoolCounter.INDEX_CHECKPOINT_FAILURES)).isZero();
            assertThat(spool.counters().get(SpoolCounter.INDEX_CHECKPOINTS)).as("checkpoints while it ran")
                .isGreaterThanOrEqualTo(before + 6);
            expected = pending(spool);
            bodies = contents(spool);
        }
        Files.copy(kept, checkpoint(), StandardCopyOption.REPLACE_EXISTING);
        assertRecovers(expected, bodies, 0);
    }

    /** Messages with one, two and five recipients and outcomes of every kind, some finishing them. */
    private static void work(final Spool spool, final int round, final int messages, final List<Long> ids)
    {
        final List<CompletableFuture<AppendResult>> appends = new ArrayList<>();
        for (int i = 0; i < messages; i++)
        {
            final String[] recipients = i % 3 == 0 ? new String[] {"a@x.test"}
                : i % 3 == 1 ? new String[] {"a@x.test", "b@x.test"} : new String[] {"a@x", "b@x", "c@x", "d@x", "e@x"};
            appends.add(spool.append(TestMessages.envelopeAt(1_000L * round + i, recipients),
                TestMessages.body(round + "-" + i, i % 7 == 1 ? 40_000 : 700)));
        }
        final List<CompletableFuture<Boolean>> outcomes = new ArrayList<>();
        for (int n = 0; n < appends.size(); n++)
        {
            final long id = appends.get(n).join().messageId();
            ids.add(id);
            outcomes.add(switch (n % 5)
            {
                case 0 -> spool.recordOutcome(id, 0, RecipientStatus.deferred(1, 5_000L + n, "451 4.7.1 later " + round));
                case 1 -> spool.recordOutcome(id, JournalRecordCodec.ALL_RECIPIENTS,
                    RecipientStatus.deferred(2, 6_000L + n, "452 4.2.2 full"));
                case 2 -> spool.recordOutcome(id, 1, RecipientStatus.failed(1, "550 5.1.1 no such user"));
                case 3 -> spool.recordOutcome(id, JournalRecordCodec.ALL_RECIPIENTS, RecipientStatus.delivered(1, "250 ok"));
                default -> CompletableFuture.completedFuture(true);
            });
        }
        outcomes.forEach(CompletableFuture::join);
    }

    private static Map<Long, PendingMessage> pending(final Spool spool)
    {
        final Map<Long, PendingMessage> all = new LinkedHashMap<>();
        spool.forEachPending(message -> all.put(message.messageId(), message));
        return all;
    }

    private static Map<Long, ByteBuffer> contents(final Spool spool) throws IOException
    {
        final Map<Long, ByteBuffer> all = new LinkedHashMap<>();
        for (final PendingMessage message : spool.pendingInOrder())
        {
            all.put(message.messageId(), spool.readContent(message.messageId()));
        }
        return all;
    }

    private void assertRecovers(final Map<Long, PendingMessage> expected, final Map<Long, ByteBuffer> bodies,
        final long fullReplays) throws IOException
    {
        try (Spool spool = Spool.open(context(0)))
        {
            assertThat(spool.counters().get(SpoolCounter.FULL_REPLAYS)).isEqualTo(fullReplays);
            assertThat(spool.counters().get(SpoolCounter.PENDING_UNREADABLE)).isZero();
            assertThat(pending(spool)).containsExactlyEntriesOf(expected);
            assertThat(contents(spool)).containsExactlyEntriesOf(bodies);
        }
    }
}
