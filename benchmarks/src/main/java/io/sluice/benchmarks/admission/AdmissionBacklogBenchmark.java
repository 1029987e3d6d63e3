package io.sluice.benchmarks.admission;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.sluice.admission.Admission;
import io.sluice.admission.AdmissionContext;
import io.sluice.admission.Decision;
import io.sluice.admission.KeyKind;
import io.sluice.admission.ReputationEvent;
import io.sluice.admission.ReputationSettings;
import io.sluice.admission.SourceClass;
import io.sluice.admission.Traffic;
import io.sluice.admission.Verdict;
import io.sluice.daemon.SpoolPressureGauge;
import io.sluice.drain.DrainContext;
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
 * Issue 18's admission target: what admission costs an SMTP session per message with a real spool holding
 * {@code pending} messages (10k, 1M, 10M), flat within 2x. One operation is what a session asks admission for one
 * message: its source's class and the MAIL FROM decision ({@code classOf}, {@code admitMessage}: the blocklist, the
 * spool's disk, the backlog watermarks, the lane's projected delay, the class's pressure tier, the buckets), then one
 * RCPT TO decision ({@code admitRecipient}). The session asks nothing at the end of DATA: the spool's append answers it.
 *
 * <p>The spool is real ({@link FilledSpool}: filled once, opened at its defaults from its checkpoint in each fork),
 * and admission reads it through the daemon's own gauge with the capacity the daemon gives it
 * ({@link SpoolPressureGauge#withCapacity}), so the backlog watermarks are the shipped {@code auto} ones, derived from
 * the disk and the direct memory of this JVM, which runs with the launcher's memory flags. No drain runs: the
 * projected delay is 0 (with a drain it is one volatile read of its published status).
 *
 * <p>What is opened, and printed: every kind's message and recipient rate (1,000,000/s, burst 1,000,000,000) and the
 * classes' buckets, as in {@link AdmissionDecisionBenchmark}, so that a source's own bucket does not refuse the
 * 65,536 sources the operations cycle over; the figure is admission's cost against the backlog, not a rate limit.
 * The watermarks stay at their defaults, so at 10M pending untrusted mail meets backpressure (the launcher's
 * {@code -XX:MaxDirectMemorySize=768m} bounds the index at 10.5M, the high watermark two thirds of that): the
 * tear-down prints how many decisions were accepted and refused, and {@code source=trusted} (passed up to the hard
 * limit) keeps the accepting path at every size.
 *
 * <pre>
 * benchmarks/admission-backlog.sh     (fills the spools under /var/tmp, runs this, deletes them)
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
// The launcher's memory flags (appliance-daemon/src/main/launcher/sluice-daemon): the index's direct memory bounds the
// automatic watermarks.
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx1g", "-XX:MaxDirectMemorySize=768m", "-XX:+UseG1GC",
    "-XX:+UseTransparentHugePages"})
@Threads(1)
@State(Scope.Benchmark)
public class AdmissionBacklogBenchmark
{
    /** Where the filled spools are kept between forks; the script sets it to a folder under /var/tmp. */
    static final String DIRECTORY_PROPERTY = "sluice.bench.backlogDir";
    private static final int SOURCES = 1 << 16;
    private static final int TENANTS = 16;
    private static final int DOMAINS = 64;

    @Param({"10000", "1000000", "10000000"})
    public long pending;

    /**
     * {@code untrusted}: outside sources with no reputation (the unknown class); {@code clean}: outside sources with a
     * clean delivery each, learnt in set-up (tightened only at the high watermark); {@code trusted}: the trusted
     * networks' (refused only at the hard limit).
     */
    @Param({"untrusted", "trusted"})
    public String source;

    private Spool spool;
    private Admission admission;
    private InetAddress[] sources;
    private String[] tenants;
    private String[] domains;
    private boolean trusted;
    private int next;
    /** MAIL FROM decisions by verdict, counted in the measured path (one array increment). */
    private final long[] verdicts = new long[Verdict.values().length];

