package io.sluice.daemon;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.delivery.TestSmtpSink;
import io.sluice.ingress.SmtpTestClient;
import io.sluice.spool.SmallFilesystem;
import io.sluice.spool.SpoolAwait;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's HTTP endpoint over a real loopback socket: the counters, gauges and histograms a scraper reads move as
 * real SMTP mail flows through to a real upstream, and {@code /readyz} answers 503 naming the failed check when
 * ingress is paused or a real small filesystem is under the spool's reserve.
 */
class MetricsDaemonTest
{
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static SluiceDaemon start(final Path spool, final TestSmtpSink sink, final Map<String, String> more)
        throws IOException
    {
        final Map<String, String> settings = new java.util.HashMap<>(Map.of(
            "spool.directory", spool.toString(),
            "smtp.listen", "127.0.0.1:0",
            "metrics.listen", "127.0.0.1:0",
            "jmx.enabled", "false",
            "relay.domains", "relay.test",
            "containment.exemptTenants", "default",
            "delivery.route.default.target", sink.target(),
            "delivery.route.notifications.target", "dir:" + spool.resolveSibling("notifications")));
        settings.putAll(more);
        return SluiceDaemon.start(SluiceDaemon.Configuration.of(DaemonSettings.load(null, settings)));
    }

    @Test
    void shouldServeCountersGaugesHistogramsAndHealthThatMoveAsMailFlows() throws Exception
    {
        try (TestSmtpSink sink = TestSmtpSink.start();
             SluiceDaemon daemon = start(dir.resolve("spool"), sink, Map.of()))
        {
            final InetSocketAddress metrics = daemon.metrics().address();
            assertThat(metrics).as("metrics.listen=127.0.0.1:0 bound a port").isNotNull();
            final String before = get(metrics, "/metrics").body();
            assertThat(value(before, "sluice_spool_messages_appended_total", "")).isZero();
            assertThat(before).contains("# TYPE sluice_spool_pending_messages gauge")
                .contains("# TYPE sluice_spool_oldest_pending_age_seconds gauge")
                .contains("# TYPE sluice_spool_appended_bytes_total counter")
                .contains("# TYPE sluice_smtp_ack_latency_seconds histogram")
                .containsPattern("sluice_build_info\\{.*version=\"[^\"]+\".*} 1");

            final int messages = 5;
            try (SmtpTestClient client = SmtpTestClient.connect(daemon.smtp().localAddress(), "127.0.0.9"))
            {
                expect(client.reply(), "220");
                expect(client.command("EHLO metrics.test"), "250");
                for (int i = 0; i < messages; i++)
                {
                    expect(client.command("MAIL FROM:<a@outside.test>"), "250");
                    expect(client.command("RCPT TO:<b@relay.test>"), "250");
                    expect(client.command("DATA"), "354");
                    client.send("Subject: m" + i + "\r\n\r\nhello\r\n.\r\n");
                    expect(client.reply(), "250");
                }
            }
            SpoolAwait.until(() -> sink.received().size() == messages && daemon.spool().pendingCount() == 0, 30_000);
            SpoolAwait.until(() -> value(get(metrics, "/metrics").body(), "sluice_queue_time_seconds_count", "") == messages,
                10_000);
            final String after = get(metrics, "/metrics").body();
            assertThat(value(after, "sluice_spool_messages_appended_total", "")).isEqualTo(messages);
            assertThat(value(after, "sluice_admission_messages_accepted_total", "")).isEqualTo(messages);
            assertThat(value(after, "sluice_drain_delivered_total", "")).isEqualTo(messages);
            assertThat(value(after, "sluice_delivery_transactions_total", "")).isEqualTo(messages);
            assertThat(value(after, "sluice_spool_appended_bytes_total", "")).isPositive();
            assertThat(after).contains("# TYPE sluice_log_lines_dropped_total counter");
            assertThat(value(after, "sluice_smtp_ack_latency_seconds_count", "")).isEqualTo(messages);
            assertThat(value(after, "sluice_smtp_ack_latency_seconds_bucket", "le=\"+Inf\"")).isEqualTo(messages);
            assertThat(value(after, "sluice_route_configured_rate", "route=\"default\"")).isEqualTo(200.0);
            assertThat(value(after, "sluice_route_messages", "route=\"default\",state=\"ready\"")).isZero();
            assertThat(after).contains("sluice_lane_messages{lane=\"mail\",route=\"default\",state=\"in_flight\"}");

            final HttpResponse<String> health = get(metrics, "/healthz");
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(health.body()).get("healthy").asBoolean()).isTrue();
            final HttpResponse<String> ready = get(metrics, "/readyz");
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
            assertThat(ready.headers().firstValue("Content-Type")).hasValue("application/json");

            daemon.smtp().pause(true);
            final HttpResponse<String> paused = get(metrics, "/readyz");
            assertThat(paused.statusCode()).isEqualTo(503);
            final JsonNode checks = JSON.readTree(paused.body());
            assertThat(checks.get("ready").asBoolean()).isFalse();
            assertThat(checks.get("checks").get("listener").asBoolean()).as("paused ingress takes no mail").isFalse();
            assertThat(checks.get("checks").get("spool_writable").asBoolean()).isTrue();
            assertThat(value(get(metrics, "/metrics").body(), "sluice_smtp_paused", "")).isEqualTo(1);
        }
    }

    @Test
    void shouldAnswerNotReadyWhileTheDiskIsUnderTheReserve() throws Exception
    {
        try (SmallFilesystem fs = SmallFilesystem.mount(dir.resolve("mnt"), 24);
             TestSmtpSink sink = TestSmtpSink.start();
             SluiceDaemon daemon = start(fs.path().resolve("spool"), sink, Map.of(
                 "spool.blockSizeBytes", Integer.toString(1 << 20),
                 "spool.chunkBytes", Integer.toString(64 << 10),
                 "spool.diskReserveBytes", Integer.toString(8 << 20))))
        {
            daemon.drain().pauseRoute("default");
            final InetSocketAddress metrics = daemon.metrics().address();
            assertThat(get(metrics, "/readyz").statusCode()).isEqualTo(200);
            String refusal = null;
            for (int source = 1; refusal == null && source < 100; source++)
            {
                try (SmtpTestClient client = SmtpTestClient.connect(daemon.smtp().localAddress(), "127." + source + ".0.1"))
                {
                    expect(client.reply(), "220");
                    expect(client.command("EHLO full.test"), "250");
                    for (int i = 0; refusal == null && i < 40; i++)
                    {
                        final String reply = DiskPressureDaemonTest.send(client, "fill-" + source + "-" + i);
                        refusal = reply.startsWith("250") ? null : reply;
                    }
                }
            }
            assertThat(refusal).as("the reserve refused mail").startsWith("452 4.3.1");
            final HttpResponse<String> full = get(metrics, "/readyz");
            assertThat(full.statusCode()).as(full.body()).isEqualTo(503);
            final JsonNode checks = JSON.readTree(full.body()).get("checks");
            assertThat(checks.get("disk_above_reserve").asBoolean()).isFalse();
            assertThat(checks.get("listener").asBoolean()).isTrue();
            assertThat(get(metrics, "/healthz").statusCode()).as("a full disk is not a sick process").isEqualTo(200);
            final String scrape = get(metrics, "/metrics").body();
            assertThat(value(scrape, "sluice_spool_accepting", "")).isZero();
            assertThat(value(scrape, "sluice_spool_disk_pressure_episodes_total", "")).isEqualTo(1);
        }
    }

    static HttpResponse<String> get(final InetSocketAddress address, final String path)
    {
        try
        {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + address.getPort() + path))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
        }
        catch (final IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    /** @return the sample's value: {@code name} with labels containing {@code labels} (empty: no labels at all). */
    static double value(final String scrape, final String name, final String labels)
    {
        final Matcher sample = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*})? (\\S+)$").matcher(scrape);
        while (sample.find())
        {
            final String found = sample.group(1) == null ? "" : sample.group(1);
            if (labels.isEmpty() ? found.isEmpty() : found.contains(labels))
            {
                return Double.parseDouble(sample.group(2));
            }
        }
        throw new AssertionError("no sample " + name + "{" + labels + "} in:\n" + scrape);
    }
}
