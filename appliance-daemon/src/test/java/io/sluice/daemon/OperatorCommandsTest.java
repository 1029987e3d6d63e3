package io.sluice.daemon;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.control.cli.SluiceCommand;
import io.sluice.delivery.TestSmtpSink;
import io.sluice.ingress.SmtpTestClient;
import io.sluice.spool.Envelope;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolAwait;
import io.sluice.spool.SpoolContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code sluice} commands an operator uses in an incident, against the whole daemon in-process over its real
 * RMI connector: the backlog's shape by age from real pending mail of different ages held back by a paused route,
 * resuming that route, holding, releasing and purging a tenant, and retrying deferred mail now.
 */
class OperatorCommandsTest
{
    private static final long MINUTE = TimeUnit.MINUTES.toMillis(1);
    private static final String MESSAGE = "Subject: old\r\n\r\nwaited\r\n";

    @TempDir
    Path dir;


    /** What one run printed, and its exit code. */
    private SluiceDaemon start(final Map<String, String> extra) throws IOException
    {
        final Map<String, String> settings = new HashMap<>(Map.of(
            "spool.directory", dir.resolve("spool").toString(),
            "smtp.listen", "127.0.0.1:0",
            "relay.domains", "relay.test",
            "tenant.acme.networks", "127.0.1.0/24"));
        settings.putAll(extra);
        return SluiceDaemon.start(SluiceDaemon.Configuration.of(DaemonSettings.load(null, settings)));
    }

    private SluiceRun.Outcome sluice(final String... args)
    {
        return SluiceRun.sluice(dir.resolve("spool").resolve("jmx.sock"), args);
    }

    private long delivered()
    {
        final Path folder = dir.resolve("delivered/default/new");
        if (!Files.isDirectory(folder))
        {
            return 0;
        }
        try (Stream<Path> files = Files.list(folder))
        {
            return files.count();
        }
        catch (final IOException ex)
        {
            throw new AssertionError(ex);
        }
    }

    /** Mail that waited in the spool for a while: appended as ingress would have, with the time it was received. */
    private void spoolMailReceivedAgo(final String tenant, final String lane, final long... agesMillis) throws Exception
    {
        try (Spool spool = Spool.open(new SpoolContext().directory(dir.resolve("spool")).diskReserveBytes(64L << 20)))
        {
            for (final long age : agesMillis)
            {
                final Envelope envelope = new Envelope("192.0.2.7", tenant, lane, "a@outside.test", List.of("b@relay.test"),
                    System.currentTimeMillis() - age);
                assertThat(spool.append(envelope, ByteBuffer.wrap(MESSAGE.getBytes(StandardCharsets.US_ASCII))).get()
                    .isAccepted()).isTrue();
            }
        }
    }