    @Setup(Level.Trial)
    public void open() throws IOException
    {
        final String base = System.getProperty(DIRECTORY_PROPERTY);
        if (base == null || base.isBlank())
        {
            throw new IllegalStateException("set -D" + DIRECTORY_PROPERTY + " to a folder on a real disk (the script does)");
        }
        final Path directory = FilledSpool.of(Path.of(base), pending);
        final long openNs = System.nanoTime();
        spool = Spool.open(new SpoolContext().directory(directory));
        System.out.printf("%nAdmissionBacklogBenchmark: spool opened in %,d ms with %,d pending messages of %d B bodies"
                + " (small on purpose: admission reads the spool's counters, never a body), durability %s (the default)%n",
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - openNs), spool.pendingCount(), FilledSpool.BODY_BYTES,
            spool.context().durability());
        if (spool.pendingCount() != pending)
        {
            throw new IllegalStateException(spool.pendingCount() + " pending, not " + pending);
        }
        final AdmissionContext context = new AdmissionContext().stateFile(null);
        for (final KeyKind kind : KeyKind.values())
        {
            for (final Traffic traffic : new Traffic[] {Traffic.MESSAGES, Traffic.RECIPIENTS})
            {
                if (kind.limits(traffic))
                {
                    context.ratePerSecond(kind, traffic, 1_000_000).burst(kind, traffic, 1_000_000_000);
                }
            }
        }
        for (final SourceClass sourceClass : ReputationSettings.bucketClasses())
        {
            for (final KeyKind kind : ReputationSettings.bucketKinds())
            {
                context.reputation().ratePerSecond(sourceClass, kind, 1_000_000).burst(sourceClass, kind, 1_000_000_000);
            }
        }
        admission = Admission.open(context, SpoolPressureGauge.withCapacity(spool, new DrainContext().conclude()));
        trusted = "trusted".equals(source);
        sources = new InetAddress[SOURCES];
        for (int i = 0; i < SOURCES; i++)
        {
            sources[i] = InetAddress.getByAddress(new byte[] {10, 1, (byte)(i >>> 8), (byte)i});
            // Past admission.reputation.cleanAfter with room for the points' decay during the run.
            for (int k = 0; "clean".equals(source) && k < 2 * ReputationSettings.CLEAN_AFTER.defaultValue(); k++)
            {
                admission.learn(sources[i], ReputationEvent.CLEAN_DELIVERY);
            }
        }
        if ("clean".equals(source) && admission.classOf(sources[SOURCES - 1], false) != SourceClass.CLEAN)
        {
            throw new IllegalStateException("the sources did not earn the clean class");
        }
        tenants = new String[TENANTS];
        for (int i = 0; i < TENANTS; i++)
        {
            tenants[i] = "tenant" + i;
        }
        domains = new String[DOMAINS];
        for (int i = 0; i < DOMAINS; i++)
        {
            domains[i] = "sender" + i + ".example";
        }
        System.out.printf("AdmissionBacklogBenchmark: every kind's message and recipient rate opened to 1,000,000/s burst"
            + " 1,000,000,000, the class buckets as open (defaults: see docs/configuration.md); backlog watermarks at their"
            + " defaults: %s; %s sources (%s)%n", admission.backlogWatermarks(), source,
            admission.classOf(sources[0], trusted));
    }

    @Benchmark
    public Decision message()
    {
        final int i = next;
        next = (i + 1) & (SOURCES - 1);
        final InetAddress client = sources[i];
        final String tenant = tenants[i & (TENANTS - 1)];
        final Decision mail = admission.admitMessage(client, admission.classOf(client, trusted), tenant,
            domains[i & (DOMAINS - 1)], "mail");
        verdicts[mail.verdict().ordinal()]++;
        return mail.isAccepted() ? admission.admitRecipient(client, trusted, tenant) : mail;
    }

    @TearDown(Level.Trial)
    public void close()
    {
        final StringBuilder line = new StringBuilder("AdmissionBacklogBenchmark: MAIL FROM decisions at ")
            .append(String.format("%,d", pending)).append(" pending, ").append(source).append(':');
        for (final Verdict verdict : Verdict.values())
        {
            if (verdicts[verdict.ordinal()] > 0)
            {
                line.append(' ').append(verdict).append(' ').append(String.format("%,d", verdicts[verdict.ordinal()]));
            }
        }
        System.out.printf("%n%s%n", line);
        admission.close();
        spool.close();
    }
}
