package io.sluice.daemon;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.sluice.admission.Admission;
import io.sluice.admission.AdmissionCounter;
import io.sluice.bounce.BounceCounter;
import io.sluice.containment.Containment;
import io.sluice.containment.ContainmentCounter;
import io.sluice.delivery.Delivery;
import io.sluice.delivery.DeliveryCounter;
import io.sluice.drain.DrainAgent;
import io.sluice.drain.DrainCounter;
import io.sluice.ingress.SmtpServer;
import io.sluice.ingress.auth.AuthCounter;
import io.sluice.ingress.tls.ServerTlsContext;
import io.sluice.metrics.CounterMetrics;
import io.sluice.metrics.DrainMetrics;
import io.sluice.metrics.HealthCheck;
import io.sluice.metrics.MetricsServer;
import io.sluice.metrics.SpoolTimings;
import io.sluice.outcome.BounceStep;
import io.sluice.outcome.OutcomeCounter;
import io.sluice.outcome.OutcomeStage;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolCounter;
import io.sluice.spool.SpoolListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's metrics: one registry, filled with every stage's counters, the drain's per-route/lane/tenant gauges,
 * the spool's timings and the build info, served with the health checks on {@code metrics.listen}.
 */
final class MetricsWiring implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(MetricsWiring.class);
    /** The spool's counters that go up and down: their labels predate the {@code (gauge)} convention. */
    private static final Set<SpoolCounter> SPOOL_GAUGES = EnumSet.of(SpoolCounter.PENDING_MESSAGES,
        SpoolCounter.PENDING_BYTES, SpoolCounter.OLDEST_PENDING_AGE_MS, SpoolCounter.DISK_PRESSURE_CURRENT_MS,
        SpoolCounter.DISK_PRESSURE_ETA_MS, SpoolCounter.DISK_FREE_BYTES);
    /** How long after a failed journal write or sync readiness still says the spool is not writable. */
    private static final long IO_FAILURE_MEMORY_MS = 10_000;

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private MetricsServer server;
    /** Touched only by the HTTP thread, which runs the readiness checks. */
    private long ioFailuresSeen;
    private long lastIoFailureAtMs = Long.MIN_VALUE / 2;

    /** The listeners' certificate: its expiry to alert on before it lapses, its reloads and the handshakes. */
    private static void tlsMetrics(final CounterMetrics counters, final ServerTlsContext tls)
    {
        counters
            .gauge("sluice_tls_certificate_expiry_seconds", "when the served certificate expires (Unix time)",
                () -> tls.current().notAfter().getEpochSecond())
            .counter("sluice_tls_certificate_reloads", "new certificate pairs taken without a restart", tls::reloads)
            .counter("sluice_tls_certificate_reload_failures", "new certificate pairs refused; the old one stayed",
                tls::reloadFailures)
            .counter("sluice_tls_handshakes", "TLS handshakes completed (STARTTLS and implicit TLS)", tls::handshakes)
            .counter("sluice_tls_handshake_failures", "TLS handshakes that failed", tls::handshakeFailures)
            .counter("sluice_tls_handshake_timeouts", "TLS handshakes not done within smtp.tls.handshakeTimeoutMs",
                tls::handshakeTimeouts)
            .counter("sluice_tls_cleartext_injections", "sessions ended for commands after STARTTLS in clear text",
                tls::clearTextInjections);
    }

    /** @return {@code next}, timed: the spool's acknowledgement latency and time in queue. */
    SpoolListener timed(final SpoolListener next)
    {
        return new SpoolTimings(next, System::currentTimeMillis, registry);
    }

    /** The stages' counters and gauges; then, if {@code metrics.listen} is set, the HTTP endpoint. */
    void start(final OperationsContext operations, final Stages stages, final List<HealthCheck> health)
    {
        final Spool spool = stages.spool();
        final SmtpServer smtp = stages.smtp();
        ioFailuresSeen = spool.counters().get(SpoolCounter.JOURNAL_IO_FAILURES);
        final CounterMetrics counters = new CounterMetrics()
            .add("spool", SpoolCounter.class, spool.counters()::get, SPOOL_GAUGES)
            .add("drain", DrainCounter.class, stages.drain().counters()::get, Set.of())
            .add("admission", AdmissionCounter.class, stages.admission().counters()::get, Set.of())
            .add("delivery", DeliveryCounter.class, stages.delivery().counters()::get, Set.of())
            .add("outcome", OutcomeCounter.class, stages.outcomes().counters()::get, Set.of())
            .add("bounce", BounceCounter.class, stages.bounces().policy().counters()::get, Set.of())
            .add("containment", ContainmentCounter.class, stages.containment().counters()::get, Set.of())
            .add("auth", AuthCounter.class, smtp.authenticator().counters()::get, Set.of(AuthCounter.LOCKED_KEYS))
            .gauge("sluice_smtp_open_connections", "SMTP connections open now", smtp::openConnections)
            .gauge("sluice_smtp_paused", "1 while an operator has paused SMTP ingress", () -> smtp.isPaused() ? 1 : 0)
            .counter("sluice_log_lines_dropped", "log lines dropped because stdout was slower than the log (at least)",
                stages.logLinesDropped()::getAsLong)
            .gauge("sluice_spool_accepting", "1 while the spool takes new mail (disk above its reserve)",
                () -> spool.isAcceptingMessages() ? 1 : 0);
        if (smtp.tls() != null)
        {
            tlsMetrics(counters, smtp.tls());
        }
        registry.register(counters);
        registry.register(new DrainMetrics(stages.drain()::status));
        registry.register(MetricsWiring::buildInfo);
        if (operations.metricsListen() == null)
        {
            LOG.info("metrics endpoint off ({} is empty)", OperationsContext.METRICS_LISTEN);
            return;
        }
        final List<HealthCheck> ready = List.of(
            new HealthCheck("listener", () -> smtp.isListening() && !smtp.isPaused()),
            new HealthCheck("spool_writable", spoolWritable(spool)),
            new HealthCheck("disk_above_reserve", spool::isAcceptingMessages));
        try
        {
            server = MetricsServer.start(operations.metricsListen(), registry, health, ready);
            LOG.info("metrics on http://{}:{}/metrics, health on /healthz and /readyz",
                server.address().getHostString(), server.address().getPort());
        }
        catch (final IOException | UncheckedIOException ex)
        {
            // Mail matters more than its metrics: the daemon serves on, and says loudly what is missing.
            LOG.error("cannot serve metrics on {}={}: {}; no /metrics, /healthz or /readyz until restarted",
                OperationsContext.METRICS_LISTEN, operations.metricsListen(), ex.toString());
        }
    }

    /**
     * The journal writer runs, the spool directory may be written (a read-only or failing filesystem says no even to
     * root), and no journal write or sync failed in the last {@link #IO_FAILURE_MEMORY_MS}.
     */
    private BooleanSupplier spoolWritable(final Spool spool)
    {
        final Path directory = spool.context().directory();
        return () ->
        {
            final long failures = spool.counters().get(SpoolCounter.JOURNAL_IO_FAILURES);
            final long now = System.currentTimeMillis();
            if (failures != ioFailuresSeen)
            {
                ioFailuresSeen = failures;
                lastIoFailureAtMs = now;
            }
            return spool.isWriterAlive() && Files.isWritable(directory) && now - lastIoFailureAtMs > IO_FAILURE_MEMORY_MS;
        };
    }

    private static MetricSnapshots buildInfo()
    {
        final String version = SluiceDaemon.class.getPackage().getImplementationVersion();
        return MetricSnapshots.of(InfoSnapshot.builder().name("sluice_build").help("the running build: version, Java")
            .dataPoint(InfoSnapshot.InfoDataPointSnapshot.builder().labels(Labels.of(
                "version", version == null ? "unknown" : version,
                "java_version", Runtime.version().toString())).build())
            .build());
    }

    /** @return where the endpoint listens, or null when it is off or could not bind. */
    java.net.InetSocketAddress address()
    {
        return server == null ? null : server.address();
    }

    @Override
    public void close()
    {
        if (server != null)
        {
            server.close();
        }
    }

    /** The running stages the metrics read. */
    record Stages(Spool spool, DrainAgent drain, Admission admission, Delivery delivery, OutcomeStage outcomes,
        BounceStep bounces, Containment containment, SmtpServer smtp, java.util.function.LongSupplier logLinesDropped)
    {
    }
}
