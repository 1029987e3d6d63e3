package io.sluice.spool;

import io.sluice.counters.EnumCounters;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.NavigableSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.agrona.collections.LongArrayList;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.status.AtomicCounter;
import org.jctools.queues.MpscArrayQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that writes the journal. Producers (SMTP sessions, the drain, embedders) enqueue requests
 * on an MPSC queue; each duty cycle drains up to {@code maxBatch} of them, writes them all, makes them
 * durable with a single msync (group commit) and only then updates the index and completes their futures.
 * Between batches it runs retention and refreshes the gauges.
 *
 * <p>A batch of outcomes alone (delivery results) is written at once but not synced at once: it waits up to
 * {@link #OUTCOME_SYNC_DELAY_NS} for the next batch, and the msync of whichever batch comes next (a message's, whose
 * sender is waiting for its {@code 250}, syncs at once) or of the deadline covers them all. Nothing is completed
 * before the msync that covers it, so the promise is the same; an outcome's future, and the route slot waiting on
 * it, completes up to that delay later. Measured on the 2-core VM (session 5's profile): one msync per 1.85
 * delivered messages, each a write-back, a write-protect and a TLB flush, and the next write faulting the page again.
 */
final class JournalWriterAgent implements Agent
{
    private static final Logger LOG = LoggerFactory.getLogger(JournalWriterAgent.class);

    private final AtomicLong dutyCycles = new AtomicLong();
    /**
     * Retention copies forward in slices, {@value #CARRY_SLICES_PER_INTERVAL} per maintenance interval between batches,
     * each at most this many bytes, {@link #CARRY_IDS_PER_SLICE} messages and {@link #CARRY_SLICE_NS} of the writer's
     * time: at most the 8 MiB and 4,096 messages a second that one copy per interval took, without its stall. At
     * 68d5969 the copy ran whole, then msynced, once a second, holding every outcome (and so every delivery slot)
     * behind it: copying the last quarter of a 200,000 backlog out of the fill's file, delivery fell from about 700 to
     * 70-450 msgs/s for 30 s on a loaded host (benchmarks/results/2026-12-06-vm-session7-eta/).
     */
    private static final long CARRY_BYTES_PER_SLICE = 512L << 10;
    private static final int CARRY_IDS_PER_SLICE = 256;
    private static final int CARRY_SLICES_PER_INTERVAL = 16;
    private static final long CARRY_SLICE_NS = TimeUnit.MILLISECONDS.toNanos(2);
    /** Ids run ahead of the clock only when thousands are issued in a millisecond: a minute is ample. */
    private static final long ID_CLOCK_SLACK_MS = 60_000;
    /**
     * Longest an outcome written to the journal waits for the msync of a later batch: short beside a delivery's own
     * round trips (a route's slot stays busy until its outcomes are durable), long beside the outcomes' arrival.
     */
    static final long OUTCOME_SYNC_DELAY_NS = TimeUnit.MILLISECONDS.toNanos(2);

    private final Journal journal;
    private final PendingIndex index;
    private final DiskGuard diskGuard;
    private final SpoolListener listener;
    private final PendingReader reader;
    private final IndexCheckpointer checkpointer;
    /** The last record recovery found: the journal's position until this writer appends. */
    private final long recoveredPosition;
    private boolean lastSyncOk = true;
    private final Clock clock;
    private final MpscArrayQueue<WriteRequest> requests;
    private final List<WriteRequest> batch;
    /** Outcomes written but not yet synced (see the class comment), oldest first; completed after their msync. */
    private final List<WriteRequest> unsynced;
    /** When the oldest of {@link #unsynced} must be synced, by {@link System#nanoTime()}. */
    private long unsyncedDueNs;
    private final int maxBatch;
    private final int chunkBytes;
    private final long maxMessageBytes;
    private final double compactionLiveRatio;
    private final long maintenanceIntervalNs;
    /** Under disk pressure maintenance runs as often as free space is checked, so the spool reopens promptly. */
    private final long pressureIntervalNs;
    private final SpaceReclaimer reclaimer;
    private final DiskPressureMonitor pressure;
    private final AtomicCounter messagesAppended;
    private final AtomicCounter bytesAppended;
    private final AtomicCounter outcomesAppended;
    private final AtomicCounter messagesSynced;
    private final AtomicCounter syncBatches;
    private final AtomicCounter pendingMessages;
    private final AtomicCounter pendingBytes;
    private final AtomicCounter oldestPendingAgeMs;
    private final AtomicCounter refusedDisk;
    private final AtomicCounter refusedTooLarge;
    private final AtomicCounter carriedForward;
    private final AtomicCounter cyclesDeleted;
    private final AtomicCounter ioFailures;
    private final AtomicCounter offHeapBytes;
    private final AtomicCounter refusedIndexFull;
    private long lastMessageId;
    private int appendsInBatch;
    private long lastMaintenanceNs;
    private int carryingCycle = Integer.MIN_VALUE;
    private long lastCarryNs;
    /** Set while carried-forward copies are not yet durable: their originals must not be deleted. */
    private boolean carriedUnsynced;

    JournalWriterAgent(
        final SpoolContext context,
        final Journal journal,
        final PendingIndex index,
        final DiskGuard diskGuard,
        final EnumCounters<SpoolCounter> counters,
        final SpoolListener listener,
        final MpscArrayQueue<WriteRequest> requests,
        final IndexRecovery.Result recovered,
        final PendingReader reader)
    {
        this.journal = journal;
        this.index = index;
        this.diskGuard = diskGuard;
        this.listener = listener;
        this.clock = context.clock();
        this.requests = requests;
        this.maxBatch = context.maxBatch();
        this.batch = new ArrayList<>(maxBatch);
        this.unsynced = new ArrayList<>(maxBatch);
        this.chunkBytes = context.chunkBytes();
        this.maxMessageBytes = context.maxMessageBytes();
        this.compactionLiveRatio = context.compactionLiveRatio();
        this.maintenanceIntervalNs = TimeUnit.MILLISECONDS.toNanos(context.maintenanceIntervalMs());
        this.pressureIntervalNs = Math.min(maintenanceIntervalNs, TimeUnit.MILLISECONDS.toNanos(context.diskCheckIntervalMs()));
        this.reclaimer = new SpaceReclaimer(context, journal, index.ledger(), diskGuard, counters);
        this.pressure = new DiskPressureMonitor(context, diskGuard, index, counters);
        this.lastMessageId = recovered.report().maxMessageId();
        this.recoveredPosition = recovered.report().lastRecordIndex();
        this.reader = reader;
        this.checkpointer = new IndexCheckpointer(context, journal, index, diskGuard, counters, recovered.checkpointPosition());
        messagesAppended = counters.counter(SpoolCounter.MESSAGES_APPENDED);
        bytesAppended = counters.counter(SpoolCounter.BYTES_APPENDED);
        outcomesAppended = counters.counter(SpoolCounter.OUTCOMES_APPENDED);
        messagesSynced = counters.counter(SpoolCounter.MESSAGES_SYNCED);
        syncBatches = counters.counter(SpoolCounter.SYNC_BATCHES);
        pendingMessages = counters.counter(SpoolCounter.PENDING_MESSAGES);
        pendingBytes = counters.counter(SpoolCounter.PENDING_BYTES);
        oldestPendingAgeMs = counters.counter(SpoolCounter.OLDEST_PENDING_AGE_MS);
        refusedDisk = counters.counter(SpoolCounter.APPENDS_REFUSED_DISK);
        refusedTooLarge = counters.counter(SpoolCounter.APPENDS_REFUSED_TOO_LARGE);
        carriedForward = counters.counter(SpoolCounter.MESSAGES_CARRIED_FORWARD);
        cyclesDeleted = counters.counter(SpoolCounter.CYCLE_FILES_DELETED);
        ioFailures = counters.counter(SpoolCounter.JOURNAL_IO_FAILURES);
        offHeapBytes = counters.counter(SpoolCounter.INDEX_OFF_HEAP_BYTES);
        refusedIndexFull = counters.counter(SpoolCounter.APPENDS_REFUSED_INDEX_MEMORY);
        updateGauges();
    }

    @Override
    public String roleName()
    {
        return "sluice-journal-writer";
    }

    /** @return how many duty cycles have begun: the watchdog's heartbeat, which stops moving if the writer hangs. */
    long dutyCycles()
    {
        return dutyCycles.get();
    }

    @Override
    public int doWork()
    {
        // Single writer: an ordered store, no read-modify-write fence, on every cycle.
        dutyCycles.lazySet(dutyCycles.get() + 1);
        int work = commitBatch();
        pressure.observe();
        final long nowNs = System.nanoTime();
        if (carryingCycle != Integer.MIN_VALUE && nowNs - lastCarryNs >= dueIntervalNs() / CARRY_SLICES_PER_INTERVAL)
        {
            lastCarryNs = nowNs;
            work += carryForward(carryingCycle);
        }
        // Under disk pressure a busy writer (the drain's outcomes) must not put off what frees the space.
        if ((work == 0 || !diskGuard.isAcceptingMessages()) && nowNs - lastMaintenanceNs >= dueIntervalNs())
        {
            // Retention and the checkpoint read the index: the outcomes written so far are applied to it first, and
            // the copies carried forward are durable before a checkpoint's position covers them.
            work += syncUnsynced();
            if (carriedUnsynced)
            {
                sync();
            }
            lastMaintenanceNs = nowNs;
            diskGuard.poll();
            updateGauges();
            work += retain();
            if (reclaimer.reclaim() > 0)
            {
                sync();
                work++;
            }
            work += index.compact();
            pressure.update();
            checkpointer.maybeWrite(nowNs, recoveredPosition, lastMessageId, lastSyncOk);
        }
        return work;
    }

    private long dueIntervalNs()
    {
        return diskGuard.isAcceptingMessages() ? maintenanceIntervalNs : pressureIntervalNs;
    }

    /**
     * @return nanoseconds until the writer has something due without a request: maintenance (gauges, retention) or the
     *         msync of outcomes written earlier; 0 if now. Writer thread.
     */
    long nanosUntilDue()
    {
        final long nowNs = System.nanoTime();
        final long maintenance = dueIntervalNs() - (nowNs - lastMaintenanceNs);
        final long due = unsynced.isEmpty() ? maintenance : Math.min(maintenance, unsyncedDueNs - nowNs);
        return Math.max(0, due);
    }

    /** Syncs and completes the outcomes written so far, then fails whatever is still queued: the spool is closing. */
    @Override
    public void onClose()
    {
        syncUnsynced();
        WriteRequest request;
        while ((request = requests.poll()) != null)
        {
            request.fail(AppendResult.Status.REFUSED_CLOSED);
        }
    }

    /**
     * Checkpoints the index at a clean stop. Called by the closing thread once the writer thread has ended (not in
     * {@link #onClose}: the runner interrupts an agent that takes seconds to close, and a large index may).
     */
    void checkpointAtClose()
    {
        checkpointer.write(recoveredPosition, lastMessageId, lastSyncOk);
    }

    private int commitBatch()
    {
        batch.clear();
        appendsInBatch = 0;
        requests.drain(batch::add, maxBatch);
        if (batch.isEmpty())
        {
            return unsynced.isEmpty() || System.nanoTime() - unsyncedDueNs < 0 ? 0 : syncUnsynced();
        }
        int written = 0;
        boolean messages = false;
        for (int i = 0; i < batch.size(); i++)
        {
            final WriteRequest request = batch.get(i);
            try
            {
                if (request instanceof WriteRequest.Append append)
                {
                    // Its sender waits for the reply, accepted or refused: never kept for a later msync.
                    messages = true;
                    written += write(append);
                }
                else
                {
                    written += write((WriteRequest.Outcome)request);
                }
            }
            catch (final RuntimeException | AssertionError ex)
            {
                // Chronicle reports some damage with assertions (-ea in tests): refuse, never let the writer die.
                ioFailures.increment();
                LOG.error("journal write failed; the request is refused, nothing was promised", ex);
                markFailed(request);
            }
        }
        if (written > 0 && !messages && deferSync())
        {
            return batch.size();
        }
        if ((written > 0 || !unsynced.isEmpty()) && !sync())
        {
            markFailed(unsynced);
            markFailed(batch);
        }
        completeAll(unsynced);
        unsynced.clear();
        completeAll(batch);
        return batch.size();
    }

    /**
     * Keeps a batch of outcomes alone for the msync of a later batch, if the journal syncs at all and the oldest kept
     * is not due yet.
     *
     * @return true if the batch was kept; false if it is to be synced now, with any kept before it.
     */
    private boolean deferSync()
    {
        if (!journal.isDurable() || unsynced.size() + batch.size() > maxBatch)
        {
            return false;
        }
        final long nowNs = System.nanoTime();
        if (unsynced.isEmpty())
        {
            unsyncedDueNs = nowNs + OUTCOME_SYNC_DELAY_NS;
        }
        else if (nowNs - unsyncedDueNs >= 0)
        {
            return false;
        }
        unsynced.addAll(batch);
        return true;
    }

    /** Syncs the outcomes kept for a later msync and completes them. @return how many were completed. */
    private int syncUnsynced()
    {
        if (unsynced.isEmpty())
        {
            return 0;
        }
        if (!sync())
        {
            markFailed(unsynced);
        }
        completeAll(unsynced);
        final int completed = unsynced.size();
        unsynced.clear();
        return completed;
    }

    private void completeAll(final List<WriteRequest> requests)
    {
        for (int i = 0; i < requests.size(); i++)
        {
            final WriteRequest request = requests.get(i);
            try
            {
                complete(request);
            }
            catch (final RuntimeException | OutOfMemoryError ex)
            {
                // The record is durable whatever the index says: the promise stands, and the next start indexes it.
                ioFailures.increment();
                LOG.error("indexing a durable record failed; its sender is answered, the next start finds it", ex);
                if (request instanceof WriteRequest.Append append)
                {
                    append.future.complete(append.result);
                }
                else
                {
                    ((WriteRequest.Outcome)request).future.complete(((WriteRequest.Outcome)request).written);
                }
            }
        }
    }

    private boolean sync()
    {
        try
        {
            journal.sync();
            lastSyncOk = true;
            carriedUnsynced = false;
            if (journal.isDurable())
            {
                syncBatches.increment();
            }
            return true;
        }
        catch (final RuntimeException | AssertionError ex)
        {
            ioFailures.increment();
            lastSyncOk = false;
            LOG.error("journal sync failed: the batch is refused and its senders will retry", ex);
            return false;
        }
    }

    private static void markFailed(final List<WriteRequest> requests)
    {
        for (int i = 0; i < requests.size(); i++)
        {
            markFailed(requests.get(i));
        }
    }

    private static void markFailed(final WriteRequest request)
    {
        if (request instanceof WriteRequest.Append append)
        {
            append.result = AppendResult.IO_FAILURE;
        }
        else
        {
            ((WriteRequest.Outcome)request).written = false;
            request.fail(AppendResult.Status.FAILED_IO);
        }
    }

    private int write(final WriteRequest.Append request)
    {
        final ByteBuffer content = request.content;
        final Envelope envelope = request.envelope;
        if (content.remaining() > maxMessageBytes)
        {
            refusedTooLarge.increment();
            request.result = AppendResult.TOO_LARGE;
            return 0;
        }
        final List<RecipientStatus> statuses = Collections.nCopies(envelope.recipients().size(), RecipientStatus.NEW);
        final long estimate = JournalRecordCodec.messageOverhead(envelope, statuses)
            + content.remaining() + (long)JournalRecordCodec.HEADER_LENGTH * (1 + content.remaining() / chunkBytes);
        if (!diskGuard.admitMessage(estimate))
        {
            refusedDisk.increment();
            request.result = AppendResult.DISK_FULL;
            return 0;
        }
        if (!index.reserve(++appendsInBatch))
        {
            // Journaled, it could not be indexed: refused before anything is written or promised.
            refusedIndexFull.increment();
            request.result = AppendResult.OVERLOADED;
            return 0;
        }
        final long messageId = QueueIds.next(lastMessageId, clock.millis());
        lastMessageId = messageId;
        request.statuses = statuses;
        request.recordIndexes = journal.writeMessage(messageId, false, envelope, statuses, content, chunkBytes);
        request.recordBytes = journal.lastWriteBytes();
        request.headPosition = journal.lastHeadPosition();
        request.result = AppendResult.accepted(messageId);
        diskGuard.written(request.recordBytes);
        index.ledger().written(journal.cycleOf(request.recordIndexes[0]), request.recordBytes);
        messagesAppended.increment();
        bytesAppended.getAndAdd(content.remaining());
        return 1;
    }

    private int write(final WriteRequest.Outcome request)
    {
        if (!index.changes(request.messageId, request.recipientIndex))
        {
            return 0;
        }
        if (!diskGuard.admitOutcome(256 + request.status.detail().length() * 3L))
        {
            request.fail(AppendResult.Status.REFUSED_DISK_FULL);
            return 0;
        }
        final long recordIndex = journal.writeOutcome(request.messageId, request.recipientIndex, request.status);
        request.recordIndex = recordIndex;
        diskGuard.written(journal.lastWriteBytes());
        index.ledger().written(journal.cycleOf(recordIndex), journal.lastWriteBytes());
        outcomesAppended.increment();
        request.written = true;
        return 1;
    }

    private void complete(final WriteRequest request)
    {
        if (request instanceof WriteRequest.Append append)
        {
            final AppendResult result = append.result;
            if (result.isAccepted())
            {
                index.add(result.messageId(), append.recordIndexes, journal.cycleOf(append.recordIndexes[0]),
                    append.recordBytes, append.content.remaining(), append.envelope.receivedAtMillis(), append.statuses, null,
                    append.headPosition);
                messagesSynced.increment();
                pendingMessages.setOrdered(index.size());
                pendingBytes.setOrdered(index.pendingBytes());
                if (listener != SpoolListener.NONE)
                {
                    notify(new PendingMessage(result.messageId(), append.envelope, append.content.remaining(),
                        append.statuses), true);
                }
            }
            append.future.complete(result);
            return;
        }
        final WriteRequest.Outcome outcome = (WriteRequest.Outcome)request;
        if (outcome.future.isDone())
        {
            return;
        }
        if (outcome.written)
        {
            // The listener is told the whole new snapshot: read back before the index changes (a finished message
            // leaves it), then the outcome applied to it.
            final PendingMessage before = listener == SpoolListener.NONE ? null : reader.read(outcome.messageId);
            final int applied = index.apply(outcome.messageId, outcome.recipientIndex, outcome.status, outcome.recordIndex);
            pendingMessages.setOrdered(index.size());
            pendingBytes.setOrdered(index.pendingBytes());
            final PendingMessage after = applied == PendingIndex.UNCHANGED || before == null
                ? null : PendingReader.applied(before, outcome.recipientIndex, outcome.status);
            if (after != null)
            {
                if (applied == PendingIndex.APPLIED)
                {
                    reader.remember(after);
                }
                notify(after, false);
            }
        }
        outcome.future.complete(outcome.written);
    }

    private void notify(final PendingMessage message, final boolean accepted)
    {
        try
        {
            if (accepted)
            {
                listener.onAccepted(message);
            }
            else
            {
                listener.onOutcome(message);
            }
        }
        catch (final RuntimeException ex)
        {
            LOG.error("spool listener failed for {}", message.queueId(), ex);
        }
    }

    void updateGauges()
    {
        pendingMessages.setOrdered(index.size());
        pendingBytes.setOrdered(index.pendingBytes());
        final long oldest = index.oldestReceivedAtMillis();
        oldestPendingAgeMs.setOrdered(oldest < 0 ? 0 : Math.max(0, clock.millis() - oldest));
        offHeapBytes.setOrdered(index.offHeapBytes());
    }

    /**
     * Retention, oldest file first: a file goes once nothing in it is pending. Deleting only the oldest
     * keeps recovery sound, because an outcome record is never older than the message it is about. When
     * the pending messages in the oldest file are a small part of it, they are copied forward first.
     */
    private int retain()
    {
        final NavigableSet<Long> cycles = journal.cyclesOnDisk();
        if (cycles.size() < 2)
        {
            return 0;
        }
        final int oldest = cycles.first().intValue();
        final CycleLedger ledger = index.ledger();
        if (ledger.liveMessages(oldest) == 0 && (!carriedUnsynced || sync()))
        {
            try
            {
                if (journal.deleteCycle(oldest))
                {
                    diskGuard.refreshNow();
                    cyclesDeleted.increment();
                    LOG.info("retention deleted journal cycle {}: nothing in it is pending", oldest);
                }
                ledger.forget(oldest);
                return 1;
            }
            catch (final IOException ex)
            {
                ioFailures.increment();
                LOG.warn("retention could not delete journal cycle {}", oldest, ex);
                return 0;
            }
        }
        if (oldest != carryingCycle && ledger.liveBytes(oldest) <= compactionLiveRatio * ledger.writtenBytes(oldest))
        {
            // The duty cycle copies it forward slice by slice from now on (see CARRY_BYTES_PER_SLICE).
            carryingCycle = oldest;
            lastCarryNs = System.nanoTime();
            return carryForward(oldest);
        }
        return 0;
    }

    /**
     * Copies one slice of the pending messages of {@code cycle} forward. Not synced here: the next batch's msync (or the
     * next maintenance's) covers the copies, and the originals stay until one has ({@link #carriedUnsynced}).
     */
    private int carryForward(final int cycle)
    {
        final long startNs = System.nanoTime();
        long budget = CARRY_BYTES_PER_SLICE;
        int carried = 0;
        LongArrayList ids = index.inCycle(cycle, idLimit(cycle), CARRY_IDS_PER_SLICE);
        if (ids.isEmpty() && index.ledger().liveMessages(cycle) > 0)
        {
            // Ids ran ahead of the clock (thousands in one millisecond): look through every entry.
            ids = index.inCycle(cycle, Long.MAX_VALUE, CARRY_IDS_PER_SLICE);
        }
        final PendingSlot slot = new PendingSlot();
        for (int i = 0; i < ids.size(); i++)
        {
            final long messageId = ids.getLong(i);
            if (!index.read(messageId, slot))
            {
                continue;
            }
            if (budget <= 0 || carried > 0 && System.nanoTime() - startNs >= CARRY_SLICE_NS
                || !diskGuard.admitMaintenance(slot.recordBytes()))
            {
                break;
            }
            final PendingMessage snapshot = reader.snapshot(slot);
            final ByteBuffer content;
            try
            {
                if (snapshot == null)
                {
                    throw new IOException("its envelope cannot be read back");
                }
                content = journal.readContent(messageId, slot.recordIndexes(), slot.contentLength());
            }
            catch (final IOException ex)
            {
                // Never drop pending mail silently: the file stays, and the operator sees why.
                ioFailures.increment();
                LOG.error("retention cannot carry {} forward; journal cycle {} is kept", QueueIds.format(messageId), cycle, ex);
                carryingCycle = Integer.MIN_VALUE;
                return carried;
            }
            final long[] indexes = journal.writeMessage(
                messageId, true, snapshot.envelope(), snapshot.recipients(), content, chunkBytes);
            final long bytes = journal.lastWriteBytes();
            diskGuard.written(bytes);
            final int newCycle = journal.cycleOf(indexes[0]);
            index.ledger().written(newCycle, bytes);
            index.relocate(messageId, indexes, newCycle, bytes, snapshot.recipients());
            carriedForward.increment();
            budget -= bytes;
            carried++;
        }
        if (carried > 0)
        {
            carriedUnsynced = true;
        }
        if (index.ledger().liveMessages(cycle) == 0)
        {
            carryingCycle = Integer.MIN_VALUE;
        }
        return carried;
    }

    /** @return an id no message in {@code cycle} can have: ids come from the clock, which never runs ahead of the journal's. */
    private long idLimit(final int cycle)
    {
        final long endMillis = journal.cycleStartMillis(cycle + 1) + ID_CLOCK_SLACK_MS;
        return endMillis >= Long.MAX_VALUE >>> QueueIds.SEQUENCE_BITS ? Long.MAX_VALUE : endMillis << QueueIds.SEQUENCE_BITS;
    }
}
