package io.sluice.control.cli;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.sluice.control.LimitsControlMXBean;
import io.sluice.control.RouteRow;
import io.sluice.control.FleetControlMXBean;
import io.sluice.control.SpoolControlMXBean;
import io.sluice.control.TenantRow;

/** What each subcommand prints: text for people, a JSON document for scripts, from the same figures. */
final class Reports
{
    /** {@code LimitsControl.describe}: {@code <network> until unblocked} or {@code <network> until <instant>}. */
    private static final Pattern BLOCK = Pattern.compile("^(\\S+) until (.+)$");
    /** {@code LimitsControl.topSources}: {@code <KIND> <key> <n> recent messages}. */
    private static final Pattern TOP = Pattern.compile("^(\\S+) (\\S+) (\\d+) recent messages$");
    /** {@code LimitsControl.reputationLine}: {@code <key> <class> <score> <clean> <bad> <why>}. */
    private static final Pattern AUTH_FAILURE = Pattern.compile("^(\\S+) (\\S+) (\\d+) (\\d+) (\\d+)$");
    private static final Pattern REPUTATION = Pattern.compile("^(\\S+) (\\S+) (-?[\\d.]+) ([\\d.]+) ([\\d.]+) (.*)$");

    private Reports()
    {
    }

    /** A report: the text lines and the JSON value of one answer. */
    record Report(List<String> text, Object json)
    {
    }

    static Report queue(final DaemonClient daemon, final DrainSource drainSource) throws CommandException
    {
        final SpoolControlMXBean spool = daemon.spool();
        final long pending = daemon.call(spool::getPendingMessages);
        final long bytes = daemon.call(spool::getPendingBytes);
        final long oldest = daemon.call(spool::getOldestPendingAgeSeconds);
        final boolean accepting = daemon.call(spool::isAcceptingMessages);
        final boolean paused = daemon.call(spool::isIngressPaused);
        final long appended = daemon.call(spool::getMessagesAppended);
        final long refusedDisk = daemon.call(spool::getAppendsRefusedDiskFull);
        final DiskFigures disk = DiskFigures.read(daemon, spool);
        final Optional<DrainSource.DrainFigures> drain = drainSource.read(daemon);

        final List<String> text = new ArrayList<>();
        text.add(String.format("pending      %d message%s, %s", pending, pending == 1 ? "" : "s", bytes(bytes)));
        text.add("oldest       " + (pending == 0 ? "-" : age(oldest)));
        text.add("accepting    " + (accepting ? "yes" : "NO: " + disk.pressureLine()));
        text.add("disk         " + disk.line());
        text.add("ingress      " + (paused ? "PAUSED by an operator: new connections get 421 4.3.2 (sluice resume)" : "running"));
        text.add(String.format("since start  %d appended, %d refused for disk space", appended, refusedDisk));
        drain.ifPresent(d -> text.addAll(drainLines(d)));
        final FleetControlMXBean fleet = daemon.fleetOrNull();
        final String fleetName = fleet == null ? "" : daemon.call(fleet::getFleet);
        if (!fleetName.isEmpty())
        {
            text.add("fleet        " + daemon.call(fleet::getSummary));
        }
        final QueueShape shape = drain.map(DrainSource.DrainFigures::shape).orElse(QueueShape.NONE);
        if (!shape.rows().isEmpty())
        {
            text.add("");
            text.addAll(shape.lines());
        }

        final Map<String, Object> json = new LinkedHashMap<>();
        json.put("pendingMessages", pending);
        json.put("pendingBytes", bytes);
        json.put("oldestPendingAgeSeconds", oldest);
        json.put("acceptingMessages", accepting);
        json.put("ingressPaused", paused);
        json.put("messagesAppended", appended);
        json.put("appendsRefusedDiskFull", refusedDisk);
        if (!fleetName.isEmpty())
        {
            json.put("fleet", fleetName);
            json.put("fleetShared", daemon.call(fleet::isShared));
            json.put("fleetLiveNodes", daemon.call(fleet::getLiveNodes));
        }
        disk.toJson(json);
        json.put("drainRatePerSecond", drain.map(DrainSource.DrainFigures::measuredRatePerSecond).orElse(null));
        json.put("drainEffectiveRatePerSecond", drain.map(DrainSource.DrainFigures::effectiveRatePerSecond).orElse(null));
        json.put("etaSeconds", drain.map(d -> (Object)d.etaSeconds()).orElse(null));
        final List<Object> routes = new ArrayList<>();
        drain.ifPresent(d -> d.routes().forEach(r -> routes.add(route(r))));
        json.put("routes", routes);
        json.put("shape", shape.toJson());
        return new Report(text, json);
    }

