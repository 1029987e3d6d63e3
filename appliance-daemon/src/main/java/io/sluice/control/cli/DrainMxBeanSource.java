package io.sluice.control.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.sluice.control.DrainControlMXBean;
import io.sluice.control.PendingAgeRow;

/** The drain's figures from the daemon's Drain MXBean; a daemon that registers none gives none. */
final class DrainMxBeanSource implements DrainSource
{
    static final DrainMxBeanSource INSTANCE = new DrainMxBeanSource();

    private DrainMxBeanSource()
    {
    }

    @Override
    public Optional<DrainFigures> read(final DaemonClient daemon) throws CommandException
    {
        if (!daemon.has("Drain"))
        {
            return Optional.empty();
        }
        final DrainControlMXBean drain = daemon.drain();
        final List<Integer> buckets = new ArrayList<>();
        for (final int minutes : daemon.call(drain::getAgeBucketUpperMinutes))
        {
            buckets.add(minutes);
        }
        // Tenants first, so each lane row can take its own as it is built, in the daemon's busiest-first order.
        final Map<String, List<QueueShape.TenantRow>> tenants = new LinkedHashMap<>();
        final PendingAgeRow[] tenantRows = daemon.call(drain::getPendingByTenantAge);
        for (final PendingAgeRow row : tenantRows)
        {
            tenants.computeIfAbsent(row.getRoute() + "/" + row.getLane(), k -> new ArrayList<>())
                .add(new QueueShape.TenantRow(row.getTenant(), row.getByAge()));
        }
        final List<QueueShape.Row> rows = new ArrayList<>();
        long listedTenantRows = 0;
        for (final PendingAgeRow row : daemon.call(drain::getPendingByAge))
        {
            final List<QueueShape.TenantRow> own = tenants.getOrDefault(row.getRoute() + "/" + row.getLane(), List.of());
            listedTenantRows += own.size();
            rows.add(new QueueShape.Row(row.getLane(), row.getRoute(), row.getByAge(), row.getBytes(), own));
        }
        // A tenant row whose lane row was counted at another moment is dropped rather than shown under no lane.
        final int leftOut = daemon.call(drain::getPendingByTenantAgeLeftOut) + (int)(tenantRows.length - listedTenantRows);
        return Optional.of(new DrainFigures(daemon.call(drain::getMeasuredRatePerSecond),
            daemon.call(drain::getEffectiveRatePerSecond), daemon.call(drain::getEtaSeconds),
            daemon.call(drain::getOldestPendingAgeSeconds), List.of(daemon.call(drain::getRouteTable)),
            new QueueShape(buckets, rows, leftOut)));
    }
}
