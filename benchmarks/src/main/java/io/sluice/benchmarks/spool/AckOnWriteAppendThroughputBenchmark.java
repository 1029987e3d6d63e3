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
 * Non-durable append throughput ({@link Durability#ACK_ON_WRITE}: the future completes once the record is in the
 * mapped file, no msync; it survives {@code kill -9}, not a power cut): each producer appends and waits for its
 * future, 1, 8 or 32 producers, 1 KiB, 4 KiB and 64 KiB. The twin of {@link DurableAppendBenchmark}, with short
 * iterations because every message stays pending: at memory speed a 64 KiB run writes gigabytes a second, and
 * the spool's disk guard would start refusing (and the benchmark fail) on a small disk.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar AckOnWriteAppendThroughputBenchmark -p messageBytes=4096
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class AckOnWriteAppendThroughputBenchmark
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
        directory = BenchmarkSpools.newDirectory("sluice-bench-ackonwrite-");
        spool = Spool.open(new SpoolContext().directory(directory).durability(Durability.ACK_ON_WRITE));
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