    private static List<String> drainLines(final DrainSource.DrainFigures drain)
    {
        final List<String> text = new ArrayList<>();
        text.add(String.format(Locale.ROOT, "drain        %.1f msg/s measured, %.1f msg/s allowed now; %s",
            drain.measuredRatePerSecond(), drain.effectiveRatePerSecond(),
            drain.etaSeconds() == 0 ? "nothing ready to send" : "ready backlog gone in about " + age(drain.etaSeconds())));
        for (final RouteRow route : drain.routes())
        {
            final boolean backedOff = route.getEffectiveRatePerSecond() < route.getConfiguredRatePerSecond();
            final String learned = route.getLearnedCeilingPerSecond() > 0
                ? String.format(Locale.ROOT, " (upstream takes %.1f/s)", route.getLearnedCeilingPerSecond())
                : backedOff ? " (backed off)" : "";
            text.add(String.format(Locale.ROOT,
                "route %-14s %s%.1f/s configured, %.1f/s effective%s, %.1f/s measured; %d of %d connections;"
                + " ready %d, paused %d, deferred %d, held %d, in flight %d",
                route.getRoute(), route.isPaused() ? "PAUSED (sluice drain resume --route " + route.getRoute() + "); " : "",
                route.getConfiguredRatePerSecond(), route.getEffectiveRatePerSecond(), learned,
                route.getMeasuredRatePerSecond(), route.getConnectionsInUse(), route.getMaxConnections(),
                route.getReadyMessages(), route.getPausedMessages(), route.getDeferredMessages(), route.getHeldMessages(),
                route.getInFlightMessages()));
        }
        return text;
    }

    private static Map<String, Object> route(final RouteRow route)
    {
        final Map<String, Object> json = new LinkedHashMap<>();
        json.put("route", route.getRoute());
        json.put("paused", route.isPaused());
        json.put("configuredRatePerSecond", route.getConfiguredRatePerSecond());
        json.put("effectiveRatePerSecond", route.getEffectiveRatePerSecond());
        json.put("measuredRatePerSecond", route.getMeasuredRatePerSecond());
        json.put("maxConnections", route.getMaxConnections());
        json.put("connectionsInUse", route.getConnectionsInUse());
        json.put("readyMessages", route.getReadyMessages());
        json.put("pausedMessages", route.getPausedMessages());
        json.put("deferredMessages", route.getDeferredMessages());
        json.put("heldMessages", route.getHeldMessages());
        json.put("inFlightMessages", route.getInFlightMessages());
        json.put("etaSeconds", route.getEtaSeconds());
        json.put("throttleSignals", route.getThrottleSignals());
        json.put("learnedCeilingPerSecond", route.getLearnedCeilingPerSecond());
        return json;
    }

    static Report tenants(final TenantRow[] tenants)
    {
        final List<String> text = new ArrayList<>();
        final List<Object> json = new ArrayList<>();
        text.add(String.format("%-20s %-7s %8s %9s %9s %8s %6s %6s  %s", "tenant", "state", "messages", "rate/min",
            "normal", "verdicts", "5xx", "5.7.x", "why"));
        for (final TenantRow tenant : tenants)
        {
            text.add(String.format(Locale.ROOT, "%-20s %-7s %8d %9.1f %9.1f %8d %5.0f%% %5.0f%%  %s", tenant.getTenant(),
                tenant.getState().toLowerCase(Locale.ROOT), tenant.getMessages(), tenant.getRatePerMinute(),
                tenant.getNormalRatePerMinute(), tenant.getVerdicts(), 100 * tenant.getPermanentFailureRatio(),
                100 * tenant.getPolicyRejectionRatio(), why(tenant)));
            final Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("tenant", tenant.getTenant());
            entry.put("state", tenant.getState().toLowerCase(Locale.ROOT));
            entry.put("reason", tenant.getReason().isEmpty() ? null : tenant.getReason());
            entry.put("since", tenant.getSinceMillis() == 0 ? null : Instant.ofEpochMilli(tenant.getSinceMillis()).toString());
            entry.put("note", tenant.getNote().isEmpty() ? null : tenant.getNote());
            entry.put("windowSeconds", tenant.getWindowSeconds());
            entry.put("messages", tenant.getMessages());
            entry.put("ratePerMinute", tenant.getRatePerMinute());
            entry.put("normalRatePerMinute", tenant.getNormalRatePerMinute());
            entry.put("verdicts", tenant.getVerdicts());
            entry.put("permanentFailures", tenant.getPermanentFailures());
            entry.put("policyRejections", tenant.getPolicyRejections());
            entry.put("permanentFailureRatio", tenant.getPermanentFailureRatio());
            entry.put("policyRejectionRatio", tenant.getPolicyRejectionRatio());
            json.add(entry);
        }
        if (tenants.length == 0)
        {
            text.add("(no tenant has sent mail recently)");
        }
        else
        {
            text.add("(messages and rejections over the last " + tenants[0].getWindowSeconds() + " s)");
        }
        return new Report(text, json);
    }

