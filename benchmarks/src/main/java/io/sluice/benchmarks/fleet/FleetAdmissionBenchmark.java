package io.sluice.benchmarks.fleet;

import java.io.IOException;
import java.net.InetAddress;
import java.util.concurrent.TimeUnit;

import io.sluice.admission.Admission;
import io.sluice.admission.AdmissionContext;
import io.sluice.admission.Decision;
import io.sluice.admission.KeyKind;
import io.sluice.admission.ReputationSettings;
import io.sluice.admission.SharedRates;
import io.sluice.admission.SourceClass;
import io.sluice.admission.Traffic;
import io.sluice.benchmarks.admission.IdleSpool;
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
 * One {@link Admission#admitMessage} decision at MAIL FROM as an SMTP event loop makes it, with the admission of a
 * single appliance ({@code backend=local}) beside a fleet node's ({@code backend=redis}: {@code fleet.redis} set, the
 * shipped {@code fleet.batchMs}), whose sender-domain, tenant and global message buckets are also gated by Bucket4j
 * buckets in a real {@code redis-server} that this benchmark starts on a free loopback port, through tokens the node
 * borrowed ahead. Every bucket kind applies (address, network, one of 64 sender domains, one of 16 tenants, global);
 * the sources are 4,096 addresses taken in turn, each also charged to its class's address and network buckets (local
 * in a fleet too). {@code decisionsPerSecond} is the throughput on one thread,
 * {@code decisionLatency} the distribution (p50, p99, p99.9, ...).
 *
 * <p>The limits are opened far above the load, which the set-up prints: the figure is the cost of a decision that
 * charges every bucket (and, in a fleet, takes from every shared gate), not a refusal. The tear-down prints how many
 * requests Redis saw, and how many decisions were refused (none expected).
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar FleetAdmissionBenchmark
 * </pre>
 */
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Threads(1)
@State(Scope.Benchmark)
public class FleetAdmissionBenchmark
{
    private static final int SOURCES = 4096;
    private static final int DOMAINS = 64;
    private static final int TENANTS = 16;
    private static final double RATE = 1_000_000;
    private static final long BURST = 1_000_000_000L;

    @Param({"local", "redis"})
    public String backend;

    private BenchmarkRedis redis;
    private Admission admission;
    private final InetAddress[] sources = new InetAddress[SOURCES];
    private final String[] domains = new String[DOMAINS];
    private final String[] tenants = new String[TENANTS];
    private int next;
    private long refused;

    @Setup(Level.Trial)
    public void open() throws IOException, InterruptedException
    {
        final AdmissionContext context = new AdmissionContext().stateFile(null).maxProjectedDelayMs(0);
        for (final KeyKind kind : KeyKind.values())
        {
            context.ratePerSecond(kind, Traffic.MESSAGES, RATE).burst(kind, Traffic.MESSAGES, BURST);
        }
        for (final SourceClass sourceClass : ReputationSettings.bucketClasses())
        {
            for (final KeyKind kind : ReputationSettings.bucketKinds())
            {
                // Charged as shipped (a source's class buckets, local in a fleet too), and as open as the kinds'.
                context.reputation().ratePerSecond(sourceClass, kind, RATE).burst(sourceClass, kind, BURST);
            }
        }
        // The defaults are the product: say what this measurement opens.
        System.out.printf("%nFleetAdmissionBenchmark: limits opened for the measurement: every kind's and every class's "
            + "message rate 1,000,000/s burst 1,000,000,000 (shipped: sender domain and tenant 50/s, global 2,000/s); "
            + "admission.maxProjectedDelayMs 0 (off; shipped 900000); fleet.batchMs and fleet.timeoutMs at their "
            + "defaults%n");
        SharedRates shared = SharedRates.LOCAL;
        if ("redis".equals(backend))
        {
            redis = BenchmarkRedis.start("bench");
            shared = redis.fleet().admissionRates();
        }
        admission = Admission.open(context, new IdleSpool(), shared);
        for (int i = 0; i < DOMAINS; i++)
        {
            domains[i] = "sender" + i + ".example";
        }
        for (int i = 0; i < TENANTS; i++)
        {
            tenants[i] = "tenant" + i;
        }
        for (int i = 0; i < SOURCES; i++)
        {
            sources[i] = InetAddress.getByAddress(new byte[] {10, 1, (byte)(i >>> 8), (byte)i});
        }
    }

    @TearDown(Level.Trial)
    public void close() throws InterruptedException
    {
        System.out.printf("%nFleetAdmissionBenchmark (%s): %d decisions refused%s%n", backend, refused,
            redis == null ? "" : "; " + redis.requestsSeen());
        admission.close();
        if (redis != null)
        {
            redis.close();
        }
    }

    private Decision decide()
    {
        final int i = next;
        next = (i + 1) & (SOURCES - 1);
        final Decision decision = admission.admitMessage(sources[i], false, tenants[i % TENANTS], domains[i % DOMAINS],
            "mail");
        if (!decision.isAccepted())
        {
            refused++;
        }
        return decision;
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public Decision decisionsPerSecond()
    {
        return decide();
    }

    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public Decision decisionLatency()
    {
        return decide();
    }
}
