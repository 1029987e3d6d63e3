package io.sluice.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import javax.management.MBeanServerFactory;

import io.sluice.fleet.RedisServer;
import io.sluice.spool.AppendResult;
import io.sluice.spool.Envelope;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the fleet's daemon tests share: a real redis-server and one SMTP sink per test, and fleet nodes started in this
 * JVM on 127.0.0.x addresses, each with its own spool and MBean server, sending one route at {@value #ROUTE_RATE}
 * msgs/s to the sink; all closed after the test.
 */
abstract class FleetNodes
{
    static final int ROUTE_RATE = 100;
    /**
     * 200 ms of tokens (the shipped default route, 200:20, has 100 ms). The nodes share this test's JVM, so one GC pause
     * or CPU starvation stops them all at once, which separate appliances do not; with 100 ms of tokens such pauses on
     * this loaded machine (load average 20 on 2 cores) lost 6 % of the rate to a full shared bucket.
     */
    static final int ROUTE_BURST = 20;
    static final String ROUTES = "default:" + ROUTE_RATE + ":" + ROUTE_BURST + ",notifications:20:5";

    @TempDir
    Path dir;

    RedisServer redis;
    FleetSink sink;
    final List<SluiceDaemon> daemons = new ArrayList<>();

    @BeforeEach
    void startRedisAndSink() throws Exception
    {
        redis = RedisServer.start(dir.resolve("redis"));
        sink = FleetSink.start();
    }

    @AfterEach
    void stopAll() throws Exception
    {
        for (final SluiceDaemon daemon : daemons)
        {
            daemon.close();
        }
        sink.close();
        redis.close();
    }

    SluiceDaemon node(final String id, final int address) throws IOException
    {
        return node(id, address, Map.of());
    }

    /**
     * Starts a fleet node in this JVM: spool {@code spool-<id>}, SMTP on {@code 127.0.0.<address>}, the route to the
     * sink, on the test's Redis.
     *
     * @param more settings beside (or instead of) the fleet's own.
     */
    SluiceDaemon node(final String id, final int address, final Map<String, String> more) throws IOException
    {
        final Map<String, String> settings = new HashMap<>(Map.of(
            "spool.directory", dir.resolve("spool-" + id).toString(),
            "smtp.listen", "127.0.0." + address + ":0",
            "relay.domains", "relay.test",
            "containment.exemptTenants", "default,acme,other",
            "drain.routes", ROUTES,
            "delivery.route.default.target", sink.target(),
            "fleet.redis", redis.uri(),
            "fleet.nodeId", id));
        settings.putAll(more);
        // Each node its own MBean server: several daemons in one JVM.
        final SluiceDaemon daemon = SluiceDaemon.start(SluiceDaemon.Configuration.of(DaemonSettings.load(null, settings)),
            SystemdNotifier.disabled(), MBeanServerFactory.newMBeanServer());
        daemons.add(daemon);
        return daemon;
    }

    /**
     * Spools {@code count} messages at once (the journal commits them together), as mail taken in by SMTP would be; each
     * text reads {@code <marker> <tenant> <i>}.
     */
    static void load(final SluiceDaemon daemon, final String tenant, final String marker, final int count)
    {
        final List<CompletableFuture<AppendResult>> appended = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            final Envelope envelope = new Envelope("127.0.9.1", tenant, "mail", "sender@partner.example",
                List.of("user" + i + "@relay.test"), System.currentTimeMillis());
            final byte[] content = ("Subject: fleet\r\n\r\n" + marker + " " + tenant + " " + i + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
            appended.add(daemon.spool().append(envelope, ByteBuffer.wrap(content)));
        }
        assertThat(appended).allMatch(result -> result.join().isAccepted());
    }
}
