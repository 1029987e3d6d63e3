package io.sluice.metrics;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The HTTP endpoint fleet monitoring and load balancers use: {@code GET /metrics} (Prometheus text or OpenMetrics,
 * as the scraper asks), {@code GET /healthz} (the process is fine: 200, else 503) and {@code GET /readyz} (it takes
 * mail now: 200, else 503), the last two with a JSON body naming each check. One thread serves it: a scrape reads
 * counters and the drain's latest status, so it is quick, and a slow client cannot take threads from the mail path.
 */
public final class MetricsServer implements AutoCloseable
{
    private final HttpServer server;
    private final ExecutorService executor;

    private MetricsServer(final HttpServer server, final ExecutorService executor)
    {
        this.server = server;
        this.executor = executor;
    }

    /**
     * @param address  where to listen (port 0 for any free port)
     * @param registry what {@code /metrics} serves
     * @param health   the checks of {@code /healthz}
     * @param ready    the checks of {@code /readyz}
     * @throws IOException if the address cannot be bound
     */
    public static MetricsServer start(final InetSocketAddress address, final PrometheusRegistry registry,
        final List<HealthCheck> health, final List<HealthCheck> ready) throws IOException
    {
        final HttpServer server = HttpServer.create(address, 16);
        final ExecutorService executor = Executors.newSingleThreadExecutor(r ->
        {
            final Thread thread = new Thread(r, "sluice-metrics-http");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.createContext("/metrics", new MetricsHandler(registry));
        server.createContext("/healthz", exchange -> answer(exchange, "healthy", health));
        server.createContext("/readyz", exchange -> answer(exchange, "ready", ready));
        server.start();
        return new MetricsServer(server, executor);
    }

    /** @return the bound address, with the real port when started on port 0. */
    public InetSocketAddress address()
    {
        return server.getAddress();
    }

    /** {@code {"ready":false,"checks":{"listener":true,"spool_writable":true,"disk_above_reserve":false}}}. */
    private static void answer(final HttpExchange exchange, final String verdict, final List<HealthCheck> checks)
        throws IOException
    {
        try (exchange)
        {
            if (!"GET".equals(exchange.getRequestMethod()) && !"HEAD".equals(exchange.getRequestMethod()))
            {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            boolean all = true;
            final StringBuilder body = new StringBuilder("{\"checks\":{");
            for (int i = 0; i < checks.size(); i++)
            {
                final boolean passes = checks.get(i).passes();
                all &= passes;
                body.append(i == 0 ? "" : ",").append('"').append(checks.get(i).name()).append("\":").append(passes);
            }
            body.append("},\"").append(verdict).append("\":").append(all).append("}\n");
            final byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            final boolean head = "HEAD".equals(exchange.getRequestMethod());
            exchange.sendResponseHeaders(all ? 200 : 503, head ? -1 : bytes.length);
            if (!head)
            {
                try (OutputStream out = exchange.getResponseBody())
                {
                    out.write(bytes);
                }
            }
        }
    }

    /** Stops listening; a scrape in progress gets up to a second to finish. */
    @Override
    public void close()
    {
        server.stop(1);
        executor.shutdownNow();
        try
        {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