    private static String why(final TenantRow tenant)
    {
        if ("NORMAL".equals(tenant.getState()))
        {
            return "";
        }
        return tenant.getReason() + " since " + Instant.ofEpochMilli(tenant.getSinceMillis())
            + (tenant.getNote().isEmpty() ? "" : ": " + tenant.getNote());
    }

    static Report limits(final DaemonClient daemon) throws CommandException
    {
        final LimitsControlMXBean limits = daemon.limits();
        final Map<String, Object> defaults = new LinkedHashMap<>();
        defaults.put("IP", limit(daemon.call(limits::getIpRatePerSecond), daemon.call(limits::getIpBurst)));
        defaults.put("NETWORK", limit(daemon.call(limits::getNetworkRatePerSecond), daemon.call(limits::getNetworkBurst)));
        defaults.put("SENDER_DOMAIN",
            limit(daemon.call(limits::getSenderDomainRatePerSecond), daemon.call(limits::getSenderDomainBurst)));
        defaults.put("TENANT", limit(daemon.call(limits::getTenantRatePerSecond), daemon.call(limits::getTenantBurst)));
        defaults.put("GLOBAL", limit(daemon.call(limits::getGlobalRatePerSecond), daemon.call(limits::getGlobalBurst)));
        final long maxDelay = daemon.call(limits::getMaxProjectedDelaySeconds);
        final String watermarks = daemon.call(limits::getBacklogWatermarks);
        final List<String> overrides = List.of(daemon.call(limits::listOverrides));
        final List<String> blocks = List.of(daemon.call(limits::listBlocks));

        final List<String> text = new ArrayList<>();
        text.add(String.format("%-26s %10s %8s", "default message limits", "rate/s", "burst"));
        for (final Map.Entry<String, Object> entry : defaults.entrySet())
        {
            @SuppressWarnings("unchecked")
            final Map<String, Object> limit = (Map<String, Object>)entry.getValue();
            final double rate = (Double)limit.get("ratePerSecond");
            text.add(String.format(Locale.ROOT, "  %-24s %10s %8d", entry.getKey().toLowerCase(Locale.ROOT).replace('_', '-'),
                rate == 0 ? "unlimited" : String.format(Locale.ROOT, "%.2f", rate), (Long)limit.get("burst")));
        }
        text.add("max projected delay        " + (maxDelay == 0 ? "off" : maxDelay + " s"));
        text.add("backlog watermarks         " + watermarks);
        text.add("overrides" + (overrides.isEmpty() ? "                  none" : ":"));
        overrides.forEach(o -> text.add("  " + o));
        text.add("blocks" + (blocks.isEmpty() ? "                     none" : ":"));
        blocks.forEach(b -> text.add("  " + b));

        final Map<String, Object> json = new LinkedHashMap<>();
        json.put("defaults", defaults);
        json.put("maxProjectedDelaySeconds", maxDelay);
        json.put("backlogWatermarks", watermarks);
        json.put("overrides", new ArrayList<Object>(overrides));
        final List<Object> jsonBlocks = new ArrayList<>();
        blocks.forEach(b -> jsonBlocks.add(block(b)));
        json.put("blocks", jsonBlocks);
        return new Report(text, json);
    }

    static Report blocked(final String description)
    {
        return new Report(List.of("blocked " + description + ": new connections get 554 5.7.1"), block(description));
    }

    static Report top(final String[] sources, final String[] reputations)
    {
        return top(sources, reputations, new String[0]);
    }

