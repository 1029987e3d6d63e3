package io.sluice.benchmarks.spool;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.sluice.spool.AppendResult;
import io.sluice.spool.Envelope;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolContext;
import io.sluice.spool.SpoolCounter;

/**
 * The large-backlog harness (issue 18): fill a spool with many pending 4 KiB messages, kill the filling JVM with
 * {@code kill -9}, recover, check that nothing acknowledged is lost, and drain a sample. Run by
 * {@code benchmarks/backlog-10m.sh} and by {@code BacklogHarnessTest}, each phase in its own JVM so that the fill's
 * heap is measured under the launcher's {@code -Xmx1g}.
 *
 * <ul>
 *   <li>{@code fill DIR COUNT [BYTES]}: appends messages of BYTES (default 4,096) with the spool at its shipped
 *   defaults (durable), 4,096 in flight, and prints
 *   {@code P n} each time the first n appends are all acknowledged, then {@code FILLED n ms heapBytes} once COUNT are;
 *   it then goes on appending until it is killed, so the kill lands with appends in flight.</li>
 *   <li>{@code recover DIR ACKED SAMPLE}: opens the spool (timed), checks that every message numbered below ACKED is
 *   pending exactly once, loads the drain's scheduler, times its pick, and drains SAMPLE messages through the
 *   journal (content read back and checked, outcome journaled); prints {@code RESULT key value} lines.</li>
 * </ul>
 *
 * <p>The message number travels in the envelope's sender, so the check reads no bodies.
 */
public final class Backlog
{
    /** Appends in flight at once while filling: well under the writer queue's capacity (65,536 by default). */
    static final int FILL_WINDOW = 4096;
    static final int MESSAGE_BYTES = 4096;
    /** Distinct sources the backlog comes from, so the drain's tree has many queues, as after a flood. */
    static final int SOURCES = 10_000;
    private static final String SENDER_PREFIX = "s";
    private static final String SENDER_DOMAIN = "@backlog.example.org";

