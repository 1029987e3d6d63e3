package io.sluice.control.cli;

import java.util.Optional;

/**
 * Where the drain's figures enter {@code sluice queue}: egress rate, ETA and the per lane/route table by
 * age. The daemon has no Drain MXBean yet, so {@link #NONE} reads nothing and the report shows the spool's
 * totals alone. When one is registered ({@code io.sluice:type=Drain}), an implementation reads it through
 * {@link DaemonClient#connection()} (or a typed proxy) and {@link SluiceCommand} uses it instead of NONE.
 */
@FunctionalInterface
interface DrainSource
{
    DrainSource NONE = daemon -> Optional.empty();

    /** @return the drain's figures, or empty when the daemon publishes none. */
    Optional<DrainFigures> read(DaemonClient daemon) throws CommandException;

    /**
     * @param ratePerSecond messages delivered (or finally failed) per second, recently
     * @param etaSeconds    until the current backlog is drained at that rate; negative when unknown
     * @param shape         pending messages per lane/route and age bucket
     */
    record DrainFigures(double ratePerSecond, long etaSeconds, QueueShape shape)
    {
    }
}
