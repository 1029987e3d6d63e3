package io.sluice.spool;

import java.io.File;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import net.openhft.chronicle.bytes.MappedBytesStore;
import net.openhft.chronicle.core.io.ReferenceOwner;
import net.openhft.posix.MSyncFlag;
import net.openhft.posix.PosixAPI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commits with several syncs in flight. The journal writer writes a batch of appends and hands it here; a sync
 * thread makes it durable with {@code fdatasync} of the cycle file(s) it was written to, while the writer already
 * writes the next batch. Batches are retired, and their futures completed, on the writer thread and in the order they
 * were written, so the index and the listener see what they saw with one sync at a time.
 *
 * <p>Why: a producer that waits for its ack (an SMTP session before {@code 250}) can only share a sync with
 * the appends that arrived while the previous sync ran, so with one sync at a time each message waits for the sync in
 * progress and then its own. On this VM's ext4 disk, concurrent syncs of one file overlap (jbd2 joins their
 * commits): one at a time managed 190-290 a second, four at once 910-1,130 (the 2026-12-05 session 4 results).
 *
 * <p>A batch whose records lie in one mapped block is synced with {@code msync(MS_SYNC)} of just the pages it wrote,
 * as Chronicle's own sync does; Chronicle's sync keeps one "synced up to" mark and is not safe to call from several
 * threads, so this class calls {@code msync} itself, holding a reference on the block so that it stays mapped. A
 * batch that crossed into another block or file is synced with {@code fdatasync} of each file it wrote to: on Linux
 * that writes every page dirtied through the mapping before the call, a superset of the range. Not the whole file
 * every time: every batch dirties the file's header (its write position), and concurrent syncs of one page wait for
 * each other.
 *
 * <p>Everything but {@link SyncBatch#run} runs on the writer thread.
 */
final class GroupCommits implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(GroupCommits.class);
    /** Syncs in flight at once: four overlapped best on the 2-core VM (see the class comment); more add only threads. */
    static final int MAX_IN_FLIGHT = 4;

    /** msync wants a page-aligned address; 4 KiB pages on the platforms the appliance runs on. */
    private static final long PAGE_SIZE = 4096;

    private final Journal journal;
    private final ExecutorService syncThreads;
    private final ArrayDeque<SyncBatch> inFlight = new ArrayDeque<>(MAX_IN_FLIGHT);
    private final ArrayDeque<SyncBatch> free = new ArrayDeque<>(MAX_IN_FLIGHT);
    /** Open channels of the cycle files written lately, so a sync costs no open and close. */
    private final Map<Integer, FileChannel> channels = new HashMap<>();
    private volatile Thread writerThread;

    GroupCommits(final Journal journal, final int maxBatch)
    {
        this.journal = journal;
        final AtomicInteger threadNumber = new AtomicInteger();
        syncThreads = Executors.newFixedThreadPool(MAX_IN_FLIGHT, task ->
        {
            final Thread thread = new Thread(task, "sluice-journal-sync-" + threadNumber.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        for (int i = 0; i < MAX_IN_FLIGHT; i++)
        {
            free.add(new SyncBatch(maxBatch));
        }
    }

    /** Called on the writer thread before its first duty cycle: a finished sync unparks it. */
    void onWriterStart()
    {
        writerThread = Thread.currentThread();
    }

    /** @return a batch to fill, or null while {@link #MAX_IN_FLIGHT} syncs are in flight. */
    SyncBatch take()
    {
        final SyncBatch batch = free.poll();
        if (batch != null)
        {
            batch.reset();
        }
        return batch;
    }

    /** Gives back a batch that was taken and not submitted. */
    void giveBack(final SyncBatch batch)
    {
        free.push(batch);
    }

    /** Starts the sync of a written batch; it must have written to at least one cycle. */
    void submit(final SyncBatch batch)
    {
        try
        {
            for (int i = 0; batch.block == null && i < batch.cycleCount; i++)
            {
                batch.syncChannels[i] = channel(batch.cycles[i]);
            }
        }
        catch (final IOException ex)
        {
            LOG.error("cannot open a journal file to sync it: the batch is refused and its senders will retry", ex);
            batch.failed = true;
            batch.done = true;
            inFlight.add(batch);
            return;
        }
        inFlight.add(batch);
        syncThreads.execute(batch);
    }

    boolean isEmpty()
    {
        return inFlight.isEmpty();
    }

    /**
     * Retires the oldest batch if its sync finished. A failed sync fails every batch in flight with it too: after a
     * failed {@code fdatasync} Linux reports the error to one caller only and may have marked the lost pages clean,
     * so a concurrent sync's success proves nothing.
     *
     * @return the retired batch, to complete and then {@link #giveBack}; null if the oldest is still syncing.
     */
    SyncBatch retire()
    {
        final SyncBatch oldest = inFlight.peek();
        if (oldest == null || !oldest.done)
        {
            return null;
        }
        inFlight.poll();
        if (oldest.failed)
        {
            for (final SyncBatch other : inFlight)
            {
                other.poisoned = true;
            }
        }
        return oldest;
    }

    /** Waits, on the writer thread, until the oldest batch in flight is synced. */
    void awaitOldest()
    {
        final SyncBatch oldest = inFlight.peek();
        while (oldest != null && !oldest.done)
        {
            LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    /** Closes the channels of every cycle but the one written last; only while nothing is in flight. */
    void closeOldChannels()
    {
        final Iterator<Map.Entry<Integer, FileChannel>> entries = channels.entrySet().iterator();
        while (entries.hasNext())
        {
            final Map.Entry<Integer, FileChannel> entry = entries.next();
            if (entry.getKey() != journal.lastWrittenCycle())
            {
                closeQuietly(entry.getValue());
                entries.remove();
            }
        }
    }

    private FileChannel channel(final int cycle) throws IOException
    {
        FileChannel channel = channels.get(cycle);
        if (channel == null)
        {
            final File file = journal.fileOf(cycle);
            if (file == null)
            {
                throw new IOException("journal cycle " + cycle + " has no file");
            }
            channel = FileChannel.open(file.toPath(), StandardOpenOption.WRITE);
            channels.put(cycle, channel);
        }
        return channel;
    }

    /** Stops the sync threads; the writer has retired everything in flight first. */
    @Override
    public void close()
    {
        syncThreads.shutdown();
        try
        {
            if (!syncThreads.awaitTermination(30, TimeUnit.SECONDS))
            {
                LOG.warn("journal sync threads did not stop within 30 s");
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        for (final FileChannel channel : channels.values())
        {
            closeQuietly(channel);
        }
        channels.clear();
    }

    private static void closeQuietly(final FileChannel channel)
    {
        try
        {
            channel.close();
        }
        catch (final IOException ex)
        {
            LOG.warn("closing a journal file's sync channel failed", ex);
        }
    }

    /** One group commit: its requests, the cycle files they went to, and how their sync ended. */
    final class SyncBatch implements Runnable, ReferenceOwner
    {
        final List<WriteRequest> requests;
        /** The cycle files the batch wrote to: one, or two when the journal rolled in it. */
        private int[] cycles = new int[2];
        private FileChannel[] syncChannels = new FileChannel[2];
        private int cycleCount;
        /** The mapped block holding all the batch's records, reserved until synced; null to sync whole files. */
        private MappedBytesStore block;
        private long blockFrom;
        private long blockTo;
        private volatile boolean done;
        private volatile boolean failed;
        /** Set when a batch in flight beside it failed: this one is refused too. */
        private boolean poisoned;

        SyncBatch(final int maxBatch)
        {
            requests = new ArrayList<>(maxBatch);
        }

        private void reset()
        {
            requests.clear();
            cycleCount = 0;
            block = null;
            done = false;
            failed = false;
            poisoned = false;
        }

        /** Notes a cycle file this batch wrote to. */
        void wroteTo(final int cycle)
        {
            for (int i = 0; i < cycleCount; i++)
            {
                if (cycles[i] == cycle)
                {
                    return;
                }
            }
            if (cycleCount == cycles.length)
            {
                // Several rolls in one batch: only when a test moves the clock by cycles at a time.
                cycles = Arrays.copyOf(cycles, cycleCount * 2);
                syncChannels = Arrays.copyOf(syncChannels, cycleCount * 2);
            }
            cycles[cycleCount++] = cycle;
        }

        /**
         * Notes where the batch's records lie, from the appender's block and position before and after writing them:
         * if in one block, only those pages are synced.
         */
        void wroteBetween(final MappedBytesStore before, final long from, final MappedBytesStore after, final long to)
        {
            if (before != null && before == after && cycleCount == 1 && to > from && before.tryReserve(this))
            {
                block = before;
                blockFrom = from;
                blockTo = to;
            }
        }

        boolean wroteAnything()
        {
            return cycleCount > 0;
        }

        /** @return true if the batch's records are durable: its own sync and every sync in flight beside it succeeded. */
        boolean isDurable()
        {
            return !failed && !poisoned;
        }

        private void syncBlock() throws IOException
        {
            final long address = block.addressForRead(blockFrom);
            final long pageStart = address & -PAGE_SIZE;
            final long length = address + (blockTo - blockFrom) - pageStart;
            final int rc = PosixAPI.posix().msync(pageStart, length, MSyncFlag.MS_SYNC);
            if (rc != 0)
            {
                throw new IOException("msync of " + length + " bytes at file position " + blockFrom + " failed: " + rc);
            }
        }

        /** On a sync thread: {@code fdatasync} of each file the batch wrote to, then wakes the writer. */
        @Override
        public void run()
        {
            try
            {
                if (block != null)
                {
                    syncBlock();
                }
                else
                {
                    for (int i = 0; i < cycleCount; i++)
                    {
                        syncChannels[i].force(false);
                    }
                }
            }
            catch (final IOException | RuntimeException ex)
            {
                LOG.error("journal sync failed: the batch is refused and its senders will retry", ex);
                failed = true;
            }
            finally
            {
                if (block != null)
                {
                    block.release(this);
                }
                done = true;
                final Thread writer = writerThread;
                if (writer != null)
                {
                    LockSupport.unpark(writer);
                }
            }
        }
    }
}
