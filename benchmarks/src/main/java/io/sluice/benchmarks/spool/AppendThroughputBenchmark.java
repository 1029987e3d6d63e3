package io.sluice.benchmarks.spool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Locale;

import io.sluice.spool.AppendResult;
import io.sluice.spool.Durability;
import io.sluice.spool.Envelope;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolContext;
import io.sluice.spool.SpoolCounter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * Append throughput with each producer waiting for its future, as an SMTP session waits before answering
 * {@code 250}: 1, 8 or 32 producer threads (the three methods), 1 KiB, 4 KiB or 64 KiB messages, each on its own new
 * spool. The subclasses choose the durability and how long to run (JMH's benchmark inheritance). The spool keeps
 * every message pending, so a run writes (throughput x message size x run time) to disk and holds an index entry
 * per message in heap.
 */
@State(Scope.Benchmark)
public abstract class AppendThroughputBenchmark
{
    @Param({"1024", "4096", "65536"})
    public int messageBytes;

    private Path directory;
    private Spool spool;
    private Envelope envelope;
    private ByteBuffer body;

    @Setup(Level.Trial)
    public void open() throws IOException
    {
        directory = BenchmarkSpools.newDirectory("sluice-bench-" + durability().name().toLowerCase(Locale.ROOT) + "-");
        spool = Spool.open(new SpoolContext().directory(directory).durability(durability()));
        envelope = BenchmarkSpools.envelope();
        body = BenchmarkSpools.body(messageBytes);
    }

    /** @return the durability the spool runs with */
    protected abstract Durability durability();

    @TearDown(Level.Trial)
    public void close() throws IOException
    {
        try
        {
            if (spool != null)
            {
                final long messages = spool.counters().get(SpoolCounter.MESSAGES_SYNCED);
                final long batches = spool.counters().get(SpoolCounter.SYNC_BATCHES);
                System.out.printf("%n%,d messages in %,d msyncs: %.1f messages per group commit%n",
                    messages, batches, batches == 0 ? 0.0 : (double)messages / batches);
                spool.close();
            }
        }
        finally
        {
            BenchmarkSpools.deleteRecursively(directory);
        }
    }

    @Benchmark
    @Threads(1)
    public AppendResult producers01()
    {
        return append();
    }

    @Benchmark
    @Threads(8)
    public AppendResult producers08()
    {
        return append();
    }

    @Benchmark
    @Threads(32)
    public AppendResult producers32()
    {
        return append();
    }

    private AppendResult append()
    {
        // duplicate(): each producer gets its own position and limit over the one shared, unchanging body.
        return BenchmarkSpools.requireAccepted(spool.append(envelope, body.duplicate()).join());
    }
}
