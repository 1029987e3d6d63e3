package io.sluice.benchmarks.admission;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import io.sluice.admission.Admission;
import io.sluice.admission.AdmissionContext;
import io.sluice.admission.Decision;
import io.sluice.admission.KeyKind;
import io.sluice.admission.ReputationEvent;
import io.sluice.admission.ReputationSettings;
import io.sluice.admission.SourceClass;
import io.sluice.admission.Traffic;
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
 * The cost of one {@link Admission#admitMessage} decision at MAIL FROM with a million tracked sources: the table
 * is filled in set-up with {@code trackedSources} distinct IPv4 addresses (10.0.0.0 upwards, so about 3,900 /24
 * networks), then each operation decides a message from a random one of them. Every bucket kind applies: IP,
 * network, sender domain (one of 64), tenant (one of 16), global. JMH's SampleTime mode prints the distribution
 * (p50, p90, p99, ...). Target: median under 200 ns.
 *
 * <ul>
 *   <li>{@code scenario=accept}: limits far above the load, so every bucket is charged and the message accepted,
 *   the common path and the most work (five buckets).</li>
 *   <li>{@code scenario=flood}: every source's IP bucket is empty, so the decision is refused at the first
 *   bucket, the path a flood exercises.</li>
 *   <li>{@code scenario=classes}: the shipped path since issue 12: every source also has a reputation (a clean
 *   delivery, so a million address entries and ~3,900 network entries), each decision looks up the address's and
 *   the network's standing and charges the clean class's address and network buckets beside the five kind
 *   buckets: 2 million bucket keys and a million reputation entries.</li>
 * </ul>
 *
 * <p>Which source each operation decides ({@code access}):
 * <ul>
 *   <li>{@code uniform}: a random one of the million, so the admission state the decision touches (table slots,
 *   keys, bucket states, reputation entries) is cold in the caches: the pessimistic bound.</li>
 *   <li>{@code session}: as SMTP orders it, a source whose connection was admitted {@value #SESSIONS_IN_FLIGHT}
 *   decisions earlier (that many sessions in flight), so its address key is as warm as a real session's at MAIL FROM
 *   and everything else (its reputation, its class buckets) as cold as the other sessions left it. Each session's
 *   source is a random one of the million.</li>
 * </ul>
 * In both, the source is picked in an untimed per-invocation set-up that also reads its address: in the appliance
 * the session's address object is warm, and the harness's own cache misses (the million-entry array, the
 * {@code InetAddress} and its holder) are not the decision's. In {@code uniform} access the set-up allocates nothing,
 * so {@code -prof gc}'s {@code gc.alloc.rate.norm} is the decision's own allocation; read it with {@code -bm avgt},
 * since in the default sampling mode JMH divides the bytes by the sampled operations only, not by all of them.
 *
 * <p>The limits are opened far above the load (and {@code admission.maxTrackedKeys} raised to hold every key of
 * the scenario), which the set-up prints: the point is the cost of charging every bucket, not a refusal.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar AdmissionDecision
 * java -jar benchmarks/target/benchmarks.jar AdmissionDecision -p trackedSources=100000 -p scenario=flood
 * java -jar benchmarks/target/benchmarks.jar AdmissionDecisionBenchmark.admitMessage -p access=uniform -bm avgt -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
// The daemon's launcher runs with transparent huge pages (sluice-daemon), so the decision is measured as it runs there.
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+UseTransparentHugePages"})
@Threads(1)
@State(Scope.Benchmark)
public class AdmissionDecisionBenchmark
{
    private static final int DOMAINS = 64;
    private static final int TENANTS = 16;
    static final int SESSIONS_IN_FLIGHT = 1000;

    @Param({"1000000"})
    public int trackedSources;

    @Param({"accept", "flood", "classes"})
    public String scenario;

    @Param({"uniform", "session"})
    public String access;

    private Admission admission;
    private InetAddress[] sources;
    private String[] domains;
    private String[] tenants;
    /** The sources of the sessions in flight, by slot; the next operation decides {@code sessions[next]}. */
    private int[] sessions;
    private int next;
    private InetAddress source;
    private int sourceIndex;
    private boolean session;

    @Setup(Level.Trial)
    public void open() throws UnknownHostException
    {
        final boolean flood = "flood".equals(scenario);
        final boolean classes = "classes".equals(scenario);
        final AdmissionContext context = new AdmissionContext()
            .stateFile(null)
            .maxTrackedKeys(2 * trackedSources + trackedSources / 10)
            .maxProjectedDelayMs(0);
        for (final KeyKind kind : KeyKind.values())
        {
            // Far above what the benchmark can use up in a run: every decision charges every bucket.
            context.ratePerSecond(kind, Traffic.MESSAGES, 1_000_000).burst(kind, Traffic.MESSAGES, 1_000_000_000);
        }
        for (final SourceClass sourceClass : ReputationSettings.bucketClasses())
        {
            for (final KeyKind kind : ReputationSettings.bucketKinds())
            {
                // Class buckets only where the scenario measures them, and then as open as the kind buckets.
                context.reputation().ratePerSecond(sourceClass, kind, classes ? 1_000_000 : 0)
                    .burst(sourceClass, kind, 1_000_000_000);
            }
        }
        context.reputation().maxKeys(trackedSources + trackedSources / 10).cleanAfter(1);
        if (flood)
        {
            // One message per source, then nothing for 1000 s: the set-up message empties the bucket.
            context.ratePerSecond(KeyKind.IP, Traffic.MESSAGES, 0.001).burst(KeyKind.IP, Traffic.MESSAGES, 1);
        }
        admission = Admission.open(context, new IdleSpool());
        sources = new InetAddress[trackedSources];
        domains = new String[DOMAINS];
        tenants = new String[TENANTS];
        for (int i = 0; i < DOMAINS; i++)
        {
            domains[i] = "sender" + i + ".example";
        }
        for (int i = 0; i < TENANTS; i++)
        {
            tenants[i] = "tenant" + i;
        }
        for (int i = 0; i < trackedSources; i++)
        {
            sources[i] = InetAddress.getByAddress(new byte[] {10, (byte)(i >>> 16), (byte)(i >>> 8), (byte)i});
            if (classes)
            {
                admission.learn(sources[i], ReputationEvent.CLEAN_DELIVERY);
            }
            final Decision decision = admission.admitMessage(
                sources[i], false, tenants[i % TENANTS], domains[i % DOMAINS], "mail");
            if (!decision.isAccepted())
            {
                throw new IllegalStateException("set-up message refused: " + decision);
            }
        }
        session = "session".equals(access);
        sessions = new int[SESSIONS_IN_FLIGHT];
        for (int i = 0; i < SESSIONS_IN_FLIGHT; i++)
        {
            sessions[i] = ThreadLocalRandom.current().nextInt(trackedSources);
        }
        System.out.printf("%nAdmissionDecisionBenchmark: limits opened for the measurement: every kind's message rate "
            + "1,000,000/s burst 1,000,000,000%s; admission.maxTrackedKeys %,d (default %,d), "
            + "admission.reputation.maxKeys %,d (default %,d)%n",
            classes ? ", the class buckets as open" : flood ? ", but the IP bucket 0.001/s burst 1" : "",
            context.maxTrackedKeys(), AdmissionContext.MAX_TRACKED_KEYS.defaultValue(),
            context.reputation().maxKeys(), ReputationSettings.MAX_KEYS.defaultValue());
        if (admission.trackedKeys() < trackedSources)
        {
            throw new IllegalStateException("only " + admission.trackedKeys() + " keys tracked");
        }
        if (classes && (admission.reputationKeys() < trackedSources
            || admission.classOf(sources[trackedSources / 2], false) != SourceClass.CLEAN))
        {
            throw new IllegalStateException("reputation not set up: " + admission.reputationKeys() + " entries");
        }
    }

    @TearDown(Level.Trial)
    public void close()
    {
        admission.close();
    }

    /**
     * Untimed: picks the source of the next decision, and warms its address as a session's is. In {@code session}
     * access, the source decided is the one whose connection was admitted {@value #SESSIONS_IN_FLIGHT} operations
     * ago, and a new session takes its slot with its connection admitted now.
     */
    @Setup(Level.Invocation)
    public void pickSource()
    {
        if (session)
        {
            sourceIndex = sessions[next];
            final int newcomer = ThreadLocalRandom.current().nextInt(trackedSources);
            sessions[next] = newcomer;
            next = next + 1 == SESSIONS_IN_FLIGHT ? 0 : next + 1;
            admission.admitConnection(sources[newcomer], false);
        }
        else
        {
            sourceIndex = ThreadLocalRandom.current().nextInt(trackedSources);
        }
        source = sources[sourceIndex];
        if (source.hashCode() == 0)
        {
            throw new IllegalStateException("no source");
        }
    }

    @Benchmark
    public Decision admitMessage()
    {
        final int i = sourceIndex;
        return admission.admitMessage(source, false, tenants[i % TENANTS], domains[i % DOMAINS], "mail");
    }

    /**
     * Baseline: only what {@code admitMessage} costs the harness before admission starts, picking a random source
     * and reading its address bytes (two cache misses of its own with a million sources).
     */
    @Benchmark
    public byte[] randomSourceAddressOnly()
    {
        return sources[ThreadLocalRandom.current().nextInt(trackedSources)].getAddress();
    }
}
