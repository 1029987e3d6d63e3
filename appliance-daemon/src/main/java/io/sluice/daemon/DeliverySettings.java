package io.sluice.daemon;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.sluice.config.InvalidSettingException;
import io.sluice.delivery.DeliveryContext;
import io.sluice.delivery.RecipientVerificationContext;
import io.sluice.delivery.RouteSecurity;
import io.sluice.delivery.RouteTarget;
import io.sluice.drain.DrainContext;
import io.sluice.ingress.IngressContext;
import io.sluice.spool.SpoolContext;

/**
 * Maps the {@code delivery.*} settings onto delivery's context, which validates them against the drain's routes: every
 * route in {@code drain.routes} needs {@code delivery.route.<name>.target}, and a target for a route the drain does not
 * have is refused as the typo it probably is.
 *
 * <p>A relative {@code dir:} path is resolved against the folder that holds the spool ({@code spool.directory}'s
 * parent), so the default {@code dir:delivered/default} lands beside the spool wherever the spool is: {@code ./delivered}
 * for the README's first command, {@code /var/lib/sluice/delivered} under systemd.
 */
final class DeliverySettings
{
    /** The operator-defined keys: a target per drain route, and optionally its connection limit, TLS and AUTH. */
    static final String ROUTE_KEY_PATTERN = "delivery\\.route\\.([^\\s,:/]+)\\.(target|maxConnections|tls|trustStore"
        + "|trustStorePassword|verifyHostname|username|passwordFile|allowPlaintextAuth)";
    private static final Pattern ROUTE_KEY = Pattern.compile(ROUTE_KEY_PATTERN);

    private DeliverySettings()
    {
    }

    static DeliveryContext context(final DaemonSettings settings, final DrainContext drain)
    {
        drain.conclude();
        final String heloName = settings.get(DeliveryContext.HELO_NAME);
        final DeliveryContext context = new DeliveryContext()
            .maxConnections(settings.get(DeliveryContext.MAX_CONNECTIONS))
            .heloName(heloName.isEmpty() ? settings.get(IngressContext.HOSTNAME) : heloName)
            .connectTimeoutMs(settings.get(DeliveryContext.CONNECT_TIMEOUT_MS))
            .greetingTimeoutMs(settings.get(DeliveryContext.GREETING_TIMEOUT_MS))
            .commandTimeoutMs(settings.get(DeliveryContext.COMMAND_TIMEOUT_MS))
            .mailTimeoutMs(settings.get(DeliveryContext.MAIL_TIMEOUT_MS))
            .rcptTimeoutMs(settings.get(DeliveryContext.RCPT_TIMEOUT_MS))
            .dataInitTimeoutMs(settings.get(DeliveryContext.DATA_INIT_TIMEOUT_MS))
            .dataBlockTimeoutMs(settings.get(DeliveryContext.DATA_BLOCK_TIMEOUT_MS))
            .dataEndTimeoutMs(settings.get(DeliveryContext.DATA_END_TIMEOUT_MS))
            .dispatchTimeoutMs(settings.get(DeliveryContext.DISPATCH_TIMEOUT_MS))
            .connectionIdleMs(settings.get(DeliveryContext.CONNECTION_IDLE_MS))
            .maxMessagesPerConnection(settings.get(DeliveryContext.MAX_MESSAGES_PER_CONNECTION))
            .reconnectDelayMs(settings.get(DeliveryContext.RECONNECT_DELAY_MS))
            .eventLoopThreads(settings.get(DeliveryContext.EVENT_LOOP_THREADS))
            .ioThreads(settings.get(DeliveryContext.IO_THREADS))
            .shutdownGraceMs(settings.get(DeliveryContext.SHUTDOWN_GRACE_MS))
            .maxBytesInFlight(settings.get(DeliveryContext.MAX_BYTES_IN_FLIGHT));
        for (final Map.Entry<String, String> entry : settings.all().entrySet())
        {
            final Matcher key = ROUTE_KEY.matcher(entry.getKey());
            if (!key.matches())
            {
                continue;
            }
            final String route = key.group(1);
            if (drain.routeSpecs().stream().noneMatch(spec -> spec.name().equals(route)))
            {
                throw new InvalidSettingException(entry.getKey(), entry.getValue(),
                    "expected a route listed in " + DrainContext.ROUTES + " (" + drain.routes() + ")");
            }
            routeSetting(settings, context, route, key.group(2), entry);
        }
        return context.conclude(drain);
    }

