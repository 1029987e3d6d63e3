package io.sluice.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.DoubleSupplier;
import java.util.function.ToLongFunction;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.sluice.counters.CounterDescriptor;

/**
 * Every stage's Agrona counters as Prometheus metrics, read at scrape time (a volatile read each: the writers never
 * see the scrape). Names follow Prometheus's conventions: {@code sluice_<stage>_<counter>}, counters end in
 * {@code _total}, times are in seconds and sizes in bytes, whatever unit the counter keeps ({@code _MS} counters are
 * divided by 1000, the unit moves to the end of the name). A counter is a gauge when its label says {@code (gauge)}
 * or its stage names it so.
 */
public final class CounterMetrics implements MultiCollector
{
    private final List<Metric> metrics = new ArrayList<>();

    /**
     * @param stage  the name's second part: spool, drain, admission, ...
     * @param type   the stage's counter enum
     * @param values reads one counter
     * @param gauges counters that go up and down although their label does not say {@code (gauge)}
     */
    public <E extends Enum<E> & CounterDescriptor> CounterMetrics add(
        final String stage, final Class<E> type, final ToLongFunction<E> values, final Set<E> gauges)
    {
        for (final E counter : type.getEnumConstants())
        {
            if (!counter.inUse())
            {
                continue;
            }
            final boolean gauge = gauges.contains(counter) || counter.label().contains("(gauge)");
            final String[] name = prometheusName(counter.name());
            final double scale = "seconds".equals(name[1]) ? 0.001 : 1.0;
            metrics.add(new Metric("sluice_" + stage + "_" + name[0], counter.label(), gauge,
                () -> values.applyAsLong(counter) * scale));
        }
        return this;
    }

    /** One more gauge, read at scrape time, e.g. open SMTP connections. */
    public CounterMetrics gauge(final String name, final String help, final DoubleSupplier value)
    {
        metrics.add(new Metric(name, help, true, value));
        return this;
    }

    /** One more counter, read at scrape time; {@code name} without {@code _total}, which the exposition adds. */
    public CounterMetrics counter(final String name, final String help, final DoubleSupplier value)
    {
        metrics.add(new Metric(name, help, false, value));
        return this;
    }

    /**
     * @param constant a counter's enum name, e.g. {@code OLDEST_PENDING_AGE_MS}
     * @return its metric name without the stage and without {@code _total} ({@code oldest_pending_age_seconds}), and
     *         its unit: seconds, bytes, or empty
     */
    static String[] prometheusName(final String constant)
    {
        final List<String> words = new ArrayList<>(List.of(constant.toLowerCase(Locale.ROOT).split("_")));
        String unit = "";
        if (words.remove("ms"))
        {
            unit = "seconds";
        }
        else if (words.remove("bytes"))
        {
            unit = "bytes";
        }
        if (!unit.isEmpty())
        {
            words.add(unit);
        }
        return new String[] {String.join("_", words), unit};
    }

    @Override
    public MetricSnapshots collect()
    {
        final List<MetricSnapshot> snapshots = new ArrayList<>(metrics.size());
        for (final Metric metric : metrics)
        {
            snapshots.add(metric.snapshot());
        }
        return new MetricSnapshots(snapshots);
    }

    /** One counter or gauge: its name (without {@code _total}), help text and how to read it. */
    private record Metric(String name, String help, boolean gauge, DoubleSupplier value)
    {
        MetricSnapshot snapshot()
        {
            final double now = value.getAsDouble();
            if (gauge)
            {
                return GaugeSnapshot.builder().name(name).help(help)
                    .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(now).build()).build();
            }
            return CounterSnapshot.builder().name(name).help(help)
                .dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().value(now).build()).build();
        }
    }
}
