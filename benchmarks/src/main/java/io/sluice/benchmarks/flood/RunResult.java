package io.sluice.benchmarks.flood;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The maths of one run: what the report says, computed from the {@link Ledger} and the samples only, so a test
 * can check it on a made-up ledger.
 *
 * <p>Phases: <em>before</em> the flood (legitimate mail alone), <em>during</em> (from the flood's first message
 * until the last accepted flood message had its verdict upstream: the flood's backlog is gone), <em>after</em>.
 * A legitimate message belongs to the phase in which it was first tried; its latency runs from that first try
 * (retries after a refusal included) to its arrival upstream.
 *
 * <p>The drain: every final verdict upstream between the flood's start and the end of its backlog, divided by
 * that time, against the configured upstream rate. Time to empty is that same span, against the work it held
 * divided by the rate (what a drain running exactly at the rate would take) and against the plain
 * flood ÷ rate.
 */
final class RunResult
{
    private static final double NANOS = 1e9;

    final ScenarioOptions options;
    final String system;
    final Map<String, String> description;
    final List<Sample> samples;
    final long floodStart;
    final long floodSent;
    final long floodDrained;
    final long legitStopped;
    final long end;

    final int floodAccepted;
    final int floodRefused;
    final Map<String, Long> floodRefusals;
    final Map<String, Long> legitRefusals;
    final int floodDelivered;
    final int floodRejectedUpstream;
    final int legitSent;
    final int legitAccepted;
    final int legitDelivered;
    final Map<String, double[]> latencySeconds = new LinkedHashMap<>();
    /** Per legitimate message that arrived: first try (s since flood start), latency (s). */
    final List<double[]> latencyPoints = new ArrayList<>();
    final int acknowledgedNotDelivered;
    final long duplicates;
    final long unknownArrivals;
    final long bounces;
    final long deferredUpstream;
    final double drainSeconds;
    final int drainFinals;
    final double drainRate;
    final double[] steadyRatePerSecond;
    final double peakResidentMiB;
    final double cpuSeconds;
    final int peakOpenFiles;
    final int peakBacklog;
    final AdmissionFigures admission;

    RunResult(final ScenarioOptions options, final String system, final Map<String, String> description, final Ledger ledger,
        final List<Sample> samples, final long floodStart, final long floodSent, final long floodDrained,
        final long legitStopped, final long end)
    {
        this.options = options;
        this.system = system;
        this.description = description;
        this.samples = List.copyOf(samples);
        this.floodStart = floodStart;
        this.floodSent = floodSent;
        this.floodDrained = floodDrained;
        this.legitStopped = legitStopped;
        this.end = end;

        floodAccepted = ledger.floodAcceptedCount();
        floodRefusals = ledger.floodRefusals();
        floodRefused = (int)floodRefusals.values().stream().mapToLong(Long::longValue).sum();
        legitRefusals = ledger.legitRefusals();
        floodDelivered = ledger.floodDelivered();
        floodRejectedUpstream = ledger.floodRejectedUpstream();
        duplicates = ledger.duplicates();
        unknownArrivals = ledger.unknownArrivals();
        bounces = ledger.bounces();
        deferredUpstream = ledger.deferredUpstream();

        final List<Double> before = new ArrayList<>();
        final List<Double> during = new ArrayList<>();
        final List<Double> after = new ArrayList<>();
        final List<Double> all = new ArrayList<>();
        final long drainEnd = floodDrained == Ledger.NEVER ? end : floodDrained;
        int sent = 0;
        int accepted = 0;
        int delivered = 0;
        int lost = 0;
        final List<Long> finals = new ArrayList<>();
        for (final Ledger.LegitMessage message : ledger.legitMessages())
        {
            if (message.unknownUser())
            {
                // Owed a verdict upstream (550) or a refusal in the session, not a delivery: AdmissionFigures.
                lost += message.accepted() != Ledger.NEVER && message.finalAt() == Ledger.NEVER ? 1 : 0;
                continue;
            }
            sent++;
            if (message.accepted() == Ledger.NEVER)
            {
                continue;
            }
            accepted++;
            if (message.finalAt() == Ledger.NEVER)
            {
                lost++;
                continue;
            }
            delivered++;
            finals.add(message.finalAt());
            final double latency = (message.finalAt() - message.firstAttempt()) / NANOS;
            all.add(latency);
            latencyPoints.add(new double[] {(message.firstAttempt() - floodStart) / NANOS, latency});
            switch (AdmissionFigures.phase(message.firstAttempt(), floodStart, drainEnd))
            {
                case "before" -> before.add(latency);
                case "during" -> during.add(latency);
                default -> after.add(latency);
            }
        }
        legitSent = sent;
        legitAccepted = accepted;
        legitDelivered = delivered;
        latencySeconds.put("before", sorted(before));
        latencySeconds.put("during", sorted(during));
        latencySeconds.put("after", sorted(after));
        latencySeconds.put("all", sorted(all));

        acknowledgedNotDelivered = lost + floodFinals(ledger, finals);

        drainSeconds = (drainEnd - floodStart) / NANOS;
        drainFinals = (int)finals.stream().filter(t -> t >= floodStart && t <= drainEnd).count();
        drainRate = drainSeconds > 0 ? drainFinals / drainSeconds : Double.NaN;
        steadyRatePerSecond = steadyRates(finals, floodStart, drainEnd, samples, options.upstreamRate());

        peakResidentMiB = samples.stream().mapToLong(Sample::residentBytes).max().orElse(0) / (1024.0 * 1024.0);
        final double cpuFirst = samples.isEmpty() ? 0 : samples.get(0).cpuSeconds();
        final double cpuLast = samples.isEmpty() ? 0 : samples.get(samples.size() - 1).cpuSeconds();
        cpuSeconds = cpuLast - cpuFirst;
        peakOpenFiles = samples.stream().mapToInt(Sample::openFiles).max().orElse(0);
        peakBacklog = samples.stream().mapToInt(Sample::backlog).max().orElse(0);
        admission = new AdmissionFigures(ledger, floodStart, drainEnd, new FloodTraffic(options)::floodNetworkOf);
    }

    /** @return the scenario this run was */
    Scenario scenario()
    {
        return options.scenario();
    }

    /**
     * @return messages the system says it still holds at the end (Sluice: held, paused, deferred, ready and in
     *     flight in its drain, over JMX), -1 when it said nothing
     */
    long heldBySystemAtTheEnd()
    {
        long held = 0;
        boolean any = false;
        for (final String key : List.of("HeldMessages", "PausedMessages", "DeferredMessages", "ReadyMessages",
            "InFlightMessages", "QuarantinedMessages", "maildrop", "incoming", "active", "deferred", "hold"))
        {
            final String value = description.get("atTheEnd." + key);
            if (value != null)
            {
                try
                {
                    held += (long)Double.parseDouble(value);
                    any = true;
                }
                catch (final NumberFormatException ex)
                {
                    // Not a count: left out.
                }
            }
        }
        return any ? held : -1;
    }

    /**
     * @return acknowledged messages with no verdict upstream that the system does not account for as still held:
     *     acknowledged but lost (all of them when the system says nothing about what it holds)
     */
    long acknowledgedButLost()
    {
        final long held = heldBySystemAtTheEnd();
        return held < 0 ? acknowledgedNotDelivered : Math.max(0, acknowledgedNotDelivered - held);
    }

    /** Adds every accepted flood message's final verdict time to {@code finals}; returns those without one. */
    private static int floodFinals(final Ledger ledger, final List<Long> finals)
    {
        int lost = 0;
        for (int m = 0; m < ledger.floodMessages(); m++)
        {
            if (ledger.floodAcceptedAt(m) == Ledger.NEVER)
            {
                continue;
            }
            if (ledger.floodFinalAt(m) == Ledger.NEVER)
            {
                lost++;
            }
            else
            {
                finals.add(ledger.floodFinalAt(m));
            }
        }
        return lost;
    }

    /**
     * Final verdicts per whole second, counted only over seconds that began with at least a second's worth of
     * backlog (the drain could have sent at full rate), so the ramp and the tail do not count as "slow".
     */
    static double[] steadyRates(final List<Long> finals, final long from, final long to, final List<Sample> samples,
        final double rate)
    {
        if (to <= from)
        {
            return new double[0];
        }
        final int seconds = (int)((to - from) / 1_000_000_000L);
        final int[] perSecond = new int[seconds];
        for (final long t : finals)
        {
            final long offset = t - from;
            if (offset >= 0 && offset / 1_000_000_000L < seconds)
            {
                perSecond[(int)(offset / 1_000_000_000L)]++;
            }
        }
        final List<Double> steady = new ArrayList<>();
        for (int s = 0; s < seconds; s++)
        {
            if (backlogAt(samples, from + s * 1_000_000_000L) >= rate)
            {
                steady.add((double)perSecond[s]);
            }
        }
        return sorted(steady);
    }

    static int backlogAt(final List<Sample> samples, final long nanos)
    {
        int backlog = 0;
        for (final Sample sample : samples)
        {
            if (sample.nanos() > nanos)
            {
                break;
            }
            backlog = sample.backlog();
        }
        return backlog;
    }

    static double[] sorted(final List<Double> values)
    {
        final double[] array = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(array);
        return array;
    }

    /** Nearest-rank percentile of sorted values; NaN when there are none. */
    static double percentile(final double[] sorted, final double percent)
    {
        if (sorted.length == 0)
        {
            return Double.NaN;
        }
        final int rank = (int)Math.ceil(percent / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    static double mean(final double[] values)
    {
        return values.length == 0 ? Double.NaN : Arrays.stream(values).average().orElse(Double.NaN);
    }

    boolean drained()
    {
        return floodDrained != Ledger.NEVER;
    }

    /** Work in the drain window ÷ configured rate: the seconds a drain exactly at the rate would have taken. */
    double predictedDrainSeconds()
    {
        return drainFinals / options.upstreamRate();
    }

    /** The plain prediction: accepted flood ÷ rate. */
    double floodOverRateSeconds()
    {
        return floodAccepted / options.upstreamRate();
    }

    double bounceAmplification()
    {
        return floodAccepted == 0 ? 0 : bounces / (double)floodAccepted;
    }

    /** @return the system's own ETA (seconds) in the sample closest after the flood was sent, NaN if none */
    double ownEtaWhenFloodSent()
    {
        for (final Sample sample : samples)
        {
            if (sample.nanos() >= floodSent && sample.own().containsKey("EtaSeconds"))
            {
                return sample.own().get("EtaSeconds");
            }
        }
        return Double.NaN;
    }

    /** @return the backlog in the first sample taken once the flood was sent */
    int backlogWhenFloodSent()
    {
        for (final Sample sample : samples)
        {
            if (sample.nanos() >= floodSent)
            {
                return sample.backlog();
            }
        }
        return 0;
    }

    Map<String, Object> latencySummary(final String phase)
    {
        final double[] values = latencySeconds.get(phase);
        final Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("count", values.length);
        summary.put("p50", percentile(values, 50));
        summary.put("p90", percentile(values, 90));
        summary.put("p99", percentile(values, 99));
        summary.put("max", values.length == 0 ? Double.NaN : values[values.length - 1]);
        return summary;
    }

    Map<String, Object> toMap()
    {
        final Map<String, Object> map = new LinkedHashMap<>();
        map.put("system", system);
        map.put("scenario", scenario().label());
        map.put("floodKind", options.floodKind().label());
        map.put(SystemUnderTest.CHANGED, description.getOrDefault(SystemUnderTest.CHANGED, "?"));
        map.put("description", description);
        map.put("admission", admission.toMap(options.floodMessages()));
        map.put("targets", AdmissionTargets.of(this).stream().map(AdmissionTargets.Row::toMap).toList());
        final Map<String, Object> flood = new LinkedHashMap<>();
        flood.put("sent", options.floodMessages());
        flood.put("accepted", floodAccepted);
        flood.put("refused", floodRefused);
        flood.put("refusedByReason", floodRefusals);
        flood.put("deliveredUpstream", floodDelivered);
        flood.put("rejectedUpstream", floodRejectedUpstream);
        flood.put("secondsToSend", (floodSent - floodStart) / NANOS);
        map.put("flood", flood);
        final Map<String, Object> legit = new LinkedHashMap<>();
        legit.put("sent", legitSent);
        legit.put("accepted", legitAccepted);
        legit.put("delivered", legitDelivered);
        legit.put("temporaryRefusalsByReason", legitRefusals);
        final Map<String, Object> latency = new LinkedHashMap<>();
        for (final String phase : latencySeconds.keySet())
        {
            latency.put(phase, latencySummary(phase));
        }
        legit.put("latencySeconds", latency);
        map.put("legitimate", legit);
        final Map<String, Object> drain = new LinkedHashMap<>();
        drain.put("configuredRatePerSecond", options.upstreamRate());
        drain.put("drained", drained());
        drain.put("secondsFromFloodStartToEmpty", drainSeconds);
        drain.put("finalVerdictsInThatTime", drainFinals);
        drain.put("measuredRatePerSecond", drainRate);
        drain.put("measuredRateVsConfigured", drainRate / options.upstreamRate());
        drain.put("predictedSecondsAtConfiguredRate", predictedDrainSeconds());
        drain.put("timeToEmptyVsPredicted", drainSeconds / predictedDrainSeconds());
        drain.put("floodOverRateSeconds", floodOverRateSeconds());
        drain.put("timeToEmptyVsFloodOverRate", drainSeconds / floodOverRateSeconds());
        drain.put("steadySecondsCounted", steadyRatePerSecond.length);
        drain.put("steadyRateMean", mean(steadyRatePerSecond));
        drain.put("steadyRateP5", percentile(steadyRatePerSecond, 5));
        drain.put("steadyRateP95", percentile(steadyRatePerSecond, 95));
        drain.put("backlogWhenFloodSent", backlogWhenFloodSent());
        drain.put("secondsFromFloodSentToEmpty", drained() ? (floodDrained - floodSent) / NANOS : Double.NaN);
        drain.put("ownEtaSecondsWhenFloodSent", ownEtaWhenFloodSent());
        drain.put("peakBacklog", peakBacklog);
        map.put("drain", drain);
        final Map<String, Object> integrity = new LinkedHashMap<>();
        integrity.put("acknowledgedButNeverDelivered", acknowledgedNotDelivered);
        integrity.put("stillHeldBySystemAtTheEnd", heldBySystemAtTheEnd());
        integrity.put("acknowledgedButLost", acknowledgedButLost());
        integrity.put("duplicates", duplicates);
        integrity.put("unknownArrivals", unknownArrivals);
        integrity.put("temporaryFailuresUpstream", deferredUpstream);
        map.put("integrity", integrity);
        final Map<String, Object> bounce = new LinkedHashMap<>();
        bounce.put("bouncesReachingUpstream", bounces);
        bounce.put("amplification", bounceAmplification());
        map.put("bounces", bounce);
        final Map<String, Object> process = new LinkedHashMap<>();
        process.put("peakResidentMiB", peakResidentMiB);
        process.put("cpuSeconds", cpuSeconds);
        process.put("peakOpenFiles", peakOpenFiles);
        map.put("process", process);
        final List<Object> timeline = new ArrayList<>();
        for (final Sample sample : samples)
        {
            final Map<String, Object> point = new LinkedHashMap<>();
            point.put("t", (sample.nanos() - floodStart) / NANOS);
            point.put("backlog", sample.backlog());
            point.put("accepted", sample.accepted());
            point.put("final", sample.finals());
            point.put("bounces", sample.bounces());
            point.put("rssMiB", sample.residentBytes() / (1024.0 * 1024.0));
            point.put("cpuSeconds", sample.cpuSeconds());
            point.put("own", sample.own());
            timeline.add(point);
        }
        map.put("timeline", timeline);
        return map;
    }
}
