package io.sluice.daemon;

import java.net.InetSocketAddress;

import io.sluice.config.InvalidSettingException;
import io.sluice.ingress.IngressContext;

/**
 * How the daemon is watched: where the Prometheus and health endpoint listens ({@code metrics.*}), when the
 * systemd watchdog calls a part stalled ({@code watchdog.*}) and how its log lines look ({@code log.format}). Each key
 * with its default lives in {@code sluice-default.properties}; the values are checked here, by key.
 *
 * @param metricsListen   where {@code /metrics}, {@code /healthz} and {@code /readyz} are served, or null for nowhere
 * @param watchdogStallMs how long a part with work may go without a heartbeat before the watchdog ping stops
 * @param jsonLogs        {@code log.format=json}: one JSON object per log line instead of text
 */
record OperationsContext(InetSocketAddress metricsListen, long watchdogStallMs, boolean jsonLogs)
{
    static final String METRICS_LISTEN = "metrics.listen";
    static final String WATCHDOG_STALL_MS = "watchdog.stallMs";
    static final String LOG_FORMAT = "log.format";
    /** Under a second a GC pause or a busy CPU would look like a stall; over an hour it is no watchdog. */
    static final long MIN_STALL_MS = 1_000;
    static final long MAX_STALL_MS = 3_600_000;

    static OperationsContext of(final DaemonSettings settings)
    {
        final String listen = settings.string(METRICS_LISTEN);
        final long stallMs = settings.longValue(WATCHDOG_STALL_MS);
        if (stallMs < MIN_STALL_MS || stallMs > MAX_STALL_MS)
        {
            throw new InvalidSettingException(WATCHDOG_STALL_MS, stallMs,
                "expected " + MIN_STALL_MS + " to " + MAX_STALL_MS + " ms");
        }
        final String format = settings.string(LOG_FORMAT);
        if (!"text".equals(format) && !"json".equals(format))
        {
            throw new InvalidSettingException(LOG_FORMAT, format, "expected text or json");
        }
        return new OperationsContext(listen.isBlank() ? null : IngressContext.parseListen(METRICS_LISTEN, listen), stallMs,
            "json".equals(format));
    }
}
