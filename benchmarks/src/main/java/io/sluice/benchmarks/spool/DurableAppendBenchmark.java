package io.sluice.benchmarks.spool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.sluice.spool.AppendResult;
import io.sluice.spool.Durability;
import io.sluice.spool.Envelope;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolContext;
import io.sluice.spool.SpoolCounter;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Durable append throughput: each producer thread appends a message and waits for its future, as an SMTP
 * session waits before answering {@code 250}. With {@link Durability#DURABLE} (the default) that future
 * completes only after the msync covering the record, so concurrent producers share msyncs (group commit)
 * and throughput should grow with their number. Target on a 2-core machine: at least 25,000 appends/s with
 * 8 producers and 4 KiB messages.
 *
 * <p>The three methods differ only in the number of producer threads (1, 8, 32); each runs on its own new
 * spool, for each size (1 KiB, 4 KiB, 64 KiB; just one: {@code -p messageBytes=4096}). The spool keeps every
 * message pending, so a run writes (throughput x message size x run time) to disk and holds an index entry per message in heap.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar DurableAppendBenchmark
 * java -jar benchmarks/target/benchmarks.jar DurableAppendBenchmark.producers08 -p messageBytes=1024,4096,65536
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(1)
@State(Scope.Benchmark)
public class DurableAppendBenchmark
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
        directory = BenchmarkSpools.newDirectory("sluice-bench-durable-");
        spool = Spool.open(new SpoolContext().directory(directory).durability(Durability.DURABLE));
        envelope = BenchmarkSpools.envelope();
        body = BenchmarkSpools.body(messageBytes);
    }

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