    /** The {@code recipients.verify.*} settings of the delivery side, validated against delivery's routes. */
    static RecipientVerificationContext verification(final DaemonSettings settings, final DeliveryContext delivery)
    {
        return new RecipientVerificationContext()
            .routes(List.copyOf(IngressSettings.list(settings, RecipientVerificationContext.ROUTES.key())))
            .timeoutMs(settings.get(RecipientVerificationContext.TIMEOUT_MS))
            .positiveTtlMs(settings.get(RecipientVerificationContext.POSITIVE_TTL_MS))
            .negativeTtlMs(settings.get(RecipientVerificationContext.NEGATIVE_TTL_MS))
            .cacheSize(settings.get(RecipientVerificationContext.CACHE_SIZE))
            .probesPerSecond(settings.get(RecipientVerificationContext.PROBES_PER_SECOND))
            .probeBurst(settings.get(RecipientVerificationContext.PROBE_BURST))
            .maxConnections(settings.get(RecipientVerificationContext.MAX_CONNECTIONS))
            .conclude(delivery);
    }

    private static void routeSetting(
        final DaemonSettings settings, final DeliveryContext context, final String route, final String name,
        final Map.Entry<String, String> entry)
    {
        final String value = entry.getValue();
        switch (name)
        {
            case "target" -> context.target(route, besideSpool(settings, RouteTarget.parse(entry.getKey(), value)));
            case "maxConnections" -> context.routeMaxConnections(route, intValue(entry.getKey(), value));
            case "tls" -> context.routeSecurity(route).tls(RouteSecurity.Tls.parse(entry.getKey(), value));
            case "trustStore" -> context.routeSecurity(route).trustStore(path(entry.getKey(), value));
            case "trustStorePassword" -> context.routeSecurity(route).trustStorePassword(value);
            case "verifyHostname" -> context.routeSecurity(route).verifyHostname(booleanValue(entry.getKey(), value));
            case "username" -> context.routeSecurity(route).username(value.isEmpty() ? null : value);
            case "passwordFile" -> context.routeSecurity(route).passwordFile(path(entry.getKey(), value));
            case "allowPlaintextAuth" -> context.routeSecurity(route).allowPlaintextAuth(booleanValue(entry.getKey(), value));
            default -> throw new IllegalStateException("route setting " + name + " not mapped");
        }
    }

    private static Path path(final String key, final String value)
    {
        if (value.isEmpty())
        {
            return null;
        }
        try
        {
            return Path.of(value);
        }
        catch (final InvalidPathException ex)
        {
            throw new InvalidSettingException(key, value, "expected a file path (" + ex.getReason() + ")");
        }
    }

    private static boolean booleanValue(final String key, final String value)
    {
        if ("true".equalsIgnoreCase(value) || "false".equalsIgnoreCase(value))
        {
            return Boolean.parseBoolean(value);
        }
        throw new InvalidSettingException(key, value, "expected true or false");
    }

    private static RouteTarget besideSpool(final DaemonSettings settings, final RouteTarget target)
    {
        if (target instanceof RouteTarget.Dir dir && !dir.directory().isAbsolute())
        {
            final Path spool = settings.get(SpoolContext.DIRECTORY).toAbsolutePath().normalize();
            final Path base = spool.getParent() != null ? spool.getParent() : spool;
            return new RouteTarget.Dir(base.resolve(dir.directory()).normalize());
        }
        return target;
    }

    private static int intValue(final String key, final String value)
    {
        try
        {
            return Integer.parseInt(value.trim());
        }
        catch (final NumberFormatException ex)
        {
            throw new InvalidSettingException(key, value, "expected a whole number of connections");
        }
    }
}
