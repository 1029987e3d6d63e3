package io.sluice.spool;

import io.sluice.counters.EnumCounters;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.sluice.agent.WakeableIdleStrategy;
import org.agrona.concurrent.AgentRunner;
import org.jctools.queues.MpscArrayQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable mail spool: every accepted message is journaled on a Chronicle Queue until each of its
 * recipients reaches a final state. This is the API the SMTP server, the drain and embedders use.
 *
 * <p>All methods are thread-safe. Appends and outcomes from any number of threads are written by one
 * journal writer thread and share msyncs (group commit); their futures complete on that thread, so
 * callbacks attached to them must be quick and must not block.
 */
public final class Spool implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(Spool.class);
    /** The pending-index checkpoint in the spool directory: deleting it costs the next start a full journal replay. */
    public static final String CHECKPOINT_FILE_NAME = IndexCheckpoint.FILE_NAME;
    /**
     * After a batch the writer spins before it parks, so the next append of a busy producer finds it awake without a
     * wake-up; parked, every request wakes it. It no longer yields between the spin and the park: delivering, a batch is
     * often one outcome, and ten {@code sched_yield}s after each were 4 % of the deliver profile. Without them, in three
     * pairs interleaved with main on the loaded 2-core VM (smtp-source, 20 sessions), the journal writer took 44-66 us per
     * delivered message against 46-98 (medians 57 and 78), delivering took 167-256 us in all against 190-339, accepting
     * 352-482 against 352-619; accepting, messages per msync fell to 2.9-5.3 from 3.3-6.7 with the writer's CPU per
     * message the same (benchmarks/results/2026-12-06-vm-session8-journal/).
     */
    private static final int WRITER_SPINS = 100;
    private static final int WRITER_YIELDS = 0;
    /** The writer's longest park: maintenance has its own due time, this only bounds a surprise. */
    private static final long WRITER_MAX_PARK_MS = 50;

    private final SpoolContext context;
    private final Journal journal;
    private final PendingIndex index;
    private final PendingReader reader;
    private final EnumCounters<SpoolCounter> counters = new EnumCounters<>(SpoolCounter.class, "spool");
    private final DiskGuard diskGuard;
    private final MpscArrayQueue<WriteRequest> requests;
    private final AgentRunner writerRunner;
    private final JournalWriterAgent writer;
    private final WakeableIdleStrategy writerWake;
    private volatile boolean closed;
    private final long recoveredRecords;

    private Spool(final SpoolContext context, final SpoolListener listener)
    {
        this.context = context;
        try
        {
            Files.createDirectories(context.directory());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot create the spool directory " + context.directory(), ex);
        }
        diskGuard = new DiskGuard(context.directory(), context.diskReserveBytes(), context.diskCheckIntervalMs());
        final long startNs = System.nanoTime();
        final Opened opened = openJournal(context, counters);
        journal = opened.journal();
        final IndexRecovery.Result recovered = opened.recovered();
        index = recovered.index();
        reader = new PendingReader(journal, index, counters.counter(SpoolCounter.PENDING_UNREADABLE));
        final JournalRecovery.Report report = recovered.report();
        recoveredRecords = report.records();
        LOG.info("spool {} recovered in {} ms ({} ms checking {} journal files for damage, {} not read whole under"
            + " the checkpoint){}: {} records replayed, {} pending messages ({} bytes), {} corrupt records skipped, {} incomplete"
            + " messages discarded, {} damaged files set aside ({} messages lost to damage)",
            context.directory(), (System.nanoTime() - startNs) / 1_000_000, opened.scanNs() / 1_000_000,
            opened.salvage().checked(), opened.salvage().skipped(),
            recovered.checkpointPosition() == Long.MIN_VALUE ? "" : " from its checkpoint",
            report.records(), report.pendingMessages(), report.pendingBytes(),
            report.corruptRecords(), report.incompleteMessages(), report.damagedFiles(), report.messagesLostToDamage());
        requests = new MpscArrayQueue<>(context.writeQueueCapacity());
        writer = new JournalWriterAgent(
            context, journal, index, diskGuard, counters, listener, requests, recovered, reader);
        writerWake = new WakeableIdleStrategy(WRITER_SPINS, WRITER_YIELDS, TimeUnit.MILLISECONDS.toNanos(WRITER_MAX_PARK_MS),
            () -> !requests.isEmpty(), writer::nanosUntilDue);
        writerRunner = new AgentRunner(context.writerIdleStrategy() != null ? context.writerIdleStrategy().get() : writerWake,
            ex -> LOG.error("journal writer duty cycle failed", ex),
            counters.counter(SpoolCounter.WRITER_ERRORS), writer);
        AgentRunner.startOnThread(writerRunner);
    }

    /** The journal as recovery left it open, the index it built, and the damage check before it. */
    private record Opened(Journal journal, IndexRecovery.Result recovered, JournalSalvage salvage, long scanNs)
    {
    }

    /**
     * Checks the journal files for damage (setting damaged ones aside before Chronicle opens the journal, see
     * {@link JournalSalvage}), opens it and builds the index. With a checkpoint, the files wholly before the one its
     * position is in are not checked (see {@link JournalSalvage#prepare(SpoolContext, int)}); if the checkpoint then
     * cannot be used, the journal is closed again and every file checked before the full replay reads them all.
     */
    private static Opened openJournal(final SpoolContext context, final EnumCounters<SpoolCounter> counters)
    {
        final long covered = IndexCheckpoint.coveredPosition(IndexRecovery.checkpointFile(context));
        final int firstCycle = covered == Long.MIN_VALUE ? JournalSalvage.CHECK_EVERY_FILE
            : context.rollCycle().toCycle(covered);
        final long firstSequence = covered == Long.MIN_VALUE ? 0 : context.rollCycle().toSequenceNumber(covered);
        long scanStartNs = System.nanoTime();
        JournalSalvage salvage = JournalSalvage.prepare(context, firstCycle, firstSequence);
        long scanNs = System.nanoTime() - scanStartNs;
        Journal journal = new Journal(context);
        try
        {
            final IndexRecovery.Attempt attempt = IndexRecovery.fromCheckpoint(context, journal, counters, salvage);
            if (attempt.result() != null)
            {
                return new Opened(journal, attempt.result(), salvage, scanNs);
            }
            if (salvage.skipped() > 0)
            {
                journal.close();
                journal = null;
                scanStartNs = System.nanoTime();
                salvage = JournalSalvage.prepare(context, JournalSalvage.CHECK_EVERY_FILE);
                scanNs += System.nanoTime() - scanStartNs;
                journal = new Journal(context);
            }
            return new Opened(journal, IndexRecovery.fullReplay(context, journal, counters, salvage, attempt.why()), salvage,
                scanNs);
        }
        catch (final RuntimeException ex)
        {
            if (journal != null)
            {
                journal.close();
            }
            throw ex;
        }
    }

    /**
     * Opens (or creates) the spool in {@code context.directory()}, replaying the journal to find every
     * unfinished message.
     *
     * @param context settings; concluded (validated) here.
     * @return the open spool.
     */
    public static Spool open(final SpoolContext context)
    {
        return open(context, SpoolListener.NONE);
    }

    /** Opens the spool, telling {@code listener} of every change once it is durable. */
    public static Spool open(final SpoolContext context, final SpoolListener listener)
    {
        Objects.requireNonNull(listener, "listener");
        return new Spool(context.conclude(), listener);
    }

    /**
     * Stores a message. The future completes with {@link AppendResult.Status#ACCEPTED} only once the record
     * is durable (in {@link Durability#DURABLE} mode: after the msync that covers it); any other status
     * means nothing was promised and the sender should be told to retry or give up.
     *
     * @param envelope sender, recipients, tenant, lane.
     * @param content  the raw RFC 5322 message from its position to its limit; it must not change until
     *                 the future completes.
     * @return the typed result, never completed exceptionally.
     */
    public CompletableFuture<AppendResult> append(final Envelope envelope, final ByteBuffer content)
    {
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(content, "content");
        if (content.remaining() > context.maxMessageBytes())
        {
            counters.counter(SpoolCounter.APPENDS_REFUSED_TOO_LARGE).increment();
            return CompletableFuture.completedFuture(AppendResult.TOO_LARGE);
        }
        final WriteRequest.Append request = new WriteRequest.Append(envelope, content);
        if (!enqueue(request))
        {
            counters.counter(SpoolCounter.APPENDS_REFUSED_OVERLOADED).increment();
            return CompletableFuture.completedFuture(closed ? AppendResult.CLOSED : AppendResult.OVERLOADED);
        }
        return request.future;
    }

    /**
     * Journals what happened to one recipient (or, with {@code recipientIndex == -1}, to every recipient not
     * yet final). A final outcome for the last open recipient removes the message from the spool.
     *
     * @return a future completing with true once the outcome is durable, false if it changed nothing (unknown
     *         message, recipient already final), or exceptionally with {@link SpoolUnavailableException}.
     */
    public CompletableFuture<Boolean> recordOutcome(final long messageId, final int recipientIndex, final RecipientStatus status)
    {
        Objects.requireNonNull(status, "status");
        if (recipientIndex < JournalRecordCodec.ALL_RECIPIENTS)
        {
            throw new IllegalArgumentException("recipient index must be >= 0, or -1 for all: " + recipientIndex);
        }
        final WriteRequest.Outcome request = new WriteRequest.Outcome(messageId, recipientIndex, status);
        if (!enqueue(request))
        {
            request.fail(closed ? AppendResult.Status.REFUSED_CLOSED : AppendResult.Status.REFUSED_OVERLOADED);
        }
        return request.future;
    }

    private boolean enqueue(final WriteRequest request)
    {
        if (closed || !requests.offer(request))
        {
            return false;
        }
        writerWake.wake();
        if (closed)
        {
            failQueued();
        }
        return true;
    }

    private synchronized void failQueued()
    {
        if (writerRunner.isClosed())
        {
            WriteRequest request;
            while ((request = requests.poll()) != null)
            {
                request.fail(AppendResult.Status.REFUSED_CLOSED);
            }
        }
    }

    /**
     * Reads a pending message's raw content back from the journal.
     *
     * @return the content, or null if the message is not pending (finished or unknown).
     * @throws IOException if its records are unreadable (corrupted on disk).
     */
    public ByteBuffer readContent(final long messageId) throws IOException
    {
        final PendingSlot slot = new PendingSlot();
        IOException failure = null;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            if (!index.read(messageId, slot))
            {
                return null;
            }
            final long[] indexes = slot.recordIndexes();
            try
            {
                // At the head's position when the index knows it: one positioned read instead of Chronicle's seek.
                return journal.readContent(messageId, indexes, slot.contentLength(), slot.headPosition);
            }
            catch (final IOException ex)
            {
                // Retention may have carried it forward and deleted the old file meanwhile: read where it is now.
                failure = ex;
                if (index.read(messageId, slot) && java.util.Arrays.equals(indexes, slot.recordIndexes()))
                {
                    break;
                }
            }
        }
        throw failure;
    }

    /**
     * The message's latest snapshot, read back from the journal (its envelope and statuses are not kept in memory).
     *
     * @return the snapshot, or null if it is not pending, or if its records cannot be read (logged, and counted as
     *         {@link SpoolCounter#PENDING_UNREADABLE}; the message stays pending).
     */
    public PendingMessage pending(final long messageId)
    {
        return reader.read(messageId);
    }

    /**
     * @return a snapshot of every pending message, oldest first, each read back from the journal. O(pending) in time
     *         and heap (about 0.5 KiB a message: 10 million do not fit a 1 GB heap): for tests and known-small spools
     *         only; no production path may call it (checked by {@code StreamingStartupTest}). Walk a backlog with
     *         {@link #forEachPending}, {@link #pendingAfter} or {@link #forEachPendingId}.
     */
    public List<PendingMessage> pendingMessages()
    {
        final List<PendingMessage> all = new ArrayList<>(index.size());
        for (final PendingMessage message : pendingAfter(Long.MIN_VALUE, false))
        {
            all.add(message);
        }
        return all;
    }

    /**
     * Hands every pending message's snapshot to {@code consumer}, oldest first, one at a time: each is read back from
     * the journal as the walk reaches it and kept by nobody but the consumer (and the reader's bounded cache), so a walk
     * of any backlog takes constant heap. Weakly consistent, as {@link #pendingAfter} is. A message whose records
     * cannot be read is skipped (logged, counted as {@link SpoolCounter#PENDING_UNREADABLE}).
     */
    public void forEachPending(final java.util.function.Consumer<? super PendingMessage> consumer)
    {
        for (final PendingMessage message : pendingAfter(Long.MIN_VALUE, false))
        {
            consumer.accept(message);
        }
    }

    /** @return every pending message, oldest first, read lazily as it is iterated: {@link #forEachPending} as an Iterable. */
    public Iterable<PendingMessage> pendingInOrder()
    {
        return pendingAfter(Long.MIN_VALUE, false);
    }

    /**
     * Hands every pending message's id to {@code consumer}, oldest first, without reading the journal or building
     * snapshots: start-up over a large backlog. Weakly consistent, as {@link #pendingAfter} is.
     */
    public void forEachPendingId(final java.util.function.LongConsumer consumer)
    {
        final PendingSlot slot = new PendingSlot();
        long after = Long.MIN_VALUE;
        while (index.readNext(after, false, slot))
        {
            after = slot.messageId();
            consumer.accept(after);
        }
    }

    /**
     * A console's page through the backlog without copying it: the pending messages after {@code afterId} (exclusive),
     * in id order (oldest first) or reversed, read lazily from the live index. Weakly consistent, as a concurrent map's
     * view is: a message finished meanwhile may be missing, one accepted meanwhile may appear.
     *
     * @param afterId     the id the previous page ended with; {@link Long#MIN_VALUE} (oldest first) or
     *                    {@link Long#MAX_VALUE} (newest first) to start.
     * @param newestFirst the newest message first instead of the oldest.
     */
    public Iterable<PendingMessage> pendingAfter(final long afterId, final boolean newestFirst)
    {
        return () -> new Iterator<>()
        {
            private final PendingSlot slot = new PendingSlot();
            private long position = afterId;
            private PendingMessage next;

            @Override
            public boolean hasNext()
            {
                while (next == null && index.readNext(position, newestFirst, slot))
                {
                    position = slot.messageId();
                    // Null if it finished since, or cannot be read (logged, counted): either way not shown. Not cached:
                    // a walk must take constant heap, and would only evict what the drain needs next.
                    next = reader.snapshot(slot, false);
                }
                return next != null;
            }

            @Override
            public PendingMessage next()
            {
                if (!hasNext())
                {
                    throw new java.util.NoSuchElementException();
                }
                final PendingMessage message = next;
                next = null;
                return message;
            }
        };
    }

    /** @return the journal records the last start replayed (after the checkpoint, when it started from one). */
    long recoveredRecords()
    {
        return recoveredRecords;
    }

    public int pendingCount()
    {
        return index.size();
    }

    /** @return false while free space is under the reserve, so SMTP can refuse at MAIL time ({@code 452 4.3.1}). */
    public boolean isAcceptingMessages()
    {
        return diskGuard.isAcceptingMessages() && !closed;
    }

    /** @return a count the journal writer moves on every duty cycle (at least every 50 ms): the watchdog's heartbeat. */
    public long writerHeartbeat()
    {
        return writer.dutyCycles();
    }

    /** @return true while appends or outcomes wait for the journal writer: then its heartbeat must move. */
    public boolean hasQueuedWrites()
    {
        return !requests.isEmpty();
    }

    /** @return true while the journal writer thread runs: the daemon's watchdog health check. */
    public boolean isWriterAlive()
    {
        final Thread thread = writerRunner.thread();
        return !closed && thread != null && thread.isAlive();
    }

    public EnumCounters<SpoolCounter> counters()
    {
        return counters;
    }

    public SpoolContext context()
    {
        return context;
    }

    /** @return how many mapped chunks the journal writer advised for random access (tests: MappedWriteAdviceTest). */
    long journalChunksAdvised()
    {
        return journal.chunksAdvised();
    }

    /**
     * Stops the writer (failing anything still queued with {@code REFUSED_CLOSED}), checkpoints the pending index and
     * closes the journal.
     */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        writerRunner.close();
        failQueued();
        if (writerRunner.isClosed())
        {
            // The writer thread has ended: this thread may touch the index now.
            writer.checkpointAtClose();
            // The index is direct memory (64 B a message, 640 MB at 10M): returned now, not when this object goes.
            index.release();
        }
        journal.close();
    }
}
