package io.sluice.benchmarks.spool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
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
    private long dirtiedAtStart;

    @Setup(Level.Trial)
    public void open() throws IOException
    {
        directory = BenchmarkSpools.newDirectory("sluice-bench-" + durability().name().toLowerCase(Locale.ROOT) + "-");
        spool = Spool.open(new SpoolContext().directory(directory).durability(durability()));
        envelope = BenchmarkSpools.envelope();
        body = BenchmarkSpools.body(messageBytes);
        dirtiedAtStart = bytesDirtied();
    }

    /**
     * @return the bytes of page cache this process has dirtied ({@code write_bytes} of {@code /proc/self/io}: counted
     *         per folio, so it shows an msync's write-back amplification), or -1 where the kernel does not say.
     */
    private static long bytesDirtied()
    {
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc/self/io")))
            {
                if (line.startsWith("write_bytes:"))
                {
                    return Long.parseLong(line.substring("write_bytes:".length()).trim());
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            // Not Linux, or no task I/O accounting: the figure is left out.
        }
        return -1;
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
                final long dirtied = bytesDirtied();
                if (dirtiedAtStart >= 0 && dirtied >= 0 && messages > 0)
                {
                    System.out.printf("page cache dirtied (write_bytes of /proc/self/io): %,.1f KiB per msync, %,.1f KiB per"
                        + " message of %,d bytes%n", (dirtied - dirtiedAtStart) / 1024.0 / Math.max(1, batches),
                        (dirtied - dirtiedAtStart) / 1024.0 / messages, messageBytes);
                }
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