    /** With SMTP AUTH's failures: addresses and users backing off, or with failed authentications in their window. */
    static Report top(final String[] sources, final String[] reputations, final String[] authFailures)
    {
        final List<String> text = new ArrayList<>();
        text.add(String.format("%-14s %-40s %8s", "kind", "source", "recent"));
        final List<Object> busiest = rows(sources, TOP, text, m -> String.format("%-14s %-40s %8s", m.group(1), m.group(2),
            m.group(3)), m ->
            {
                final Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("kind", m.group(1));
                entry.put("key", m.group(2));
                entry.put("recentMessages", Long.parseLong(m.group(3)));
                return entry;
            });
        if (sources.length == 0)
        {
            text.add("(no recent traffic)");
        }
        text.add("");
        text.add(String.format("%-40s %-8s %9s  %s", "reputation, worst first", "class", "score", "why"));
        final List<Object> worst = rows(reputations, REPUTATION, text, m -> String.format("%-40s %-8s %9s  %s",
            m.group(1), m.group(2), m.group(3), m.group(6)), m ->
            {
                final Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("key", m.group(1));
                entry.put("class", m.group(2));
                entry.put("score", Double.parseDouble(m.group(3)));
                entry.put("cleanPoints", Double.parseDouble(m.group(4)));
                entry.put("badPoints", Double.parseDouble(m.group(5)));
                entry.put("why", m.group(6));
                return entry;
            });
        if (reputations.length == 0)
        {
            text.add("(no reputation learnt yet)");
        }
        text.add("");
        text.add(String.format("%-8s %-40s %8s  %s", "auth", "failed authentications", "failures", "backing off"));
        final List<Object> failures = rows(authFailures, AUTH_FAILURE, text, m -> String.format("%-8s %-40s %8s  %s",
            m.group(1), m.group(2), m.group(3), "0".equals(m.group(4)) ? "no" : "until " + Instant.ofEpochMilli(
                Long.parseLong(m.group(4))) + " (back-off " + m.group(5) + ")"), m ->
            {
                final Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("kind", m.group(1));
                entry.put("key", m.group(2));
                entry.put("failures", Long.parseLong(m.group(3)));
                entry.put("backingOffUntilMs", Long.parseLong(m.group(4)));
                entry.put("backOffs", Long.parseLong(m.group(5)));
                return entry;
            });
        if (authFailures.length == 0)
        {
            text.add("(no failed authentications lately)");
        }
        final Map<String, Object> json = new LinkedHashMap<>();
        json.put("busiest", busiest);
        json.put("worstReputations", worst);
        json.put("authFailures", failures);
        return new Report(text, json);
    }

    /**
     * Adds a text row per line to {@code text} and returns the JSON entries; a line that does not match the pattern
     * (a daemon of another version) is shown as it is.
     */
    private static List<Object> rows(final String[] lines, final Pattern pattern, final List<String> text,
        final Function<Matcher, String> row, final Function<Matcher, Map<String, Object>> entry)
    {
        final List<Object> json = new ArrayList<>();
        for (final String line : lines)
        {
            final Matcher matcher = pattern.matcher(line);
            if (matcher.matches())
            {
                text.add(row.apply(matcher));
                json.add(entry.apply(matcher));
            }
            else
            {
                text.add(line);
                json.add(Map.of("line", line));
            }
        }
        return json;
    }

    private static Map<String, Object> limit(final double ratePerSecond, final long burst)
    {
        final Map<String, Object> limit = new LinkedHashMap<>();
        limit.put("ratePerSecond", ratePerSecond);
        limit.put("burst", burst);
        return limit;
    }

    private static Map<String, Object> block(final String description)
    {
        final Map<String, Object> json = new LinkedHashMap<>();
        final Matcher matcher = BLOCK.matcher(description);
        if (matcher.matches())
        {
            json.put("network", matcher.group(1));
            json.put("until", "unblocked".equals(matcher.group(2)) ? null : matcher.group(2));
        }
        else
        {
            json.put("line", description);
        }
        return json;
    }

    static String bytes(final long bytes)
    {
        if (bytes < 1024)
        {
            return bytes + " B";
        }
        final String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double value = bytes / 1024.0;
        int unit = 0;
        while (value >= 1024 && unit < units.length - 1)
        {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }

    /** {@code 42s}, {@code 4m12s}, {@code 2h03m}, {@code 3d04h}: as precise as an operator needs. */
    static String age(final long seconds)
    {
        final Duration age = Duration.ofSeconds(Math.max(0, seconds));
        if (seconds < 60)
        {
            return age.toSeconds() + "s";
        }
        if (seconds < 3600)
        {
            return age.toMinutes() + "m" + String.format("%02ds", age.toSecondsPart());
        }
        if (seconds < 86_400)
        {
            return age.toHours() + "h" + String.format("%02dm", age.toMinutesPart());
        }
        return age.toDays() + "d" + String.format("%02dh", age.toHoursPart());
    }
}
