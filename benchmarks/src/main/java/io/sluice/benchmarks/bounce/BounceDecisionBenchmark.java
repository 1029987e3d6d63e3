package io.sluice.benchmarks.bounce;

import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.sluice.bounce.BounceContext;
import io.sluice.bounce.BounceDecision;
import io.sluice.bounce.BouncePolicy;
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
 * One {@link BouncePolicy#decide} for a permanently failed recipient, over {@code messages} distinct pre-built
 * failures taken in turn, on the system clocks:
 *
 * <ul>
 *   <li>{@code scenario=spoof}: a spoofing flood, sender == recipient from outside, {@code 554 5.7.1}: refused at
 *   the spoof check, before any bucket. The path a flood exercises 5,000 times a minute.</li>
 *   <li>{@code scenario=evasive}: forged random senders at many domains with {@code 550 5.1.1}: nothing marks them,
 *   so every decision reads the budget window (spent at once: the policy is told of no accepted mail) and puts the
 *   unknown recipient on the suppression list, which stays at its bound.</li>
 *   <li>{@code scenario=send}: legitimate failures that pass every rule, with limits far above the load, so each takes
 *   a token from a recipient and a domain bucket, a share of the budget and a dedup entry: the most work. The dedup
 *   window is 1 ms here, so the same failure coming round again is not a duplicate.</li>
 * </ul>
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar BounceDecisionBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(1)
@State(Scope.Thread)
public class BounceDecisionBenchmark
{
    @Param({"100000"})
    public int messages;

    @Param({"spoof", "evasive", "send"})
    public String scenario;

    private BouncePolicy policy;
    private PendingMessage[] failed;
    private RecipientStatus failure;
    private int next;

    @Setup(Level.Trial)
    public void open()
    {
        final boolean send = "send".equals(scenario);
        final BounceContext context = new BounceContext().protectedDomains("customer.test");
        if (send)
        {
            context.recipientRatePerHour(1_000_000_000L).recipientBurst(1_000_000_000L)
                .domainRatePerHour(1_000_000_000L).domainBurst(1_000_000_000L)
                .budgetMinimum(Long.MAX_VALUE).dedupWindowMs(1);
        }
        policy = new BouncePolicy(context);
        failure = RecipientStatus.failed(1, "spoof".equals(scenario) ? "554 5.7.1 message refused: malware"
            : send ? "552 5.2.2 mailbox full" : "550 5.1.1 user unknown");
        failed = new PendingMessage[messages];
        for (int i = 0; i < messages; i++)
        {
            final String source = "198.51." + (i / 250 % 256) + "." + (i % 250 + 1);
            final String sender;
            final String recipient;
            if ("spoof".equals(scenario))
            {
                sender = "user" + (i % 5000) + "@customer.test";
                recipient = sender;
            }
            else
            {
                sender = "sender" + i + "@domain" + (i % 997) + ".test";
                recipient = "user" + i + "@customer.test";
            }
            final Envelope envelope = new Envelope(source, "tenant" + (i % 16), "mail", sender, List.of(recipient),
                System.currentTimeMillis());
            failed[i] = new PendingMessage(i + 1, envelope, 4096, Collections.nCopies(1, RecipientStatus.NEW));
        }
    }

    @Benchmark
    public BounceDecision decide()
    {
        final PendingMessage message = failed[next];
        next = next + 1 == failed.length ? 0 : next + 1;
        return policy.decide(message, 0, failure);
    }
}
