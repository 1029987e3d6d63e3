package io.sluice.benchmarks.throttle;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import com.sun.management.OperatingSystemMXBean;
import io.sluice.benchmarks.throttle.ThrottlingRelay.Enforcement;
import io.sluice.drain.DrainAgent;
import io.sluice.drain.DrainContext;
import io.sluice.drain.DrainCounter;
import io.sluice.drain.DrainStatus;
import io.sluice.spool.SpoolCounter;

/**
 * A large backlog (default 1,000,000) drained at the route's configured rate into a relay that accepts everything:
 * does the drain hold the configured rate, and is its published ETA right from the first minute? The real spool
 * journal on disk, the real drain thread, real SMTP delivery over loopback ({@code delivery.maxConnections} at its
 * default) and the real outcome stage; the backlog is appended straight into the spool with the route paused
 * (ingress is not what is measured), then the route is resumed, as after an outage.
 *
 * <p>The route's rate is raised from the shipped 200 msgs/s (which would take 83 minutes for 1M) to {@code rate}
 * (default 2,000, 8.3 minutes), its burst kept at the default's tenth of a second; the harness prints so. Samples the
 * delivered rate per 10 s and, every minute, the route's published ETA against the time that actually remained.
 *
 * <p>Messages are {@code bytes} long (default 4 KiB), so that the spool's own work during the drain (retention copying
 * the last pending messages out of the fill's journal file, the index checkpoint) costs what it costs in service; the
 * per-10-s table says when each happened. The journal lives in {@code java.io.tmpdir} (the script points it at
 * /var/tmp) and is deleted at the end.
 *
 * <p>{@code java -cp ... io.sluice.benchmarks.throttle.BacklogRateEta [backlog] [rate] [bytes]}.
 */
public final class BacklogRateEta
{
    private static final long SECOND_NANOS = 1_000_000_000L;
    private static final int WINDOW_S = 10;
    private static final int ETA_EVERY_S = 60;
    private static final double SHIPPED_RATE = 200;
    private static final OperatingSystemMXBean PROCESS =
        (OperatingSystemMXBean)ManagementFactory.getOperatingSystemMXBean();

