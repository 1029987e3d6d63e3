package io.sluice.control.cli;

import java.util.List;
import java.util.Optional;

import io.sluice.control.RouteRow;

/**
 * Where the drain's figures enter {@code sluice queue}: drain rates, ETA, the routes, and the per lane/route/tenant
 * table by age. {@link DrainMxBeanSource} reads them from the daemon's Drain MXBean ({@code io.sluice:type=Drain});
 * {@link #NONE} reads nothing, and the report then shows the spool's totals alone (a daemon without a drain).
 */
@FunctionalInterface
interface DrainSource
{
    DrainSource NONE = daemon -> Optional.empty();

    /** @return the drain's figures, or empty when the daemon publishes none. */
    Optional<DrainFigures> read(DaemonClient daemon) throws CommandException;

    /**
     * @param measuredRatePerSecond  messages sent per second recently, every route together
     * @param effectiveRatePerSecond messages per second the routes may send now (after back-off, paused routes excluded)
     * @param etaSeconds             until the ready backlog is drained at the current rates
     * @param oldestSeconds          age of the oldest pending message
     * @param routes                 each route's rates, connections, pause and backlog
     * @param shape                  pending messages per lane/route/tenant and age bucket
     */
    record DrainFigures(double measuredRatePerSecond, double effectiveRatePerSecond, long etaSeconds, long oldestSeconds,
        List<RouteRow> routes, QueueShape shape)
    {
    }
}
