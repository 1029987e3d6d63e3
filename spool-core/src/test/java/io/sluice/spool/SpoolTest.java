package io.sluice.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The spool's promises on a real journal: a durable acknowledgement, outcomes journaled until every recipient is
 * final, statuses and each envelope's SMTPUTF8/8BITMIME recovered after a restart, a 50 MiB message across chunks,
 * typed refusals, and many producers sharing msyncs.
 */
class SpoolTest
{
    @TempDir
    Path dir;

    private SpoolContext context()
    {
        return new SpoolContext().directory(dir).blockSizeBytes(1 << 20).chunkBytes(64 << 10).diskReserveBytes(8 << 20);
    }

    @Test
    void shouldAcknowledgeDurablyAndReadTheSameBytesBack() throws Exception
    {
        try (Spool spool = Spool.open(context()))
        {
            final ByteBuffer body = TestMessages.body("hello", 4096);
            final AppendResult result = spool.append(TestMessages.envelope("a@x.test", "b@y.test"), body).get();

            assertThat(result.status()).isEqualTo(AppendResult.Status.ACCEPTED);
            assertThat(result.queueId()).hasSize(16);
            assertThat(spool.readContent(result.messageId())).isEqualTo(body);
            final PendingMessage pending = spool.pending(result.messageId());
            assertThat(pending.envelope().recipients()).containsExactly("a@x.test", "b@y.test");
            assertThat(pending.recipients()).containsOnly(RecipientStatus.NEW);
            assertThat(spool.counters().get(SpoolCounter.MESSAGES_APPENDED)).isEqualTo(1);
            assertThat(spool.counters().get(SpoolCounter.SYNC_BATCHES)).isGreaterThanOrEqualTo(1);
            assertThat(spool.counters().get(SpoolCounter.PENDING_MESSAGES)).isEqualTo(1);
        }
    }

    @Test
    void shouldKeepAMessageUntilEveryRecipientIsFinal() throws Exception
    {
        try (Spool spool = Spool.open(context()))
        {
            final long id =
                spool.append(TestMessages.envelope("a@x.test", "b@y.test"), TestMessages.body("m", 100)).get().messageId();

            assertThat(spool.recordOutcome(id, 0, RecipientStatus.delivered(1, "250 2.0.0 ok")).get()).isTrue();
            assertThat(spool.pending(id).recipients().get(0).disposition()).isEqualTo(Disposition.DELIVERED);
            assertThat(spool.recordOutcome(id, 0, RecipientStatus.failed(1, "550 again")).get())
                .as("a final recipient stays final").isFalse();
            assertThat(spool.recordOutcome(id, 1, RecipientStatus.deferred(1, 5000, "451 4.3.0 later")).get()).isTrue();
            assertThat(spool.pendingCount()).isEqualTo(1);

            assertThat(spool.recordOutcome(id, 1, RecipientStatus.failed(2, "550 5.1.1 unknown")).get()).isTrue();
            assertThat(spool.pending(id)).isNull();
            assertThat(spool.pendingCount()).isZero();
            assertThat(spool.readContent(id)).isNull();
            assertThat(spool.recordOutcome(id, 1, RecipientStatus.delivered(3, "250")).get()).isFalse();
        }
    }

    @Test
    void shouldRecoverPendingMessagesAndFinalStatesAfterRestart() throws Exception
    {
        final long delivered;
        final long deferred;
        final long held;
        try (Spool spool = Spool.open(context()))
        {
            delivered = spool.append(TestMessages.envelope("a@x.test"), TestMessages.body("delivered", 500)).get().messageId();
            deferred = spool.append(
                TestMessages.envelope("a@x.test", "b@x.test"), TestMessages.body("deferred", 500)).get().messageId();
            held = spool.append(TestMessages.envelope("c@x.test"), TestMessages.body("held", 500)).get().messageId();
            spool.recordOutcome(delivered, 0, RecipientStatus.delivered(1, "250 ok")).get();
            spool.recordOutcome(deferred, 0, RecipientStatus.delivered(1, "250 ok")).get();
            spool.recordOutcome(deferred, 1, RecipientStatus.deferred(1, 123_456L, "451 try later")).get();
            spool.recordOutcome(held, -1, new RecipientStatus(Disposition.HELD, 0, 0, "tenant contained")).get();
        }
        try (Spool spool = Spool.open(context()))
        {
            assertThat(spool.pending(delivered)).isNull();
            assertThat(spool.pending(deferred).recipients())
                .containsExactly(RecipientStatus.delivered(1, "250 ok"), RecipientStatus.deferred(1, 123_456L, "451 try later"));
            assertThat(spool.pending(held).recipients().get(0).disposition()).isEqualTo(Disposition.HELD);
            assertThat(TestMessages.tagOf(spool.readContent(deferred))).isEqualTo("deferred");
            assertThat(spool.pendingCount()).isEqualTo(2);

            final long next = spool.append(TestMessages.envelope("d@x.test"), TestMessages.body("after", 10)).get().messageId();
            assertThat(next).as("ids keep growing across restarts").isGreaterThan(held);
        }
    }

