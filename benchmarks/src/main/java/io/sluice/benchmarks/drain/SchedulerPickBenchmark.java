package io.sluice.benchmarks.drain;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.sluice.drain.DrainContext;
import io.sluice.drain.DrainScheduler;
import io.sluice.drain.Dispatch;
import io.sluice.spool.Envelope;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One drain cycle on the scheduler's thread with {@code queues} active source queues, each holding
 * {@code depth} messages: pick the next message ({@code next(route)}), report it delivered (its snapshot leaves
 * the scheduler) and add a new message from the same source, so the number of active queues stays constant.
 * {@code sourcesPerNetwork} groups sources into /24s: 1 makes every source its own network (a wide tree), 250 puts
 * them in a few networks (a deep one, the distributed-flood shape).
 *
 * <p>The clock moves 1 ms per cycle, so the route's bucket (1,000,000/s) never runs dry and the figure is the
 * scheduler's own cost, not a rate limit. The target is far from this: 200 picks per second.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar SchedulerPickBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(1)
@State(Scope.Thread)
public class SchedulerPickBenchmark
{
    private static final List<String> RECIPIENTS = List.of("rcpt@example.org");
    private static final List<RecipientStatus> NEW = List.of(RecipientStatus.NEW);
    private static final List<RecipientStatus> DELIVERED = List.of(RecipientStatus.delivered(1, "250 2.0.0 ok"));

    @Param({"100", "10000"})
    public int queues;

    @Param({"1", "250"})
    public int sourcesPerNetwork;

    @Param({"4"})
    public int depth;

    private final StepClock clock = new StepClock();
    private DrainScheduler scheduler;
    private long nextId;

    /** A clock that only moves when told to; the backlog harness times its picks with it too. */
    public static final class StepClock extends Clock
    {
        long millis = 1_700_000_000_000L;

        /** Moves the clock on by one millisecond. */
        public void advanceMillis()
        {
            millis++;
        }

        @Override
        public long millis()
        {
            return millis;
        }

        @Override
        public Instant instant()
        {
            return Instant.ofEpochMilli(millis);
        }

        @Override
        public ZoneId getZone()
        {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(final ZoneId zone)
        {
            return this;
        }
    }

    @Setup(Level.Trial)
    public void fill()
    {
        scheduler = new DrainScheduler(new DrainContext().routes("default:1000000:1000000,notifications:20:5").clock(clock));
        for (int round = 0; round < depth; round++)
        {
            for (int queue = 0; queue < queues; queue++)
            {
                scheduler.onSnapshot(message(source(queue)));
            }
        }
    }

    private String source(final int queue)
    {
        final int network = queue / sourcesPerNetwork;
        return "10." + (network >>> 8 & 0xFF) + "." + (network & 0xFF) + "." + (queue % sourcesPerNetwork + 1);
    }

    private PendingMessage message(final String source)
    {
        final Envelope envelope = new Envelope(source, "default", "mail", "s@example.net", RECIPIENTS, clock.millis);
        return new PendingMessage(++nextId, envelope, 1024, NEW);
    }

    @Benchmark
    public Dispatch pickDeliverRefill()
    {
        clock.millis++;
        final Dispatch dispatch = scheduler.next("default");
        final PendingMessage sent = dispatch.message();
        scheduler.onSnapshot(new PendingMessage(sent.messageId(), sent.envelope(), sent.contentLength(), DELIVERED));
        scheduler.onSnapshot(message(sent.envelope().sourceKey()));
        return dispatch;
    }
}
