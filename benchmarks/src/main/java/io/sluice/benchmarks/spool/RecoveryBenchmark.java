package io.sluice.benchmarks.spool;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.sluice.spool.Durability;
import io.sluice.spool.Envelope;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolContext;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Recovery time: how long {@link Spool#open} takes on a journal holding {@code pendingMessages} unfinished
 * 256-byte messages, i.e. how long a restarted appliance needs before it can take mail again. The journal is
 * written once per trial; each iteration then opens it (timed) and closes it (untimed). Target: under 3 s
 * with 1,000,000 pending.
 *
 * <p>The journal was just written, so it is in the page cache: this is a warm-cache figure. The warm-up
 * iteration is the JIT-cold open a restarted JVM performs; for several cold opens use
 * {@code -wi 0 -i 1 -f 5} (each fork writes its own journal first). {@code checkpoint=true} opens from the pending-index
 * checkpoint the last clean stop wrote (nothing to replay after it); {@code false} deletes it first, so the whole
 * journal is replayed, as after a crash with no checkpoint.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar RecoveryBenchmark
 * java -jar benchmarks/target/benchmarks.jar RecoveryBenchmark -p pendingMessages=1000000 -wi 0 -i 1 -f 3
 * </pre>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 5)
@Fork(1)
@State(Scope.Benchmark)
public class RecoveryBenchmark
{
    /** Appends in flight at once while writing the journal: well under the writer queue's capacity. */
    private static final int PREPARE_WINDOW = 8192;
    private static final int BODY_BYTES = 256;

    @Param({"100000", "1000000"})
    public int pendingMessages;

    @Param({"true", "false"})
    public boolean checkpoint;

    private Path directory;
    private Spool spool;

    @Setup(Level.Iteration)
    public void dropCheckpoint() throws IOException
    {
        if (!checkpoint)
        {
            java.nio.file.Files.deleteIfExists(directory.resolve(Spool.CHECKPOINT_FILE_NAME));
        }
    }

    @Setup(Level.Trial)
    public void writeJournal() throws IOException
    {
        directory = BenchmarkSpools.newDirectory("sluice-bench-recovery-");
        final long startNs = System.nanoTime();
        try (Spool writer = Spool.open(new SpoolContext().directory(directory).durability(Durability.ACK_ON_WRITE)))
        {
            final Envelope envelope = BenchmarkSpools.envelope();
            BenchmarkSpools.appendAll(writer, pendingMessages, PREPARE_WINDOW, n -> envelope, BenchmarkSpools.body(BODY_BYTES));
            if (writer.pendingCount() != pendingMessages)
            {
                throw new IllegalStateException("expected " + pendingMessages + " pending, found " + writer.pendingCount());
            }
        }
        System.out.printf("%nwrote a journal of %,d pending messages in %,d ms%n",
            pendingMessages, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
    }

    @TearDown(Level.Trial)
    public void deleteJournal() throws IOException
    {
        closeSpool();
        BenchmarkSpools.deleteRecursively(directory);
    }

    @TearDown(Level.Iteration)
    public void closeSpool()
    {
        if (spool != null)
        {
            spool.close();
            spool = null;
        }
    }

    @Benchmark
    public int open()
    {
        spool = Spool.open(new SpoolContext().directory(directory));
        final int recovered = spool.pendingCount();
        if (recovered != pendingMessages)
        {
            throw new IllegalStateException("expected " + pendingMessages + " pending after recovery, found " + recovered);
        }
        return recovered;
    }
}
