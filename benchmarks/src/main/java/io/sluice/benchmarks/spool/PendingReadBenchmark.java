package io.sluice.benchmarks.spool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import io.sluice.spool.Durability;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolContext;
import io.sluice.spool.SpoolListener;
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
 * What reading a pending message back costs now that the spool's index keeps no envelope (issue 18): {@code pending}
 * is {@code Spool.pending(id)} of a random pending message (its head record read and decoded from the journal),
 * {@code pendingAndContent} adds the body as the drain's dispatch does, {@code nextPage} reads 100 messages through
 * {@code pendingAfter} as a console page does, and {@code dispatchAndDefer} is the drain's round trip: the snapshot
 * read by id, then a deferral journaled and waited for, with a listener that (like the drain's) is told the new
 * snapshot, which the journal writer builds. 4 KiB messages, one recipient; the journal is in the page cache.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar PendingReadBenchmark -p pendingMessages=1000000
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class PendingReadBenchmark
{
    private static final int PREPARE_WINDOW = 8192;
    private static final int BODY_BYTES = 4096;
    private static final int PAGE = 100;

    @Param({"100000"})
    public int pendingMessages;

    private Path directory;
    private Spool spool;
    private long[] ids;

    @Setup(Level.Trial)
    public void fill() throws IOException
    {
        directory = BenchmarkSpools.newDirectory("sluice-bench-pending-read-");
        // A listener other than NONE: the writer builds each outcome's snapshot for it, as for the drain.
        spool = Spool.open(new SpoolContext().directory(directory).durability(Durability.ACK_ON_WRITE),
            new SpoolListener()
            {
            });
        BenchmarkSpools.appendAll(spool, pendingMessages, PREPARE_WINDOW, n -> BenchmarkSpools.envelope(),
            BenchmarkSpools.body(BODY_BYTES));
        ids = new long[pendingMessages];
        final int[] n = {0};
        spool.forEachPendingId(id -> ids[n[0]++] = id);
    }

    @TearDown(Level.Trial)
    public void delete() throws IOException
    {
        spool.close();
        BenchmarkSpools.deleteRecursively(directory);
    }

    private int next;
    private int attempt;

    @Benchmark
    public boolean dispatchAndDefer()
    {
        if (next == ids.length)
        {
            next = 0;
            attempt++;
        }
        final long id = ids[next++];
        spool.pending(id);
        return spool.recordOutcome(id, 0, RecipientStatus.deferred(attempt + 1, 0, "451 4.3.0 later")).join();
    }

    private long randomId()
    {
        return ids[ThreadLocalRandom.current().nextInt(ids.length)];
    }

    @Benchmark
    public PendingMessage pending()
    {
        return spool.pending(randomId());
    }

    @Benchmark
    public ByteBuffer pendingAndContent() throws IOException
    {
        final long id = randomId();
        spool.pending(id);
        return spool.readContent(id);
    }

    @Benchmark
    public long nextPage()
    {
        long last = 0;
        int n = 0;
        for (final PendingMessage message : spool.pendingAfter(randomId(), false))
        {
            last = message.messageId();
            if (++n == PAGE)
            {
                break;
            }
        }
        return last;
    }
}