    private Backlog()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        if (args.length >= 3 && args[0].equals("fill"))
        {
            fill(Path.of(args[1]), Long.parseLong(args[2]), args.length > 3 ? Integer.parseInt(args[3]) : MESSAGE_BYTES);
        }
        else if (args.length >= 4 && args[0].equals("recover"))
        {
            final Report report = recover(Path.of(args[1]), Long.parseLong(args[2]), Integer.parseInt(args[3]));
            report.print();
        }
        else
        {
            System.err.println("usage: Backlog fill DIR COUNT [BYTES] | Backlog recover DIR ACKED SAMPLE");
            System.exit(64);
        }
    }

    /** @return the envelope of message number {@code n}. */
    static Envelope envelope(final long n)
    {
        final int source = (int)(n % SOURCES);
        return new Envelope("10.0." + (source >>> 8) + "." + (source & 0xFF), "default", "mail",
            SENDER_PREFIX + n + SENDER_DOMAIN, List.of("rcpt@example.net"), System.currentTimeMillis());
    }

    /** @return the message number in an envelope {@link #envelope} made, or -1. */
    static long numberOf(final Envelope envelope)
    {
        final String sender = envelope.sender();
        if (!sender.startsWith(SENDER_PREFIX) || !sender.endsWith(SENDER_DOMAIN))
        {
            return -1;
        }
        return Long.parseLong(sender, SENDER_PREFIX.length(), sender.length() - SENDER_DOMAIN.length(), 10);
    }

    private static void fill(final Path directory, final long count, final int bodyBytes)
    {
        final SpoolContext context = new SpoolContext().directory(directory);
        System.out.println("# spool at its defaults: durability " + context.durability() + ", max heap "
            + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB, messages of " + bodyBytes + " bytes"
            + (bodyBytes == MESSAGE_BYTES ? "" : " (NOT the issue's 4 KiB: the heap index's size does not depend on it)"));
        final ByteBuffer body = BenchmarkSpools.body(bodyBytes);
        final List<CompletableFuture<AppendResult>> window = new ArrayList<>(FILL_WINDOW);
        final long progressEvery = Math.max(FILL_WINDOW, count / 100);
        long nextProgress = progressEvery;
        final Spool spool = Spool.open(context);
        // The fill rate is the appends' own: opening the spool took 13 s once at load 30.
        final long startNs = System.nanoTime();
        for (long acked = 0; ; )
        {
            window.clear();
            for (int i = 0; i < FILL_WINDOW; i++)
            {
                window.add(spool.append(envelope(acked + i), body.duplicate()));
            }
            for (final CompletableFuture<AppendResult> future : window)
            {
                final AppendResult result = future.join();
                if (!result.isAccepted())
                {
                    System.out.println("REFUSED " + acked + " " + result.status());
                    System.exit(2);
                }
            }
            final long before = acked;
            acked += FILL_WINDOW;
            if (before < count && acked >= count)
            {
                final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
                System.out.println("P " + acked);
                System.out.println("FILLED " + acked + " " + ms + " " + heapUsedAfterGc());
            }
            else if (acked >= nextProgress || acked > count)
            {
                nextProgress += progressEvery;
                System.out.println("P " + acked);
            }
        }
    }

    /**
     * A periodic checkpoint of the whole backlog taken while one client appends, durable, one message at a time: the
     * slowest append says how long the journal writer stood still for it (the log line says what the writer spent).
     * The interval is opened to 1 s for this step only, so that the checkpoint comes while the appends run.
     */
    private static void checkpointWhileAppending(final Path directory)
    {
        final SpoolContext context = new SpoolContext().directory(directory).checkpointIntervalMs(1_000);
        System.out.println("# checkpoint step: spool.checkpointIntervalMs opened to 1000 (default "
            + SpoolContext.CHECKPOINT_INTERVAL_MS.defaultValue() + ") so a checkpoint comes while appends run");
        try (Spool spool = Spool.open(context))
        {
            final ByteBuffer body = BenchmarkSpools.body(MESSAGE_BYTES);
            final long before = spool.counters().get(SpoolCounter.INDEX_CHECKPOINTS);
            long maxNs = 0;
            long appends = 0;
            long totalNs = 0;
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            // Appends until two checkpoints have been written: the first may have begun before the appends did.
            while (spool.counters().get(SpoolCounter.INDEX_CHECKPOINTS) < before + 2 && System.nanoTime() < deadlineNs)
            {
                final long startNs = System.nanoTime();
                final AppendResult result = spool.append(envelope(Integer.MAX_VALUE + appends), body.duplicate()).join();
                final long tookNs = System.nanoTime() - startNs;
                if (!result.isAccepted())
                {
                    throw new IllegalStateException("append refused during the checkpoint step: " + result.status());
                }
                maxNs = Math.max(maxNs, tookNs);
                totalNs += tookNs;
                appends++;
            }
            System.out.printf(Locale.ROOT, "RESULT checkpointsWhileAppending %d%nRESULT appendsDuringCheckpoints %d%n"
                    + "RESULT appendMeanMicros %d%nRESULT appendMaxMicros %d%n",
                spool.counters().get(SpoolCounter.INDEX_CHECKPOINTS) - before, appends,
                appends == 0 ? 0 : totalNs / appends / 1_000, maxNs / 1_000);
        }
    }

    /** What a recovery found and cost. */
    record Report(
        long acked, long recoveryMs, long pending, long heapAfterRecovery, long missing, long duplicates,
        long pickNanos, long picks, long heapAfterLoad, int sampleDrained, int sampleBad, long pendingAfterDrain,
        long recoveryFromCheckpointMs)
    {
        void print()
        {
            System.out.printf(Locale.ROOT, "RESULT acked %d%nRESULT recoveryMs %d%nRESULT pending %d%n"
                    + "RESULT heapAfterRecoveryMiB %d%nRESULT missing %d%nRESULT duplicates %d%n"
                    + "RESULT heapAfterDrainLoadMiB %d%nRESULT pickNanos %d%nRESULT picks %d%n"
                    + "RESULT sampleDrained %d%nRESULT sampleBad %d%nRESULT pendingAfterDrain %d%n"
                    + "RESULT recoveryFromCheckpointMs %d%n",
                acked, recoveryMs, pending, heapAfterRecovery >> 20, missing, duplicates, heapAfterLoad >> 20, pickNanos,
                picks, sampleDrained, sampleBad, pendingAfterDrain, recoveryFromCheckpointMs);
        }
    }

    static Report recover(final Path directory, final long acked, final int sample) throws IOException
    {
        final long startNs = System.nanoTime();
        try (Spool spool = Spool.open(new SpoolContext().directory(directory)))
        {
            final long recoveryMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
            final long pending = spool.pendingCount();
            final long heapAfterRecovery = heapUsedAfterGc();
            final BitSet seen = new BitSet();
            long duplicates = 0;
            for (final PendingMessage message : spool.pendingAfter(Long.MIN_VALUE, false))
            {
                final long n = numberOf(message.envelope());
                if (n >= 0 && n < Integer.MAX_VALUE)
                {
                    if (seen.get((int)n))
                    {
                        duplicates++;
                    }
                    seen.set((int)n);
                }
            }
            final long missing = acked - seen.get(0, (int)Math.min(acked, Integer.MAX_VALUE)).cardinality();
            final BacklogDrain drain = new BacklogDrain(spool);
            final long heapAfterLoad = heapUsedAfterGc();
            final BacklogDrain.Picks picks = drain.timePicks(Math.min(100_000, pending));
            final BacklogDrain.Sample drained = drain.drainSample(sample);
            final long pendingAfterDrain = spool.pendingCount();
            spool.close();
            // The clean stop wrote the pending-index checkpoint: a second start loads it instead of replaying.
            final long reopenNs = System.nanoTime();
            final long pendingFromCheckpoint;
            try (Spool reopened = Spool.open(new SpoolContext().directory(directory)))
            {
                pendingFromCheckpoint = reopened.pendingCount();
            }
            final long fromCheckpointMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - reopenNs);
            checkpointWhileAppending(directory);
            if (pendingFromCheckpoint != pendingAfterDrain)
            {
                throw new IllegalStateException("the checkpoint start found " + pendingFromCheckpoint + " pending, the"
                    + " spool held " + pendingAfterDrain);
            }
            return new Report(acked, recoveryMs, pending, heapAfterRecovery, missing, duplicates, picks.nanosPerPick(),
                picks.count(), heapAfterLoad, drained.drained(), drained.bad(), pendingAfterDrain, fromCheckpointMs);
        }
    }

    static long heapUsedAfterGc()
    {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** The delivered outcome the sample's drain journals. */
    static RecipientStatus delivered()
    {
        return RecipientStatus.delivered(1, "250 2.0.0 ok");
    }
}