    @Test
    void shouldShowTheBacklogByAgeLikeQshapeWhileARouteIsPausedAndDrainItOnResume() throws Exception
    {
        // Ages well inside their buckets, so the seconds this test takes never move one across a bound.
        spoolMailReceivedAgo("acme", "mail", MINUTE, 7 * MINUTE, 7 * MINUTE, 90 * MINUTE);
        spoolMailReceivedAgo("zeta", "mail", 2000 * MINUTE);
        spoolMailReceivedAgo("zeta", "suspect", 30 * MINUTE);
        try (SluiceDaemon daemon = start(Map.of("drain.pausedRoutes", "default")))
        {
            // The drain publishes its status from its own thread, once it has loaded the spool.
            SpoolAwait.until(() -> pausedOnDefault() == 6);
            final SluiceRun.Outcome json = sluice("--json", "queue");
            assertThat(json.exit()).as(json.err()).isZero();
            final JsonNode queue = json.json();
            assertThat(queue.get("pendingMessages").asLong()).isEqualTo(6);
            assertThat(queue.at("/routes/0/route").asText()).isEqualTo("default");
            assertThat(queue.at("/routes/0/paused").asBoolean()).as("paused at start by drain.pausedRoutes").isTrue();
            assertThat(queue.at("/routes/0/pausedMessages").asLong()).isEqualTo(6);
            assertThat(queue.at("/routes/0/maxConnections").asInt()).isEqualTo(10);
            assertThat(queue.at("/routes/1/paused").asBoolean()).isFalse();
            assertThat(queue.get("etaSeconds").asLong()).as("paused mail does not drain").isZero();
            assertThat(queue.get("drainEffectiveRatePerSecond").asDouble()).as("notifications only").isEqualTo(20.0);
            final JsonNode shape = queue.get("shape");
            assertThat(shape.get("ageBucketsMinutes").toString())
                .isEqualTo("[\"5\",\"10\",\"20\",\"40\",\"80\",\"160\",\"320\",\"640\",\"1280\",\"1280+\"]");
            assertThat(shape.at("/rows/0/lane").asText()).isEqualTo("mail");
            assertThat(shape.at("/rows/0/route").asText()).isEqualTo("default");
            assertThat(shape.at("/rows/0/byAge").toString()).isEqualTo("[1,2,0,0,0,1,0,0,0,1]");
            assertThat(shape.at("/rows/0/bytes").asLong()).as("five messages of %d bytes", MESSAGE.length())
                .isEqualTo(5L * MESSAGE.length());
            assertThat(shape.at("/rows/0/tenants/0/tenant").asText()).isEqualTo("acme");
            assertThat(shape.at("/rows/0/tenants/0/byAge").toString()).isEqualTo("[1,2,0,0,0,1,0,0,0,0]");
            assertThat(shape.at("/rows/0/tenants/1/tenant").asText()).isEqualTo("zeta");
            assertThat(shape.at("/rows/1/lane").asText()).isEqualTo("suspect");
            assertThat(shape.at("/rows/1/byAge").toString()).isEqualTo("[0,0,0,1,0,0,0,0,0,0]");

            final SluiceRun.Outcome text = sluice("queue");
            assertThat(text.exit()).as(text.err()).isZero();
            assertThat(text.out()).containsPattern("\\s+T\\s+5\\s+10\\s+20\\s+40\\s+80\\s+160\\s+320\\s+640\\s+1280\\s+1280\\+")
                .containsPattern("TOTAL\\s+6\\s+1\\s+2\\s+0\\s+1\\s+0\\s+1\\s+0\\s+0\\s+0\\s+1")
                .containsPattern("mail/default\\s+5\\s+1\\s+2\\s+0\\s+0\\s+0\\s+1\\s+0\\s+0\\s+0\\s+1")
                .containsPattern("\n  acme\\s+4\\s+1\\s+2")
                .contains("route default        PAUSED (sluice drain resume --route default)");

            final SluiceRun.Outcome resumed = sluice("drain", "resume", "--route", "default");
            assertThat(resumed.exit()).as(resumed.err()).isZero();
            assertThat(resumed.out()).startsWith("drain resumed for route default");
            SpoolAwait.until(() -> delivered() == 6 && daemon.spool().pendingCount() == 0);
            SpoolAwait.until(() -> pausedOnDefault() == 0);
            assertThat(sluice("--json", "queue").json().at("/routes/0/paused").asBoolean()).isFalse();
        }
        try (SluiceDaemon daemon = start(Map.of()))
        {
            assertThat(sluice("--json", "queue").json().at("/routes/0/paused").asBoolean())
                .as("the resume was saved: the route is not paused after a restart").isFalse();
        }
    }

    @Test
    void shouldHoldReleaseAndPurgeATenantWithTheExactConfirmation() throws Exception
    {
        // acme is a customer of the relay, sending from its own network: its figures count (inbound mail's would not).
        try (SluiceDaemon daemon = start(Map.of("relay.trustedNetworks", "127.0.0.1/32,127.0.1.0/24")))
        {
            final SluiceRun.Outcome held = sluice("hold", "acme", "--note", "incident 42");
            assertThat(held.exit()).as(held.err()).isZero();
            assertThat(held.out()).startsWith("tenant acme held: its mail stays in the spool");
            try (SmtpTestClient client = SmtpTestClient.connect(daemon.smtp().localAddress(), "127.0.1.5"))
            {
                expect(client.reply(), "220");
                expect(client.command("EHLO acme.example"), "250");
                for (int i = 0; i < 3; i++)
                {
                    expect(client.sendMessage("a@acme.example", "user@relay.test", "m" + i), "250 2.0.0");
                }
            }
            final JsonNode tenants = sluice("--json", "tenants").json();
            final JsonNode acme = tenants.get(0);
            assertThat(acme.get("tenant").asText()).isEqualTo("acme");
            assertThat(acme.get("state").asText()).as("an operator's hold").isEqualTo("paused");
            assertThat(acme.get("note").asText()).contains("incident 42");
            assertThat(acme.get("messages").asLong()).isEqualTo(3);
            assertThat(sluice("tenants").out()).containsPattern("acme\\s+paused\\s+3\\s");

            final SluiceRun.Outcome again = sluice("hold", "acme");
            assertThat(again.exit()).isEqualTo(SluiceCommand.EXIT_REFUSED);
            assertThat(again.err()).contains("tenant acme was already held");

            final SluiceRun.Outcome unconfirmed = sluice("purge", "acme");
            assertThat(unconfirmed.exit()).isEqualTo(SluiceCommand.EXIT_USAGE);
            assertThat(unconfirmed.err()).contains("confirm with --confirm acme");
            final SluiceRun.Outcome wrong = sluice("purge", "acme", "--confirm", "acme2");
            assertThat(wrong.exit()).isEqualTo(SluiceCommand.EXIT_REFUSED);
            assertThat(wrong.err()).contains("purge of tenant 'acme' refused").contains("nothing was purged");
            assertThat(daemon.spool().pendingCount()).as("nothing purged").isEqualTo(3);

            final SluiceRun.Outcome purged = sluice("--json", "purge", "acme", "--confirm", "acme");
            assertThat(purged.exit()).as(purged.err()).isZero();
            assertThat(purged.json().get("action").asText()).isEqualTo("purged");
            SpoolAwait.until(() -> daemon.spool().pendingCount() == 0);

            assertThat(sluice("release", "acme").exit()).isZero();
            final SluiceRun.Outcome notHeld = sluice("release", "acme");
            assertThat(notHeld.exit()).isEqualTo(SluiceCommand.EXIT_REFUSED);
            assertThat(notHeld.err()).contains("tenant acme was not held");
            assertThat(sluice("--json", "tenants").json().get(0).get("state").asText()).isEqualTo("normal");
            assertThat(delivered()).as("the purged mail was never sent").isZero();
        }
    }

