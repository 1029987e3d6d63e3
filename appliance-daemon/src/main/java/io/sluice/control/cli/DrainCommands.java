package io.sluice.control.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.sluice.control.DrainControlMXBean;
import io.sluice.control.SpoolControlMXBean;

/**
 * {@code sluice drain pause|resume}, {@code retry}, {@code rate} and {@code connections}: the drain's switches, over
 * the Spool MXBean (routes, retry) and the Drain MXBean (tenants, sources, rates, connection limits).
 */
final class DrainCommands
{
    private DrainCommands()
    {
    }

    /** Usage errors before any connection. */
    static void check(final Invocation invocation) throws CommandException
    {
        final String action = invocation.operand(0, "pause or resume, e.g. drain pause --route default");
        invocation.expectAtMost(1);
        if (!action.equals("pause") && !action.equals("resume"))
        {
            throw CommandException.usage("drain expects pause or resume, got: " + action);
        }
        int targets = 0;
        for (final String option : List.of("route", "tenant", "source"))
        {
            targets += invocation.option(option) == null ? 0 : 1;
        }
        if (targets > 1)
        {
            throw CommandException.usage("drain " + action + " takes one of --route, --tenant or --source");
        }
    }

    static double rate(final Invocation invocation) throws CommandException
    {
        final String text = invocation.operands().get(1);
        try
        {
            final double rate = Double.parseDouble(text);
            if (rate > 0 && Double.isFinite(rate))
            {
                return rate;
            }
        }
        catch (final NumberFormatException ex)
        {
            // reported below
        }
        throw CommandException.usage("rate expects messages per second above 0, got: " + text);
    }

    static int connections(final Invocation invocation) throws CommandException
    {
        return count(invocation.operands().get(1), "connections expects a connection limit");
    }

    private static int count(final String text, final String what) throws CommandException
    {
        try
        {
            final int value = Integer.parseInt(text);
            if (value >= 1)
            {
                return value;
            }
        }
        catch (final NumberFormatException ex)
        {
            // reported below
        }
        throw CommandException.usage(what + " of at least 1, got: " + text);
    }

    static Reports.Report run(final Invocation invocation, final DaemonClient daemon) throws CommandException
    {
        switch (invocation.command())
        {
            case "retry":
            {
                final SpoolControlMXBean spool = daemon.spool();
                final int retried = daemon.call(spool::retryDeferred);
                return new Reports.Report(List.of(retried + " deferred message" + (retried == 1 ? "" : "s")
                    + " retried now, within the routes' rates"), Map.of("retried", retried));
            }
            case "rate":
            {
                final DrainControlMXBean drain = daemon.drain();
                final String route = invocation.operands().get(0);
                final double rate = rate(invocation);
                final int burst = count(invocation.operands().get(2), "rate expects a burst");
                daemon.call(() ->
                {
                    drain.setRouteRate(route, rate, burst);
                    return null;
                });
                return routeReport(route, String.format(Locale.ROOT, "route %s: %.1f messages/s, burst %d", route, rate, burst),
                    "ratePerSecond", rate);
            }
            case "connections":
            {
                final DrainControlMXBean drain = daemon.drain();
                final String route = invocation.operands().get(0);
                final int limit = connections(invocation);
                daemon.call(() ->
                {
                    drain.setRouteConnections(route, limit);
                    return null;
                });
                return routeReport(route, "route " + route + ": at most " + limit + " connections", "maxConnections", limit);
            }
            default:
                return pauseOrResume(invocation, daemon);
        }
    }

    private static Reports.Report routeReport(final String route, final String text, final String key, final Object value)
    {
        final Map<String, Object> json = new LinkedHashMap<>();
        json.put("route", route);
        json.put(key, value);
        return new Reports.Report(List.of(text), json);
    }

    private static Reports.Report pauseOrResume(final Invocation invocation, final DaemonClient daemon) throws CommandException
    {
        final boolean pause = invocation.operands().get(0).equals("pause");
        final String tenant = invocation.option("tenant");
        final String source = invocation.option("source");
        final Map<String, Object> json = new LinkedHashMap<>();
        final String what;
        if (tenant != null || source != null)
        {
            final DrainControlMXBean drain = daemon.drain();
            daemon.call(() ->
            {
                if (tenant != null)
                {
                    toggle(pause, () -> drain.pauseTenant(tenant), () -> drain.resumeTenant(tenant));
                }
                else
                {
                    toggle(pause, () -> drain.pauseSource(source), () -> drain.resumeSource(source));
                }
                return null;
            });
            what = tenant != null ? "tenant " + tenant : "source " + source;
            json.put("pausedTenants", List.of(daemon.call(drain::getPausedTenants)));
            json.put("pausedSources", List.of(daemon.call(drain::getPausedSources)));
        }
        else
        {
            final SpoolControlMXBean spool = daemon.spool();
            final String route = invocation.option("route") == null ? "" : invocation.option("route");
            daemon.call(() ->
            {
                toggle(pause, () -> spool.pauseDrain(route), () -> spool.resumeDrain(route));
                return null;
            });
            what = route.isEmpty() ? "every route" : "route " + route;
            json.put("pausedRoutes", new ArrayList<Object>(List.of(daemon.call(spool::getDrainPausedRoutes))));
        }
        final String text = pause
            ? "drain paused for " + what + ": its mail stays in the spool, counted as paused (sluice drain resume to undo)"
            : "drain resumed for " + what + ": its mail is sent again";
        return new Reports.Report(List.of(text), json);
    }

    private static void toggle(final boolean pause, final Runnable onPause, final Runnable onResume)
    {
        (pause ? onPause : onResume).run();
    }
}
