package io.sluice.benchmarks.flood;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Writes what the runs found: {@code flood.json} (every figure and the timelines), {@code flood.txt} (a short
 * table, one column per system, with the issues' targets), and two charts, {@code flood-backlog.svg} and
 * {@code flood-latency.svg}.
 */
final class ScenarioReport
{
    /** Issue 4: legitimate mail p99 under 2 s during the flood. */
    static final double TARGET_LEGIT_P99_SECONDS = 2.0;
    /** Issue 4: the drain within 10 % of backlog ÷ rate. */
    static final double TARGET_DRAIN_TOLERANCE = 0.10;
    /** Issue 4: the measured rate within 5 % of the configured one. */
    static final double TARGET_RATE_TOLERANCE = 0.05;
    /** Issue 5: bounce amplification at most 0.1 %. */
    static final double TARGET_AMPLIFICATION = 0.001;

    private final ScenarioOptions options;
    private final List<RunResult> runs;
    private final Map<String, String> machine;

    ScenarioReport(final ScenarioOptions options, final List<RunResult> runs, final Map<String, String> machine)
    {
        this.options = options;
        this.runs = runs;
        this.machine = machine;
    }

    void write(final Path folder) throws IOException
    {
        Files.createDirectories(folder);
        Files.writeString(folder.resolve("flood.json"), Json.write(toMap()), StandardCharsets.UTF_8);
        Files.writeString(folder.resolve("flood.txt"), table(), StandardCharsets.UTF_8);
        Files.writeString(folder.resolve("flood-backlog.svg"), backlogChart(), StandardCharsets.UTF_8);
        Files.writeString(folder.resolve("flood-latency.svg"), latencyChart(), StandardCharsets.UTF_8);
    }

    Map<String, Object> toMap()
    {
        final Map<String, Object> map = new LinkedHashMap<>();
        map.put("scenario", "flood");
        final Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("floodMessages", options.floodMessages());
        parameters.put("floodSources", options.floodSources());
        parameters.put("floodNetworks", options.floodNetworks());
        parameters.put("floodSessions", options.floodSessions());
        parameters.put("legitSources", options.legitSources());
        parameters.put("legitRatePerSecond", options.legitRate());
        parameters.put("upstreamRatePerSecond", options.upstreamRate());
        parameters.put("upstreamBurst", options.upstreamBurst());
        parameters.put("messageBytes", options.messageBytes());
        parameters.put("warmupSeconds", options.warmupSeconds());
        parameters.put("afterSeconds", options.afterSeconds());
        parameters.put("seed", options.seed());
        map.put("parameters", parameters);
        map.put("machine", machine);
        final Map<String, Object> targets = new LinkedHashMap<>();
        targets.put("legitP99DuringFloodSeconds", TARGET_LEGIT_P99_SECONDS);
        targets.put("drainWithinFractionOfPredicted", TARGET_DRAIN_TOLERANCE);
        targets.put("rateWithinFractionOfConfigured", TARGET_RATE_TOLERANCE);
        targets.put("bounceAmplificationAtMost", TARGET_AMPLIFICATION);
        map.put("targets", targets);
        final List<Object> systems = new ArrayList<>();
        for (final RunResult run : runs)
        {
            systems.add(run.toMap());
        }
        map.put("runs", systems);
        return map;
    }

    String table()
    {
        final StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "Flood scenario: %,d spoofed messages from %,d sources in %d /24s (%d sessions"
            + " at a time), %d legitimate sources at %s msgs/s, upstream accepting %s msgs/s; %d-byte bodies%n",
            options.floodMessages(), options.floodSources(), options.floodNetworks(), options.floodSessions(),
            options.legitSources(), Json.number(options.legitRate()), Json.number(options.upstreamRate()),
            options.messageBytes()));
        out.append("Machine: ").append(machine.getOrDefault("summary", "?")).append("\n\n");
        out.append(String.format(Locale.ROOT, "%-48s", "figure"));
        for (final RunResult run : runs)
        {
            out.append(String.format(Locale.ROOT, " %14s", run.system));
        }
        out.append("   target\n");
        row(out, "flood accepted / refused at the door", r -> r.floodAccepted + " / " + r.floodRefused, "");
        row(out, "flood rejected upstream (554 5.7.1)", r -> Integer.toString(r.floodRejectedUpstream), "");
        row(out, "flood time to send (s)", r -> f1((r.floodSent - r.floodStart) / 1e9), "");
        row(out, "legit sent / delivered", r -> r.legitSent + " / " + r.legitDelivered, "");
        for (final String phase : List.of("before", "during", "after"))
        {
            row(out, "legit latency " + phase + " flood p50 / p99 (s)",
                r -> f2(RunResult.percentile(r.latencySeconds.get(phase), 50)) + " / "
                    + f2(RunResult.percentile(r.latencySeconds.get(phase), 99)),
                phase.equals("during") ? "p99 < " + f1(TARGET_LEGIT_P99_SECONDS) : "");
        }
        row(out, "legit latency during flood p90 / max (s)",
            r -> f2(RunResult.percentile(r.latencySeconds.get("during"), 90)) + " / "
                + f2(RunResult.percentile(r.latencySeconds.get("during"), 100)), "");
        row(out, "peak backlog (messages)", r -> Integer.toString(r.peakBacklog), "");
        row(out, "flood start to empty (s)", r -> r.drained() ? f1(r.drainSeconds) : "not empty", "");
        row(out, "  predicted: work / configured rate (s)", r -> f1(r.predictedDrainSeconds()),
            "within " + pct(TARGET_DRAIN_TOLERANCE));
        row(out, "  time to empty / predicted", r -> f3(r.drainSeconds / r.predictedDrainSeconds()), "");
        row(out, "  accepted flood / rate (s)", r -> f1(r.floodOverRateSeconds()), "");
        row(out, "drain rate measured (msgs/s)", r -> f1(r.drainRate),
            "within " + pct(TARGET_RATE_TOLERANCE) + " of " + Json.number(options.upstreamRate()));
        row(out, "  full-backlog seconds: mean (p5-p95)", r -> f1(RunResult.mean(r.steadyRatePerSecond)) + " ("
            + f0(RunResult.percentile(r.steadyRatePerSecond, 5)) + "-" + f0(RunResult.percentile(r.steadyRatePerSecond, 95))
            + ")", "");
        row(out, "backlog when the flood was sent / own ETA (s)", r -> r.backlogWhenFloodSent() + " / "
            + f0(r.ownEtaWhenFloodSent()), "");
        row(out, "bounces reaching upstream", r -> Long.toString(r.bounces), "");
        row(out, "bounce amplification", r -> pct(r.bounceAmplification()), "<= " + pct(TARGET_AMPLIFICATION));
        row(out, "acknowledged, never delivered", r -> Integer.toString(r.acknowledgedNotDelivered), "0");
        row(out, "duplicates upstream", r -> Long.toString(r.duplicates), "0");
        row(out, "peak RSS (MiB) / CPU (s)", r -> f0(r.peakResidentMiB) + " / " + f1(r.cpuSeconds), "");
        out.append('\n');
        for (final RunResult run : runs)
        {
            out.append(run.system).append(" refusals at the door:");
            if (run.floodRefusals.isEmpty() && run.legitRefusals.isEmpty())
            {
                out.append(" none");
            }
            run.floodRefusals.forEach((reason, count) -> out.append("\n    flood ").append(count).append(" x ").append(reason));
            run.legitRefusals.forEach((reason, count) -> out.append("\n    legit ").append(count).append(" x ").append(reason)
                .append(" (retried)"));
            out.append('\n');
        }
        out.append("\nLatency: first try of a legitimate message (retries included) to its arrival upstream. \"during\": first"
            + " tried between the\nflood's first message and the end of the flood's backlog. Drain: every final verdict"
            + " upstream (2xx or 5xx)\nfrom the flood's start until its backlog was empty.\n");
        return out.toString();
    }

    private void row(final StringBuilder out, final String name, final Function<RunResult, String> value, final String target)
    {
        out.append(String.format(Locale.ROOT, "%-48s", name));
        for (final RunResult run : runs)
        {
            out.append(String.format(Locale.ROOT, " %14s", value.apply(run)));
        }
        out.append("   ").append(target).append('\n');
    }

    private String backlogChart()
    {
        final SvgChart chart = new SvgChart("Backlog during the flood (" + String.format(Locale.ROOT, "%,d",
            options.floodMessages()) + " messages, upstream " + Json.number(options.upstreamRate()) + "/s)",
            "seconds since the flood started", "messages accepted, not yet upstream", false);
        for (final RunResult run : runs)
        {
            final List<double[]> points = new ArrayList<>();
            for (final Sample sample : run.samples)
            {
                points.add(new double[] {(sample.nanos() - run.floodStart) / 1e9, sample.backlog()});
            }
            chart.line(run.system, points);
        }
        return chart.render();
    }

    private String latencyChart()
    {
        final SvgChart chart = new SvgChart("Legitimate mail: end-to-end latency", "first try, seconds since the flood started",
            "seconds to reach the upstream (log)", true);
        for (final RunResult run : runs)
        {
            chart.dots(run.system, run.latencyPoints);
        }
        return chart.render();
    }

    static String f0(final double value)
    {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%.0f", value);
    }

    static String f1(final double value)
    {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%.1f", value);
    }

    static String f2(final double value)
    {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%.2f", value);
    }

    static String f3(final double value)
    {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%.3f", value);
    }

    static String pct(final double fraction)
    {
        return Double.isNaN(fraction) ? "-" : String.format(Locale.ROOT, "%.2f%%", fraction * 100);
    }
}