    @Test
    void shouldRetryDeferredMailNowInsteadOfAtItsRetryTime() throws Exception
    {
        try (TestSmtpSink sink = TestSmtpSink.start();
             SluiceDaemon daemon = start(Map.of("delivery.route.default.target", sink.target(),
                 "drain.retry.initialMs", Long.toString(10 * MINUTE), "drain.retry.jitter", "0")))
        {
            try (SmtpTestClient client = SmtpTestClient.connect(daemon.smtp().localAddress(), "127.0.0.9"))
            {
                expect(client.reply(), "220");
                expect(client.command("EHLO outside.example"), "250");
                expect(client.sendMessage("a@outside.test", "deferonce@relay.test", "try again"), "250 2.0.0");
            }
            SpoolAwait.until(() -> readDeferred() == 1);
            assertThat(sink.received()).as("451 the first time").isEmpty();

            final SluiceRun.Outcome retried = sluice("retry");
            assertThat(retried.exit()).as(retried.err()).isZero();
            assertThat(retried.out()).startsWith("1 deferred message retried now");
            // Its retry time is 10 minutes away: only the operator's retry can have sent it.
            SpoolAwait.until(() -> sink.received().size() == 1 && daemon.spool().pendingCount() == 0);
            assertThat(sluice("--json", "retry").json().get("retried").asInt()).as("nothing deferred is left").isZero();
        }
    }

    @Test
    void shouldSetARoutesRateAndConnectionsAndPauseATenantAndASourceFromTheShell() throws Exception
    {
        try (SluiceDaemon daemon = start(Map.of()))
        {
            assertThat(sluice("rate", "default", "50", "5").out()).startsWith("route default: 50.0 messages/s, burst 5");
            assertThat(sluice("connections", "default", "3").exit()).isZero();
            SpoolAwait.until(() -> defaultRoute("maxConnections") == 3);
            final JsonNode route = sluice("--json", "queue").json().at("/routes/0");
            assertThat(route.get("configuredRatePerSecond").asDouble()).isEqualTo(50.0);

            final JsonNode tenant = sluice("--json", "drain", "pause", "--tenant", "acme").json();
            assertThat(tenant.get("pausedTenants").toString()).isEqualTo("[\"acme\"]");
            final JsonNode source = sluice("--json", "drain", "pause", "--source", "2001:db8::7").json();
            assertThat(source.get("pausedSources").toString()).as("as the drain knows the client")
                .isEqualTo("[\"2001:db8:0:0:0:0:0:7\"]");
            assertThat(sluice("drain", "resume", "--tenant", "acme").out()).startsWith("drain resumed for tenant acme");
            assertThat(sluice("--json", "drain", "resume", "--source", "2001:db8::7").json().get("pausedSources").size())
                .isZero();

            final SluiceRun.Outcome unknown = sluice("rate", "nowhere", "1", "1");
            assertThat(unknown.exit()).isEqualTo(SluiceCommand.EXIT_REFUSED);
            assertThat(unknown.err()).contains("no such route: nowhere");
            final SluiceRun.Outcome tooMany = sluice("connections", "default", "20000");
            assertThat(tooMany.exit()).isEqualTo(SluiceCommand.EXIT_REFUSED);
            assertThat(tooMany.err()).contains("expected a connection limit from 1 to 10000");
            final SluiceRun.Outcome network = sluice("drain", "pause", "--source", "192.0.2.0/24");
            assertThat(network.exit()).isEqualTo(SluiceCommand.EXIT_REFUSED);
            assertThat(network.err()).contains("expected one client address, not a network");
        }
    }

    private long readDeferred()
    {
        return defaultRoute("deferredMessages");
    }

    private long pausedOnDefault()
    {
        return defaultRoute("pausedMessages");
    }

    private long defaultRoute(final String figure)
    {
        final SluiceRun.Outcome queue = sluice("--json", "queue");
        try
        {
            return queue.exit() != 0 ? -1 : queue.json().at("/routes/0/" + figure).asLong();
        }
        catch (final IOException ex)
        {
            throw new AssertionError(ex);
        }
    }
}
