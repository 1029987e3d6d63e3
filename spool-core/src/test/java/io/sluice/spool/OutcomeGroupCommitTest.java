package io.sluice.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import org.agrona.concurrent.IdleStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outcomes alone ride a later msync: a batch of outcomes is written at once, completed only after the msync of the next
 * batch or of its deadline, and never before an msync covers it. The writer runs one duty cycle per step the test
 * grants, so what each cycle did is observed between cycles, not raced.
 */
class OutcomeGroupCommitTest
{
    @TempDir
    Path dir;

    private final SteppedIdle idle = new SteppedIdle();

    @AfterEach
    void letTheWriterRun()
    {
        idle.free();
    }

    private Spool open()
    {
        return Spool.open(new SpoolContext().directory(dir).blockSizeBytes(1 << 20).chunkBytes(64 << 10).diskReserveBytes(8 << 20)
            .durability(Durability.DURABLE).writerIdleStrategy(() -> idle));
    }

    @Test
    void shouldCompleteAnOutcomeOnlyAfterTheMsyncOfTheNextMessageCoversIt() throws Exception
    {
        try (Spool spool = open())
        {
            final long first = appendOne(spool, "1");
            final long syncs = spool.counters().get(SpoolCounter.SYNC_BATCHES);

            final CompletableFuture<Boolean> outcome = spool.recordOutcome(first, 0, RecipientStatus.delivered(1, "250 ok"));
            idle.step();
            assertThat(spool.counters().get(SpoolCounter.OUTCOMES_APPENDED)).as("written at once").isEqualTo(1);
            assertThat(outcome).as("not completed before an msync covers it").isNotDone();
            assertThat(spool.counters().get(SpoolCounter.SYNC_BATCHES)).isEqualTo(syncs);
            assertThat(spool.pendingCount()).as("the index changes only once it is durable").isEqualTo(1);

            final CompletableFuture<AppendResult> second =
                spool.append(TestMessages.envelope("b@x.test"), TestMessages.body("2", 512));
            idle.step();
            assertThat(second).isDone();
            assertThat(second.get().isAccepted()).isTrue();
            assertThat(outcome).isDone();
            assertThat(outcome.get()).isTrue();
            assertThat(spool.counters().get(SpoolCounter.SYNC_BATCHES)).as("one msync for both").isEqualTo(syncs + 1);
            assertThat(spool.pendingCount()).as("the first delivered, the second pending").isEqualTo(1);
            idle.free();
        }
    }

    @Test
    void shouldSyncOutcomesAloneByTheirDeadline() throws Exception
    {
        try (Spool spool = open())
        {
            final long id = appendOne(spool, "1");
            final CompletableFuture<Boolean> outcome = spool.recordOutcome(id, 0, RecipientStatus.delivered(1, "250 ok"));
            idle.step();
            assertThat(outcome).isNotDone();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!outcome.isDone() && System.nanoTime() < deadline)
            {
                idle.step();
            }
            assertThat(outcome.get()).isTrue();
            assertThat(spool.pendingCount()).isZero();
            idle.free();
        }
    }

    @Test
    void shouldSyncKeptOutcomesWhenTheSpoolCloses() throws Exception
    {
        final long id;
        final CompletableFuture<Boolean> outcome;
        try (Spool spool = open())
        {
            id = appendOne(spool, "1");
            outcome = spool.recordOutcome(id, 0, RecipientStatus.delivered(1, "250 ok"));
            idle.step();
            assertThat(outcome).isNotDone();
            idle.free();
        }
        assertThat(outcome.get(30, TimeUnit.SECONDS)).isTrue();
        try (Spool reopened = open())
        {
            assertThat(reopened.pendingCount()).as("the outcome was journaled before the spool closed").isZero();
        }
    }

    private long appendOne(final Spool spool, final String tag) throws Exception
    {
        final CompletableFuture<AppendResult> appended =
            spool.append(TestMessages.envelope("a@x.test"), TestMessages.body(tag, 512));
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!appended.isDone() && System.nanoTime() < deadline)
        {
            idle.step();
        }
        assertThat(appended.get().isAccepted()).isTrue();
        return appended.get().messageId();
    }

    /**
     * Lets the writer run one duty cycle per {@link #step()}: its idle waits for a permit, and a step, given once the
     * writer waits, returns once the writer has run its cycle and waits again.
     */
    private static final class SteppedIdle implements IdleStrategy
    {
        private final Semaphore permits = new Semaphore(0);
        private final AtomicInteger idles = new AtomicInteger();
        private volatile boolean free;

        void step()
        {
            awaitWriter(() -> permits.hasQueuedThreads());
            final int before = idles.get();
            permits.release();
            awaitWriter(() -> idles.get() != before && permits.hasQueuedThreads());
        }

        private static void awaitWriter(final BooleanSupplier condition)
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!condition.getAsBoolean())
            {
                if (System.nanoTime() > deadline)
                {
                    throw new AssertionError("the writer did not come back to idle within 30 s");
                }
                Thread.onSpinWait();
            }
        }

        void free()
        {
            free = true;
            permits.release(Integer.MAX_VALUE / 2);
        }

        @Override
        public void idle(final int workCount)
        {
            idle();
        }

        @Override
        public void idle()
        {
            idles.incrementAndGet();
            if (free)
            {
                return;
            }
            try
            {
                permits.tryAcquire(30, TimeUnit.SECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void reset()
        {
        }
    }
}
