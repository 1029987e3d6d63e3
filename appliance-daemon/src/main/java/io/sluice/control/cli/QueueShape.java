package io.sluice.control.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.sluice.drain.DrainStatus;

/**
 * Postfix {@code qshape}'s table: pending messages per lane/route (rows), each followed by its busiest tenants, against
 * age buckets (columns: total, then up to 5, 10, 20, ... 1280 minutes, then older). An empty shape prints nothing: a
 * daemon without a drain reports pending totals only.
 *
 * @param bucketUpperMinutes upper bounds of the age buckets, minutes, as the daemon counts them; one more is older
 * @param rows               one per lane and route with pending mail, in the order the daemon lists them
 * @param tenantRowsLeftOut  tenant rows the daemon counted but did not list (only its busiest are listed)
 */
record QueueShape(List<Integer> bucketUpperMinutes, List<Row> rows, int tenantRowsLeftOut)
{
    static final QueueShape NONE = new QueueShape(DrainStatus.AGE_BUCKET_UPPER_MINUTES, List.of(), 0);

    QueueShape
    {
        bucketUpperMinutes = List.copyOf(bucketUpperMinutes);
        rows = List.copyOf(rows);
        for (final Row row : rows)
        {
            row.check(bucketUpperMinutes.size() + 1);
        }
    }

    /**
     * @param lane    the lane (e.g. system notifications, customer mail)
     * @param route   the upstream route
     * @param byAge   pending messages per age bucket, youngest first
     * @param bytes   their content bytes
     * @param tenants the busiest tenants' rows on this lane and route, most pending first
     */
    record Row(String lane, String route, long[] byAge, long bytes, List<TenantRow> tenants)
    {
        Row
        {
            byAge = byAge.clone();
            tenants = List.copyOf(tenants);
        }

        void check(final int buckets)
        {
            if (byAge.length != buckets)
            {
                throw new IllegalArgumentException("expected " + buckets + " age buckets, got " + byAge.length);
            }
            tenants.forEach(t -> t.check(buckets));
        }

        long total()
        {
            return sum(byAge);
        }
    }

    /**
     * @param tenant the tenant
     * @param byAge  its pending messages per age bucket
     */
    record TenantRow(String tenant, long[] byAge)
    {
        TenantRow
        {
            byAge = byAge.clone();
        }

        void check(final int buckets)
        {
            if (byAge.length != buckets)
            {
                throw new IllegalArgumentException("expected " + buckets + " age buckets, got " + byAge.length);
            }
        }

        long total()
        {
            return sum(byAge);
        }
    }

    private static long sum(final long[] counts)
    {
        long total = 0;
        for (final long count : counts)
        {
            total += count;
        }
        return total;
    }

    /** @return {@code T}, the upper bounds, then the last bound with a {@code +}: qshape's column heads. */
    List<String> columnLabels()
    {
        final List<String> labels = new ArrayList<>();
        labels.add("T");
        for (final int minutes : bucketUpperMinutes)
        {
            labels.add(Integer.toString(minutes));
        }
        labels.add(bucketUpperMinutes.get(bucketUpperMinutes.size() - 1) + "+");
        return labels;
    }

    /** The table as text: a header, a TOTAL row, then one row per lane/route with its tenants indented below it. */
    List<String> lines()
    {
        if (rows.isEmpty())
        {
            return List.of();
        }
        int nameWidth = "TOTAL".length();
        final long[] totals = new long[bucketUpperMinutes.size() + 1];
        for (final Row row : rows)
        {
            nameWidth = Math.max(nameWidth, name(row).length());
            for (final TenantRow tenant : row.tenants())
            {
                nameWidth = Math.max(nameWidth, tenant.tenant().length() + 2);
            }
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
            for (final TenantRow tenant : row.tenants())
            {
                lines.add(line("  " + tenant.tenant(), nameWidth, tenant.byAge()));
            }
        }
        if (tenantRowsLeftOut > 0)
        {
            lines.add("(" + tenantRowsLeftOut + " quieter tenant rows not listed)");
        }
        return lines;
    }

    private static String name(final Row row)
    {
        return row.lane() + "/" + row.route();
    }

    private static String line(final String name, final int width, final long[] byAge)
    {
        final StringBuilder line = new StringBuilder(String.format("%-" + width + "s %6d", name, sum(byAge)));
        for (final long count : byAge)
        {
            line.append(String.format(" %6d", count));
        }
        return line.toString();
    }

    /** The {@code --json} form: bucket labels once, then rows with their counts and their tenants'. */
    Map<String, Object> toJson()
    {
        final List<Object> jsonRows = new ArrayList<>();
        for (final Row row : rows)
        {
            final Map<String, Object> json = new LinkedHashMap<>();
            json.put("lane", row.lane());
            json.put("route", row.route());
            json.put("total", row.total());
            json.put("bytes", row.bytes());
            json.put("byAge", counts(row.byAge()));
            final List<Object> tenants = new ArrayList<>();
            for (final TenantRow tenant : row.tenants())
            {
                final Map<String, Object> jsonTenant = new LinkedHashMap<>();
                jsonTenant.put("tenant", tenant.tenant());
                jsonTenant.put("total", tenant.total());
                jsonTenant.put("byAge", counts(tenant.byAge()));
                tenants.add(jsonTenant);
            }
            json.put("tenants", tenants);
            jsonRows.add(json);
        }
        final Map<String, Object> json = new LinkedHashMap<>();
        json.put("ageBucketsMinutes", new ArrayList<Object>(columnLabels().subList(1, columnLabels().size())));
        json.put("rows", jsonRows);
        json.put("tenantRowsLeftOut", tenantRowsLeftOut);
        return json;
    }

    private static List<Object> counts(final long[] byAge)
    {
        final List<Object> counts = new ArrayList<>();
        for (final long count : byAge)
        {
            counts.add(count);
        }
        return counts;
    }
}
