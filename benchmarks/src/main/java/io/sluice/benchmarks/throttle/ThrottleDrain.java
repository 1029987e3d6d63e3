package io.sluice.benchmarks.throttle;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import io.sluice.benchmarks.throttle.ThrottlingRelay.Enforcement;
import io.sluice.drain.DrainAgent;
import io.sluice.drain.DrainContext;
import io.sluice.drain.DrainCounter;
import io.sluice.drain.DrainStatus;

/**
 * A backlog drained against a provider that enforces its rate, at the shipped drain and delivery defaults (route
 * {@code default} at 200 msgs/s, burst 20, 10 connections, retries after 1 minute): the real spool journal on disk,
 * the real drain thread, real SMTP delivery over loopback, the real outcome stage. The backlog is appended straight
 * into the spool with the route paused (ingress is not what is measured), then the route is resumed, as after an
 * outage. The relay allows {@code limit} msgs/s, once refusing the excess with {@code 421 4.7.0}, once delaying its
 * replies. Prints, per enforcement: time to empty against backlog / limit, the steady rate against the limit, the
 * share of attempts throttled, deferrals, and the published ETA's error each second from 10 s into the drain.
 *
 * <p>{@code java -cp ... io.sluice.benchmarks.throttle.ThrottleDrain [backlog] [limit]}; defaults 5000 and 100.
 */
public final class ThrottleDrain
{
    private static final long SECOND_NANOS = 1_000_000_000L;

    private ThrottleDrain()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final int backlog = args.length > 0 ? Integer.parseInt(args[0]) : 5_000;
        final double limit = args.length > 1 ? Double.parseDouble(args[1]) : 100;
        System.out.printf(Locale.ROOT, "# throttle-drain: backlog %d, provider limit %.0f msgs/s; drain and delivery at their"
            + " shipped defaults (nothing opened)%n", backlog, limit);
        for (final Enforcement enforcement : Enforcement.values())
        {
            run(enforcement, backlog, limit);
        }
        System.exit(0);
    }

    private static void run(final Enforcement enforcement, final int backlog, final double limit) throws Exception
    {
        final Path dir = Files.createTempDirectory("throttle-drain");
        try (ThrottlingRelay relay = new ThrottlingRelay(enforcement, limit, 20);
            DrainRig rig = new DrainRig(dir, relay.port(), new DrainContext()))
        {
            rig.fill(backlog);
            final List<double[]> samples = new ArrayList<>();
            final long start = System.nanoTime();
            rig.resume();
            long next = start;
            while (rig.spool.pendingCount() > 0 && System.nanoTime() - start < 300 * SECOND_NANOS)
            {
                final DrainStatus.RouteStatus route = rig.agent.status().route("default");
                samples.add(new double[] {(System.nanoTime() - start) / 1e9, relay.accepted.get(), relay.refused.get(),
                    route.etaMillis() / 1000.0, route.effectiveRatePerSec(), route.learnedCeilingPerSec()});
                next += SECOND_NANOS;
                Thread.sleep(Math.max(0, (next - System.nanoTime()) / 1_000_000));
            }
            report(enforcement, backlog, limit, relay, rig.agent, start, samples);
        }
    }

    private static void report(final Enforcement enforcement, final int backlog, final double limit, final ThrottlingRelay relay,
        final DrainAgent agent, final long start, final List<double[]> samples)
    {
        final List<Double> at = relay.acceptedAtNanos.stream().map(nanos -> (nanos - start) / 1e9).sorted().toList();
        final double took = at.get(at.size() - 1);
        final double steadyFrom = 10;
        final double steadyTo = took - 5;
        final long steady = at.stream().filter(t -> t >= steadyFrom && t < steadyTo).count();
        final double steadyRate = steady / (steadyTo - steadyFrom);
        final long accepted = relay.accepted.get();
        final long refused = relay.refused.get();
        double worstEta = 0;
        double sumEta = 0;
        int etaCount = 0;
        final StringBuilder perSecond = new StringBuilder();
        for (final double[] sample : samples)
        {
            final double remaining = took - sample[0];
            final double error = remaining > 0 ? Math.abs(sample[3] - remaining) / remaining : 0;
            if (sample[0] >= 10 && remaining >= 5)
            {
                worstEta = Math.max(worstEta, error);
                sumEta += error;
                etaCount++;
            }
            perSecond.append(String.format(Locale.ROOT, "| %.0f | %.0f | %.0f | %.1f | %.1f | %.1f | %.1f | %.0f %% |%n",
                sample[0], sample[1], sample[2], sample[4], sample[5], sample[3], remaining, 100 * error));
        }
        System.out.printf(Locale.ROOT, "%n## provider enforcing %.0f msgs/s by %s%n%n", limit,
            enforcement == Enforcement.REFUSE ? "refusing the excess with 421 4.7.0" : "delaying its replies");
        System.out.printf(Locale.ROOT, "- time to empty: %.1f s; backlog / limit: %.1f s; ratio %.2fx%n", took, backlog / limit,
            took / (backlog / limit));
        System.out.printf(Locale.ROOT, "- steady rate (10 s to 5 s before the end): %.1f msgs/s = %.1f %% of the limit%n",
            steadyRate, 100 * steadyRate / limit);
        System.out.printf(Locale.ROOT, "- attempts throttled: %d of %d = %.2f %%; messages requeued without an attempt: %d;"
            + " deferred to the retry schedule: %d; capacity-limited intervals: %d%n", refused, accepted + refused,
            100.0 * refused / (accepted + refused), agent.counters().get(DrainCounter.THROTTLED_REQUEUED),
            agent.counters().get(DrainCounter.DEFERRED), agent.counters().get(DrainCounter.CAPACITY_SIGNALS));
        System.out.printf(Locale.ROOT,
            "- published ETA error from 10 s on (while >= 5 s remained): worst %.1f %%, mean %.1f %%%n", 100 * worstEta,
            etaCount == 0 ? 0 : 100 * sumEta / etaCount);
        System.out.printf(Locale.ROOT, "- delivered %d of %d%n%n", accepted, backlog);
        System.out.println("| s | accepted | refused 421 | rate/s | ceiling/s | ETA s | actual s | ETA error |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- |");
        System.out.print(perSecond);
    }
}
