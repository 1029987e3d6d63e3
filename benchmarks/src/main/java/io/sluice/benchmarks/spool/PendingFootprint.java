package io.sluice.benchmarks.spool;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import javax.management.JMException;
import javax.management.ObjectName;

import io.sluice.drain.DrainContext;
import io.sluice.drain.DrainScheduler;
import io.sluice.spool.Envelope;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolContext;

/**
 * How many bytes of Java heap one pending message costs: the spool's pending index after appends (the live
 * path), the same index after a restart (the recovery path), and the drain scheduler holding every message
 * on top of it, once ready and once with every message deferred (an upstream outage: journaled, as the outcome stage
 * would). Heap is measured as used heap after repeated full collections, before and after, divided by
 * the number of messages; the journal itself lives in memory-mapped files and is not counted. The spool's index keeps
 * its entries in direct memory: that is measured apart (the JVM's "direct" buffer pool), before and after.
 *
 * <p>The envelopes are shaped like a backlog's: 1,000 sending addresses, 250 sending clients, one distinct
 * recipient per message, one tenant and lane. The spool runs at its shipped defaults ({@link SpoolContext}'s).
 *
 * <pre>
 * java $SLUICE_JVM_FLAGS -Xmx1g -cp benchmarks/target/benchmarks.jar io.sluice.benchmarks.spool.PendingFootprint 200000
 * </pre>
 */
public final class PendingFootprint
{
    private static final int WINDOW = 8192;
    private static final int BODY_BYTES = 256;
    private static final long DEFERRAL_MILLIS = 3_600_000L;
    private static final int SETTLE_COLLECTIONS = 4;
    /** {@code -Dfootprint.histogram=true} prints the heap's largest classes after each figure. */
    private static final String HISTOGRAM_PROPERTY = "footprint.histogram";
    private static final int HISTOGRAM_ROWS = 22;

    private PendingFootprint()
    {
    }

    public static void main(final String[] args) throws IOException, InterruptedException
    {
        final int messages = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        final Path directory = BenchmarkSpools.newDirectory("sluice-footprint-");
        try
        {
            System.out.printf("pending messages: %,d, body %d bytes, spool at its defaults%n", messages, BODY_BYTES);
            final long empty = settledHeap();
            measureLive(directory, messages);
            measureRecovered(directory);
            System.out.printf("(heap before any spool: %,d bytes)%n", empty);
        }
        finally
        {
            BenchmarkSpools.deleteRecursively(directory);
        }
    }

    /** In its own frame, so nothing it held is still reachable when the recovered spool is measured. */
    private static void measureLive(final Path directory, final int messages) throws InterruptedException
    {
        try (Spool spool = Spool.open(new SpoolContext().directory(directory)))
        {
            final long opened = settledHeap();
            final long directOpened = directMemory();
            BenchmarkSpools.appendAll(spool, messages, WINDOW, PendingFootprint::envelope, BenchmarkSpools.body(BODY_BYTES));
            final long filled = settledHeap();
            report("spool index, appended (live path)", filled - opened, messages);
            report("spool index, appended: direct memory", directMemory() - directOpened, messages);
            measureDrain(spool, filled, "drain scheduler on top (per-message entries)");
            deferAll(spool, messages);
            measureDrain(spool, settledHeap(), "drain scheduler on top, every message deferred");
        }
    }

    /** Loads a drain scheduler with the spool's pending messages and reports what it adds to {@code before}. */
    private static void measureDrain(final Spool spool, final long before, final String what) throws InterruptedException
    {
        final DrainScheduler scheduler = new DrainScheduler(new DrainContext());
        // As the daemon wires it (DrainAgent.loadFrom): the drain reads snapshots back from the spool, keeps none.
        scheduler.readFrom(spool::pending);
        for (final PendingMessage message : spool.pendingAfter(0, false))
        {
            scheduler.onSnapshot(message);
        }
        final long scheduled = settledHeap();
        report(what, scheduled - before, scheduler.pendingCount());
    }

    /**
     * Journals a deferral (retry in an hour) for every message, as an upstream outage would: the drain then keeps them
     * on retry timers instead of in its ready queues.
     */
    private static void deferAll(final Spool spool, final int messages)
    {
        final long retryAt = System.currentTimeMillis() + DEFERRAL_MILLIS;
        final List<CompletableFuture<Boolean>> inFlight = new ArrayList<>(WINDOW);
        final List<Long> ids = new ArrayList<>(messages);
        spool.pendingAfter(0, false).forEach(message -> ids.add(message.messageId()));
        for (int from = 0; from < ids.size(); from += WINDOW)
        {
            inFlight.clear();
            for (int i = from; i < Math.min(ids.size(), from + WINDOW); i++)
            {
                inFlight.add(spool.recordOutcome(ids.get(i), 0, RecipientStatus.deferred(1, retryAt, "451 4.3.0 outage")));
            }
            inFlight.forEach(CompletableFuture::join);
        }
    }

    private static void measureRecovered(final Path directory) throws InterruptedException
    {
        final long closed = settledHeap();
        final long directClosed = directMemory();
        try (Spool spool = Spool.open(new SpoolContext().directory(directory)))
        {
            final long recovered = settledHeap();
            report("spool index, recovered (restart path)", recovered - closed, spool.pendingCount());
            report("spool index, recovered: direct memory", directMemory() - directClosed, spool.pendingCount());
        }
    }

    private static Envelope envelope(final int n)
    {
        final String source = "10.1." + (n % 250 / 250) + "." + (n % 250 + 1);
        return new Envelope(source, "default", "mail", "sender-" + n % 1000 + "@example.net",
            List.of("rcpt-" + n + "@example.org"), System.currentTimeMillis());
    }

    private static void report(final String what, final long bytes, final int messages)
    {
        System.out.printf("%-48s %,14d bytes  %,8.1f bytes/message%n", what, bytes, (double)bytes / messages);
        if (Boolean.getBoolean(HISTOGRAM_PROPERTY))
        {
            printHistogram();
        }
    }

    /** The JVM's own class histogram (what {@code jcmd PID GC.class_histogram} prints), its largest rows only. */
    private static void printHistogram()
    {
        try
        {
            final Object text = ManagementFactory.getPlatformMBeanServer().invoke(
                new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                new Object[] {new String[0]}, new String[] {String[].class.getName()});
            text.toString().lines().limit(HISTOGRAM_ROWS).forEach(System.out::println);
        }
        catch (final JMException ex)
        {
            System.out.println("no class histogram: " + ex);
        }
    }

    /** @return bytes of the JVM's direct buffers (the pending index's chunks among them). */
    private static long directMemory()
    {
        for (final BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class))
        {
            if (pool.getName().equals("direct"))
            {
                return pool.getMemoryUsed();
            }
        }
        return -1;
    }

    /** @return used heap after repeated full collections. */
    static long settledHeap() throws InterruptedException
    {
        final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < SETTLE_COLLECTIONS; i++)
        {
            System.gc();
            Thread.sleep(100);
        }
        return memory.getHeapMemoryUsage().getUsed();
    }
}