    @Test
    void shouldRecoverEachMessagesMailParametersAfterRestart() throws Exception
    {
        final Envelope plain = TestMessages.envelope("a@x.test");
        final Envelope utf8 = TestMessages.envelope("zoë@x.test").withMailParameters(true, true);
        final Envelope eightBit = TestMessages.envelope("b@x.test").withMailParameters(false, true);
        final long[] ids = new long[3];
        try (Spool spool = Spool.open(context()))
        {
            ids[0] = spool.append(plain, TestMessages.body("plain", 100)).get().messageId();
            ids[1] = spool.append(utf8, TestMessages.body("utf8", 100)).get().messageId();
            ids[2] = spool.append(eightBit, TestMessages.body("8bit", 100)).get().messageId();
            assertThat(spool.pending(ids[1]).envelope()).isEqualTo(utf8);
        }
        try (Spool spool = Spool.open(context()))
        {
            assertThat(spool.pending(ids[0]).envelope()).isEqualTo(plain);
            assertThat(spool.pending(ids[1]).envelope().smtpUtf8()).isTrue();
            assertThat(spool.pending(ids[1]).envelope()).isEqualTo(utf8);
            assertThat(spool.pending(ids[2]).envelope()).isEqualTo(eightBit);
        }
    }

    @Test
    void shouldStoreA50MiBMessageAcrossChunksAndRecoverIt() throws Exception
    {
        final ByteBuffer big = TestMessages.body("big", 50 << 20);
        final long id;
        try (Spool spool = Spool.open(context()))
        {
            id = spool.append(TestMessages.envelope("a@x.test"), big).get().messageId();
            assertThat(spool.readContent(id)).isEqualTo(big);
        }
        try (Spool spool = Spool.open(context()))
        {
            assertThat(spool.pending(id).contentLength()).isEqualTo(50 << 20);
            assertThat(spool.readContent(id)).isEqualTo(big);
        }
    }

    @Test
    void shouldRefuseAMessageOverTheLimitWithATypedResult() throws Exception
    {
        try (Spool spool = Spool.open(context().maxMessageBytes(10_000)))
        {
            final AppendResult result = spool.append(TestMessages.envelope("a@x.test"), TestMessages.body("x", 10_001)).get();
            assertThat(result.status()).isEqualTo(AppendResult.Status.REFUSED_TOO_LARGE);
            assertThat(spool.pendingCount()).isZero();
        }
    }

    @Test
    void shouldGroupConcurrentAppendsIntoFewerSyncs() throws Exception
    {
        final int threads = 8;
        final int perThread = 200;
        final ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (Spool spool = Spool.open(context()))
        {
            final List<Future<List<Long>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++)
            {
                final int thread = t;
                results.add(pool.submit(() ->
                {
                    final List<Long> ids = new ArrayList<>();
                    for (int i = 0; i < perThread; i++)
                    {
                        final AppendResult r = spool.append(
                            TestMessages.envelope("a@x.test"), TestMessages.body(thread + "-" + i, 1024)).join();
                        assertThat(r.isAccepted()).isTrue();
                        ids.add(r.messageId());
                    }
                    return ids;
                }));
            }
            final Set<Long> ids = new HashSet<>();
            for (final Future<List<Long>> result : results)
            {
                ids.addAll(result.get());
            }
            assertThat(ids).hasSize(threads * perThread);
            assertThat(spool.counters().get(SpoolCounter.MESSAGES_SYNCED)).isEqualTo(threads * perThread);
            assertThat(spool.counters().get(SpoolCounter.SYNC_BATCHES))
                .as("eight producers must share msyncs").isLessThan(threads * perThread);
        }
        finally
        {
            pool.shutdownNow();
        }
    }

    @Test
    void shouldRefuseAppendsAfterCloseWithoutHanging() throws Exception
    {
        final Spool spool = Spool.open(context());
        spool.close();
        final CompletableFuture<AppendResult> late =
            spool.append(TestMessages.envelope("a@x.test"), TestMessages.body("late", 10));
        assertThat(late.get().status()).isEqualTo(AppendResult.Status.REFUSED_CLOSED);
    }

    @Test
    void shouldReportTheOldestPendingMessageAndListInArrivalOrder() throws Exception
    {
        final MutableClock clock = new MutableClock(1_700_000_000_000L);
        try (Spool spool = Spool.open(context().clock(clock).maintenanceIntervalMs(1)))
        {
            final long first = spool.append(TestMessages.envelopeAt(clock.millis(), "a@x.test"), TestMessages.body("1", 10))
                .get().messageId();
            clock.advanceMillis(5_000);
            final long second = spool.append(TestMessages.envelopeAt(clock.millis(), "a@x.test"), TestMessages.body("2", 10))
                .get().messageId();
            assertThat(spool.pendingMessages()).extracting(PendingMessage::messageId).containsExactly(first, second);
            clock.advanceMillis(1_000);
            SpoolAwait.until(() -> spool.counters().get(SpoolCounter.OLDEST_PENDING_AGE_MS) == 6_000);
            spool.recordOutcome(first, 0, RecipientStatus.delivered(1, "250")).get();
            SpoolAwait.until(() -> spool.counters().get(SpoolCounter.OLDEST_PENDING_AGE_MS) == 1_000);
        }
    }
}
