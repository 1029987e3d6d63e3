package io.sluice.benchmarks.spool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.sluice.spool.AppendResult;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Append latency when acknowledging on write ({@link Durability#ACK_ON_WRITE}: no msync), one producer,
 * 1 KiB messages: from {@code append} to its future completing on the journal writer thread. JMH's
 * SampleTime mode prints the distribution (p50, p90, p99, p99.9, ...). Target: p99 under 10 µs.
 *
 * <ul>
 *   <li>{@code appendSpinWait} busy-waits on the future, so it measures the spool (hand-off through the
 *   MPSC queue, journal write, index update, completion) without the waiter's own wake-up.</li>
 *   <li>{@code appendJoin} blocks in {@code join()}, which parks the producer thread: it adds an
 *   unpark/wake-up, which is what a caller that blocks on the future pays.</li>
 * </ul>
 *
 * <p>Every appended message stays pending, so the journal and the in-heap index grow for the whole run.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar AckOnWriteAppendLatencyBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(1)
@Threads(1)
@State(Scope.Benchmark)
public class AckOnWriteAppendLatencyBenchmark
{
    @Param({"1024"})
    public int messageBytes;

    private Path directory;
    private Spool spool;
    private Envelope envelope;
    private ByteBuffer body;

    @Setup(Level.Trial)
    public void open() throws IOException
    {
        directory = BenchmarkSpools.newDirectory("sluice-bench-ack-");
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
                spool.close();
            }
        }
        finally
        {
            BenchmarkSpools.deleteRecursively(directory);
        }
    }

    @Benchmark
    public AppendResult appendSpinWait()
    {
        final CompletableFuture<AppendResult> future = spool.append(envelope, body.duplicate());
        while (!future.isDone())
        {
            Thread.onSpinWait();
        }
        return BenchmarkSpools.requireAccepted(future.join());
    }

    @Benchmark
    public AppendResult appendJoin()
    {
        return BenchmarkSpools.requireAccepted(spool.append(envelope, body.duplicate()).join());
    }
}
