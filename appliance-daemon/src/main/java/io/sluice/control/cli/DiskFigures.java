package io.sluice.control.cli;

import java.util.Map;

import io.sluice.control.SpoolControlMXBean;

/** The spool's disk figures for {@code sluice queue}: free space, the reserve, and disk pressure now and since start. */
record DiskFigures(long freeBytes, long reserveBytes, long pressureSeconds, long pressureTotalSeconds, long episodes,
    long etaSeconds)
{
    static DiskFigures read(final DaemonClient daemon, final SpoolControlMXBean spool) throws CommandException
    {
        return new DiskFigures(daemon.call(spool::getDiskFreeBytes), daemon.call(spool::getDiskReserveBytes),
            daemon.call(spool::getDiskPressureSeconds), daemon.call(spool::getDiskPressureTotalSeconds),
            daemon.call(spool::getDiskPressureEpisodes), daemon.call(spool::getDiskPressureEtaSeconds));
    }

    /** Why mail is refused, for how long so far, and when it is expected back. */
    String pressureLine()
    {
        final String eta = etaSeconds < 0
            ? "no estimate yet (space returns as the drain finishes pending mail)"
            : etaSeconds == 0 ? "accepting again within moments" : "accepting again in about " + Reports.age(etaSeconds);
        return "disk pressure for " + Reports.age(pressureSeconds) + ": free space is under the reserve and new mail gets"
            + " 452 4.3.1; the spool frees space by itself, " + eta;
    }

    String line()
    {
        return Reports.bytes(freeBytes) + " free, reserve " + Reports.bytes(reserveBytes) + "; under pressure "
            + episodes + (episodes == 1 ? " time" : " times") + " since start, " + Reports.age(pressureTotalSeconds) + " in all";
    }

    void toJson(final Map<String, Object> json)
    {
        json.put("diskFreeBytes", freeBytes);
        json.put("diskReserveBytes", reserveBytes);
        json.put("diskPressureSeconds", pressureSeconds);
        json.put("diskPressureTotalSeconds", pressureTotalSeconds);
        json.put("diskPressureEpisodes", episodes);
        json.put("diskPressureEtaSeconds", etaSeconds);
    }
}
