package io.sluice.benchmarks.fleet;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.github.bucket4j.Bucket;
import io.sluice.drain.EgressTokens;
import io.sluice.drain.RouteSpec;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * One egress token decision on the drain's thread, as the drain makes it per dispatch: {@code local} is a route's own
 * Bucket4j bucket (today's single appliance), {@code redis} the fleet's shared gate ({@code fleet.redis} set, the
 * shipped {@code fleet.batchMs}), which takes from tokens borrowed ahead from a Bucket4j bucket in a real
 * {@code redis-server} that this benchmark starts on a free loopback port. The route's rate is 1,000,000/s so the
 * figure is the decision's own cost, not the rate limit; {@code taken} counts decisions that gave a token (the rest
 * waited for a borrow on its way).
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar EgressTokenBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(1)
@State(Scope.Thread)
public class EgressTokenBenchmark
{
    private static final double RATE = 1_000_000;

    @Param({"local", "redis"})
    public String backend;

    private BenchmarkRedis redis;
    private EgressTokens shared;
    private Bucket local;

    /** Decisions that gave a token, per second. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Taken
    {
        public long taken;
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException, InterruptedException
    {
        // The defaults are the product: say what this measurement opens.
        System.out.println("EgressTokenBenchmark: limits opened for the measurement: the route's rate 1,000,000/s, burst"
            + " 1,000,000 (shipped drain.routes default:200:20); fleet.batchMs and fleet.timeoutMs at their defaults");
        local = Bucket.builder().addLimit(limit -> limit.capacity((long)RATE).refillGreedy((long)RATE, Duration.ofSeconds(1)))
            .build();
        if (!"redis".equals(backend))
        {
            return;
        }
        redis = BenchmarkRedis.start("bench");
        shared = redis.fleet().egress().forRoute(new RouteSpec("default", RATE, (int)RATE));
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException
    {
        if (redis != null)
        {
            System.out.printf("%nEgressTokenBenchmark: %s%n", redis.requestsSeen());
            redis.close();
        }
    }

    @Benchmark
    public boolean decide(final Taken taken)
    {
        final boolean ok = shared == null ? local.tryConsume(1) : shared.tryTake(0);
        if (ok)
        {
            taken.taken++;
        }
        return ok;
    }
}
