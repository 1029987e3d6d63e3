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

import io.sluice.text.Json;

/**
 * Writes what the runs found, every scenario into one folder: {@code flood.json} (every figure and the timelines),
 * {@code flood.txt} (per scenario a short table, one column per system, the settings changed from the defaults,
 * and the issues' targets as MET/MISSED), and per scenario two charts, {@code flood-<scenario>-backlog.svg} and
 * {@code flood-<scenario>-latency.svg}.
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

    /** Writes every scenario's report into {@code folder}: one flood.txt, one flood.json, two charts per scenario. */
    static void writeAll(final Path folder, final List<ScenarioReport> reports, final String note) throws IOException
    {
        Files.createDirectories(folder);
        final Map<String, Object> json = new LinkedHashMap<>();
        json.put("note", note);
        final List<Object> scenarios = new ArrayList<>();
        final StringBuilder text = new StringBuilder();
        if (!note.isEmpty())
        {
            text.append("Note: ").append(note).append("\n\n");
        }
        for (final ScenarioReport report : reports)
        {
            scenarios.add(report.toMap());
            text.append(report.table()).append('\n');
            final String name = "flood-" + report.options.scenario().label();
            Files.writeString(folder.resolve(name + "-backlog.svg"), report.backlogChart(), StandardCharsets.UTF_8);
            Files.writeString(folder.resolve(name + "-latency.svg"), report.latencyChart(), StandardCharsets.UTF_8);
        }
        json.put("scenarios", scenarios);
        Files.writeString(folder.resolve("flood.json"), Json.indented(json), StandardCharsets.UTF_8);
        Files.writeString(folder.resolve("flood.txt"), text.toString(), StandardCharsets.UTF_8);
    }

    Map<String, Object> toMap()
    {
        final Map<String, Object> map = new LinkedHashMap<>();
        map.put("scenario", options.scenario().label());
        map.put("floodKind", options.floodKind().label());
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
        parameters.put("unknownUserMessages", options.unknownUserMessages());
        parameters.put("openBuckets", options.openBuckets());
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
        out.append("=== Scenario ").append(options.scenario().label()).append(" ===\n");
        out.append(String.format(Locale.ROOT, "Flood: %,d %s messages from %,d sources in %d /24s (%d sessions at a time),"
            + " %s%s;%npartner: %s msgs/s from %d addresses in one /24, one connection per"
            + " message; upstream accepting %s msgs/s; %d-byte bodies%n",
            options.floodMessages(), options.floodKind().label(), options.floodSources(), options.floodNetworks(),
            options.floodSessions(), options.floodKind() == Scenario.BULK ? "clean content (the upstream accepts it)"
                : "malware inside (upstream: 554 5.7.1)", options.unknownUserMessages() == 0 ? "" : String.format(Locale.ROOT,
                ", plus %d partner messages to unknown users (upstream: 550 5.1.1)", options.unknownUserMessages()),
            Json.decimal(options.legitRate()), options.legitSources(), Json.decimal(options.upstreamRate()),
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
        row(out, "flood reaching the upstream", r -> r.admission.floodReachedUpstream + " ("
            + AdmissionTargets.pct(AdmissionFigures.fraction(r.admission.floodReachedUpstream, options.floodMessages()))
            + ")", options.floodKind() == Scenario.SPOOFED ? "<= 1 %" : "");
        row(out, "  after its /24's first 554 upstream", r -> r.admission.floodReachedAfterFirstRejection + " ("
            + AdmissionTargets.pct(AdmissionFigures.fraction(r.admission.floodReachedAfterFirstRejection,
                options.floodMessages())) + ")", options.floodKind() == Scenario.SNOWSHOE ? "<= 10 %" : "");
        row(out, "partner sent / delivered", r -> r.legitSent + " / " + r.legitDelivered, "");
        for (final String phase : AdmissionFigures.PHASES)
        {
            row(out, "partner refused at first try " + phase, r -> r.admission.partnerFirstTry.get(phase).refused + "/"
                + r.admission.partnerFirstTry.get(phase).tried + " " + AdmissionTargets.pct(
                    r.admission.partnerFirstTry.get(phase).fraction()), "<= 1 %");
        }
        for (final String phase : AdmissionFigures.PHASES)
        {
            row(out, "partner " + phase + ": arrived, p50/p99/max (s)",
                r -> r.latencySeconds.get(phase).length + ", " + f2(RunResult.percentile(r.latencySeconds.get(phase), 50))
                    + "/" + f2(RunResult.percentile(r.latencySeconds.get(phase), 99)) + "/"
                    + f2(RunResult.percentile(r.latencySeconds.get(phase), 100)),
                phase.equals("during") ? "p99 < " + f1(TARGET_LEGIT_P99_SECONDS) : "");
        }
        row(out, "DSNs to forged senders", r -> Long.toString(r.admission.dsnsToForgedSenders), "0");
        if (options.unknownUserMessages() > 0)
        {
            row(out, "550 senders: 1 DSN/in-session/none/held/more", r -> r.admission.unknownUserExactlyOneDsn + "/"
                + r.admission.unknownUserRefusedInSession + "/" + r.admission.unknownUserNoDsn + "/"
                + r.admission.unknownUserHeld + "/" + r.admission.unknownUserSeveralDsns, "all 1 DSN or in-session");
        }
        row(out, "legit accepted, no verdict upstream at end", r -> Integer.toString(r.admission.legitAcceptedWithoutVerdict),
            "0");
        row(out, "held by the system at the end", r -> r.heldBySystemAtTheEnd() < 0 ? "?"
            : Long.toString(r.heldBySystemAtTheEnd()), "");
        row(out, "acknowledged but lost", r -> Long.toString(r.acknowledgedButLost()), "0");
        row(out, "peak backlog (messages)", r -> Integer.toString(r.peakBacklog), "");
        row(out, "flood start to empty (s)", drainFigure(r -> r.drained() ? f1(r.drainSeconds) : "not empty"), "");
        row(out, "  predicted: work / configured rate (s)", drainFigure(r -> f1(r.predictedDrainSeconds())),
            "within " + pct(TARGET_DRAIN_TOLERANCE));
        row(out, "  time to empty / predicted", drainFigure(r -> f3(r.drainSeconds / r.predictedDrainSeconds())), "");
        row(out, "  accepted flood / rate (s)", r -> f1(r.floodOverRateSeconds()), "");
        row(out, "drain rate measured (msgs/s)", drainFigure(r -> f1(r.drainRate)),
            "within " + pct(TARGET_RATE_TOLERANCE) + " of " + Json.decimal(options.upstreamRate()));
        row(out, "  full-backlog seconds: mean (p5-p95)", drainFigure(r -> f1(RunResult.mean(r.steadyRatePerSecond)) + " ("
            + f0(RunResult.percentile(r.steadyRatePerSecond, 5)) + "-" + f0(RunResult.percentile(r.steadyRatePerSecond, 95))
            + ")"), "");
        row(out, "backlog when the flood was sent / own ETA (s)", r -> r.backlogWhenFloodSent() + " / "
            + f0(r.ownEtaWhenFloodSent()), "");
        row(out, "bounces reaching upstream", r -> Long.toString(r.bounces), "");
        row(out, "bounce amplification", r -> pct(r.bounceAmplification()), "<= " + pct(TARGET_AMPLIFICATION));
        row(out, "acknowledged, never delivered", r -> Integer.toString(r.acknowledgedNotDelivered), "0");
        row(out, "duplicates upstream", r -> Long.toString(r.duplicates), "0");
        row(out, "peak RSS (MiB) / CPU (s)", r -> f0(r.peakResidentMiB) + " / " + f1(r.cpuSeconds), "");
        appendPerSystem(out);
        return out.toString();
    }

    /** Under the table: per system its settings, the targets, the refusals, what it held at the end; the legend. */
    private void appendPerSystem(final StringBuilder out)
    {
        out.append('\n');
        for (final RunResult run : runs)
        {
            out.append(run.system).append(": settings changed from the defaults: ")
                .append(run.description.getOrDefault(SystemUnderTest.CHANGED, "?")).append("\n    (set as a new user must: ")
                .append(run.description.getOrDefault(SystemUnderTest.REQUIRED, "?")).append(")\n");
        }
        out.append('\n');
        for (final RunResult run : runs)
        {
            out.append("Targets (issue 12), ").append(run.system).append(":\n");
            for (final AdmissionTargets.Row target : AdmissionTargets.of(run))
            {
                out.append(String.format(Locale.ROOT, "  %-7s %-75s %s%n", target.verdict(), target.target(),
                    target.measured()));
            }
        }
        out.append('\n');
        for (final RunResult run : runs)
        {
            out.append(run.system).append(" partner refusals at first try, by phase and reply:");
            run.admission.partnerFirstTry.forEach((phase, refusals) ->
                refusals.lines().forEach(line -> out.append("\n    ").append(phase).append(": ").append(line)));
            out.append('\n');
            final String state = run.description.entrySet().stream().filter(e -> e.getKey().startsWith("atTheEnd."))
                .map(e -> e.getKey().substring("atTheEnd.".length()) + "=" + e.getValue())
                .collect(java.util.stream.Collectors.joining(", "));
            if (!state.isEmpty())
            {
                out.append(run.system).append(" at the end: ").append(state).append('\n');
            }
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
        out.append("\nLatency: first try of a partner message (retries a second after each 4xx included) to its arrival"
            + " upstream. \"during\": first\ntried between the flood's first message and the end of the flood's backlog"
            + " (or the end of the run when it never\nemptied). Drain: every final verdict upstream (2xx or 5xx) from the"
            + " flood's start until its backlog was empty.\n\"after its /24's first 554\": flood messages whose verdict"
            + " came after the upstream's first 554 for a message from the\nsame /24. Held by the system: what it says it"
            + " still holds (Sluice over JMX: held, paused, deferred, ready, in flight;\nPostfix: queue files);"
            + " acknowledged but lost: accepted, no verdict upstream, and not accounted for by that.\n");
    }

    /**
     * A drain figure means nothing when the flood was refused whole in-session: there was no backlog to drain, and the
     * timings would be measured from a flood that never reached the spool.
     */
    private static Function<RunResult, String> drainFigure(final Function<RunResult, String> figure)
    {
        return r -> r.floodAccepted == 0 ? "none accepted" : figure.apply(r);
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

    String backlogChart()
    {
        final SvgChart chart = new SvgChart("Backlog, " + options.scenario().label() + " (" + String.format(Locale.ROOT, "%,d",
            options.floodMessages()) + " messages, upstream " + Json.decimal(options.upstreamRate()) + "/s)",
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

    String latencyChart()
    {
        final SvgChart chart = new SvgChart("Partner mail: end-to-end latency, " + options.scenario().label(),
            "first try, seconds since the flood started",
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
