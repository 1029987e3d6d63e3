package io.sluice.control.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Postfix {@code qshape}'s table: pending messages per lane/route (rows) against age buckets (columns:
 * total, then up to 5, 10, 20, ... 1280 minutes, then older). An empty shape prints nothing: the daemon
 * reports pending totals only until the drain publishes its per-lane/route table.
 *
 * @param rows one per lane and route, in the order the daemon lists them
 */
record QueueShape(List<Row> rows)
{
    /** Upper bounds of the age buckets, minutes, as qshape's defaults; the last bucket is everything older. */
    static final long[] BUCKET_UPPER_MINUTES = {5, 10, 20, 40, 80, 160, 320, 640, 1280};

    static final QueueShape NONE = new QueueShape(List.of());

    /**
     * @param lane  the lane (e.g. system notifications, customer mail)
     * @param route the upstream route
     * @param byAge pending messages per age bucket: {@link #BUCKET_UPPER_MINUTES}{@code .length + 1} entries
     */
    record Row(String lane, String route, long[] byAge)
    {
        Row
        {
            if (byAge.length != BUCKET_UPPER_MINUTES.length + 1)
            {
                throw new IllegalArgumentException("expected " + (BUCKET_UPPER_MINUTES.length + 1) + " age buckets");
            }
            byAge = byAge.clone();
        }

        long total()
        {
            long sum = 0;
            for (final long count : byAge)
            {
                sum += count;
            }
            return sum;
        }
    }

    /** @return the bucket a message of {@code ageSeconds} counts in. */
    static int bucketOf(final long ageSeconds)
    {
        for (int i = 0; i < BUCKET_UPPER_MINUTES.length; i++)
        {
            if (ageSeconds < BUCKET_UPPER_MINUTES[i] * 60)
            {
                return i;
            }
        }
        return BUCKET_UPPER_MINUTES.length;
    }

    static List<String> columnLabels()
    {
        final List<String> labels = new ArrayList<>();
        labels.add("T");
        for (final long minutes : BUCKET_UPPER_MINUTES)
        {
            labels.add(Long.toString(minutes));
        }
        labels.add(BUCKET_UPPER_MINUTES[BUCKET_UPPER_MINUTES.length - 1] + "+");
        return labels;
    }

    /** The table as text: a header, a TOTAL row, then one row per lane/route. */
    List<String> lines()
    {
        if (rows.isEmpty())
        {
            return List.of();
        }
        int nameWidth = "TOTAL".length();
        for (final Row row : rows)
        {
            nameWidth = Math.max(nameWidth, name(row).length());
        }
        final long[] totals = new long[BUCKET_UPPER_MINUTES.length + 1];
        for (final Row row : rows)
        {
            for (int i = 0; i < totals.length; i++)
            {
                totals[i] += row.byAge()[i];
            }
        }
        final List<String> lines = new ArrayList<>();
        final StringBuilder header = new StringBuilder(String.format("%-" + nameWidth + "s", ""));
        for (final String label : columnLabels())
        {
            header.append(String.format(" %6s", label));
        }
        lines.add(header.toString());
        lines.add(line("TOTAL", nameWidth, totals));
        for (final Row row : rows)
        {
            lines.add(line(name(row), nameWidth, row.byAge()));
        }
        return lines;
    }

    private static String name(final Row row)
    {
        return row.lane() + "/" + row.route();
    }

    private static String line(final String name, final int width, final long[] byAge)
    {
        long total = 0;
        for (final long count : byAge)
        {
            total += count;
        }
        final StringBuilder line = new StringBuilder(String.format("%-" + width + "s %6d", name, total));
        for (final long count : byAge)
        {
            line.append(String.format(" %6d", count));
        }
        return line.toString();
    }

    /** The {@code --json} form: bucket labels once, then rows with their counts. */
    Map<String, Object> toJson()
    {
        final List<Object> jsonRows = new ArrayList<>();
        for (final Row row : rows)
        {
            final Map<String, Object> json = new LinkedHashMap<>();
            json.put("lane", row.lane());
            json.put("route", row.route());
            json.put("total", row.total());
            final List<Object> counts = new ArrayList<>();
            for (final long count : row.byAge())
            {
                counts.add(count);
            }
            json.put("byAge", counts);
            jsonRows.add(json);
        }
        final Map<String, Object> json = new LinkedHashMap<>();
        json.put("ageBucketsMinutes", new ArrayList<Object>(columnLabels().subList(1, columnLabels().size())));
        json.put("rows", jsonRows);
        return json;
    }
}