    private BacklogRateEta()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final int backlog = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        final double rate = args.length > 1 ? Double.parseDouble(args[1]) : 2_000;
        final int bytes = args.length > 2 ? Integer.parseInt(args[2]) : 4096;
        final long burst = Math.max(1, Math.round(rate / 10));
        System.out.printf(Locale.ROOT, "# backlog-rate-eta: backlog %d; route `default` rate raised from the shipped %.0f"
            + " to %.0f msgs/s, burst %d (the default's 0.1 s), so that the backlog drains in %.1f minutes instead of %.1f;"
            + " the relay accepts everything; delivery, drain and spool otherwise at their shipped defaults; messages of %d"
            + " bytes%n", backlog, SHIPPED_RATE, rate, burst, backlog / rate / 60, backlog / SHIPPED_RATE / 60, bytes);
        final Path dir = Files.createTempDirectory("backlog-rate-eta");
        final DrainContext drain = new DrainContext()
            .routes(String.format(Locale.ROOT, "default:%.0f:%d,notifications:20:5", rate, burst));
        try (ThrottlingRelay relay = new ThrottlingRelay(Enforcement.REFUSE, 100 * rate, (int)(10 * rate));
            DrainRig rig = new DrainRig(dir, relay.port(), drain))
        {
            final long fillStart = System.nanoTime();
            rig.fill(backlog, bytes);
            System.out.printf(Locale.ROOT, "- filled and loaded into the drain in %.1f s%n",
                (System.nanoTime() - fillStart) / 1e9);
            final List<long[]> samples = new ArrayList<>();
            final long start = System.nanoTime();
            rig.resume();
            // Room for a machine that delivers a quarter of the configured rate; a run cut short says so.
            final long deadline = start + (long)((backlog / rate * 4 + 120) * SECOND_NANOS);
            final long cpuStart = PROCESS.getProcessCpuTime();
            long next = start;
            long second = 0;
            while (relay.accepted.get() < backlog && System.nanoTime() < deadline)
            {
                final DrainStatus.RouteStatus route = rig.agent.status().route("default");
                samples.add(new long[] {second, relay.accepted.get(), route.etaMillis(),
                    Math.round(route.effectiveRatePerSec()), Math.round(100 * PROCESS.getSystemLoadAverage()),
                    rig.spool.counters().get(SpoolCounter.MESSAGES_CARRIED_FORWARD),
                    rig.spool.counters().get(SpoolCounter.INDEX_CHECKPOINTS),
                    rig.spool.counters().get(SpoolCounter.CYCLE_FILES_DELETED)});
                second++;
                next += SECOND_NANOS;
                Thread.sleep(Math.max(0, (next - System.nanoTime()) / 1_000_000));
            }
            final double took = relay.acceptedAtNanos.stream().mapToLong(Long::longValue).max().orElse(start) - start;
            System.out.printf(Locale.ROOT, "- this JVM (drain, delivery, spool, relay) used %.2f of %d CPUs while draining%n",
                (PROCESS.getProcessCpuTime() - cpuStart) / (took + 1), Runtime.getRuntime().availableProcessors());
            report(backlog, rate, relay, rig.agent, took / 1e9, samples);
        }
        System.exit(0);
    }

    private static void report(final int backlog, final double rate, final ThrottlingRelay relay, final DrainAgent agent,
        final double took, final List<long[]> samples)
    {
        final long delivered = relay.accepted.get();
        final StringBuilder windows = new StringBuilder();
        double worstWindow = 0;
        for (int i = WINDOW_S; i < samples.size(); i += WINDOW_S)
        {
            final long[] from = samples.get(i - WINDOW_S);
            final long[] to = samples.get(i);
            final double windowRate = (to[1] - from[1]) / (double)WINDOW_S;
            final double error = (windowRate - rate) / rate;
            // From the first minute on, and only windows the backlog filled: the last one ends when the spool empties.
            if (from[0] >= ETA_EVERY_S && to[1] < backlog)
            {
                worstWindow = Math.max(worstWindow, Math.abs(error));
            }
            windows.append(String.format(Locale.ROOT, "| %d-%d | %d | %.1f | %+.1f %% | %d | %d | %d | %d |%n", from[0],
                to[0], to[1] - from[1], windowRate, 100 * error, to[3], to[5] - from[5], to[6] - from[6], to[7] - from[7]));
        }
        final StringBuilder etas = new StringBuilder();
        double worstEta = 0;
        for (int i = ETA_EVERY_S; i < samples.size(); i += ETA_EVERY_S)
        {
            final long[] sample = samples.get(i);
            final double remaining = took - sample[0];
            final double eta = sample[2] / 1000.0;
            final double error = remaining > 0 ? (eta - remaining) / remaining : 0;
            worstEta = Math.max(worstEta, Math.abs(error));
            etas.append(String.format(Locale.ROOT, "| %d | %d | %.1f | %.1f | %+.1f %% | %.2f |%n", sample[0], sample[1], eta,
                remaining, 100 * error, sample[4] / 100.0));
        }
        final double overall = delivered / took;
        System.out.printf(Locale.ROOT, "%n## draining %d at a configured %.0f msgs/s%n%n", backlog, rate);
        System.out.printf(Locale.ROOT, "- delivered %d of %d in %.1f s (backlog / rate: %.1f s, ratio %.3fx)%n", delivered,
            backlog, took, backlog / rate, took / (backlog / rate));
        System.out.printf(Locale.ROOT, "- mean delivered rate %.1f msgs/s = %+.2f %% off the configured rate%n", overall,
            100 * (overall - rate) / rate);
        System.out.printf(Locale.ROOT, "- worst 10 s window from the first minute on (before the last one): %.2f %% off%n",
            100 * worstWindow);
        if (delivered < backlog)
        {
            System.out.println("- stopped at the deadline before the spool was empty: the time left, and so the ETA error,"
                + " is not known (the table's 'actual' is to the stop)");
        }
        else
        {
            System.out.printf(Locale.ROOT, "- worst published ETA error, sampled every minute from the first: %.2f %%%n",
                100 * worstEta);
        }
        System.out.printf(Locale.ROOT, "- deferred %d, throttled requeued %d, capacity-limited intervals %d (rate cut), full on"
            + " the local journal %d (rate kept), relay refused %d%n", agent.counters().get(DrainCounter.DEFERRED),
            agent.counters().get(DrainCounter.THROTTLED_REQUEUED), agent.counters().get(DrainCounter.CAPACITY_SIGNALS),
            agent.counters().get(DrainCounter.LOCAL_STALLS), relay.refused.get());
        System.out.println();
        System.out.println("| minute at s | delivered | ETA s | actual s left | ETA error | load average |");
        System.out.println("| --- | --- | --- | --- | --- | --- |");
        System.out.print(etas);
        System.out.println();
        System.out.println("| window s | delivered | rate/s | off the configured | effective rate/s at end"
            + " | spool: carried forward | index checkpoints | journal files deleted |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- |");
        System.out.print(windows);
    }
}
