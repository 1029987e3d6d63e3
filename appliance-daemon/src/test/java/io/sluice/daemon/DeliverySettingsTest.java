package io.sluice.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import io.sluice.config.InvalidSettingException;
import io.sluice.delivery.DeliveryContext;
import io.sluice.delivery.RouteTarget;
import io.sluice.drain.DrainContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code drain.*} and {@code delivery.*} keys: the embedded defaults, operator-defined routes, and refusals by name. */
class DeliverySettingsTest
{
    @TempDir
    Path dir;

    private DaemonSettings settings(final String... pairs) throws Exception
    {
        final Map<String, String> overrides = new LinkedHashMap<>();
        overrides.put("spool.directory", dir.resolve("spool").toString());
        for (int i = 0; i < pairs.length; i += 2)
        {
            overrides.put(pairs[i], pairs[i + 1]);
        }
        return DaemonSettings.load(null, overrides);
    }

    @Test
    void shouldListEveryDrainSettingWithTheDrainsOwnDefault() throws Exception
    {
        final DrainContext configured = DrainSettings.context(settings());
        final DrainContext defaults = new DrainContext().conclude();
        assertThat(configured.routeSpecs()).isEqualTo(defaults.routeSpecs());
        assertThat(configured.laneSpecs()).isEqualTo(defaults.laneSpecs());
        assertThat(configured).usingRecursiveComparison()
            .ignoringFields("clock", "random", "idleStrategy", "routes", "lanes", "routeTable", "tenantRates", "tenantWeights")
            .isEqualTo(defaults);
    }

    @Test
    void shouldDeliverTheDefaultRoutesIntoFoldersBesideTheSpool() throws Exception
    {
        final DeliveryContext delivery = SluiceDaemon.Configuration.of(settings()).delivery();
        assertThat(delivery.routes()).extracting(DeliveryContext.Route::target).containsExactly(
            new RouteTarget.Dir(dir.resolve("delivered/default").toAbsolutePath()),
            new RouteTarget.Dir(dir.resolve("delivered/notifications").toAbsolutePath()));
        assertThat(delivery.heloName()).as("smtp.hostname when delivery.heloName is empty").isEqualTo("sluice.localdomain");
        assertThat(delivery.dataEndTimeoutMs()).isEqualTo(600_000);
        assertThat(delivery).usingRecursiveComparison().comparingOnlyFields("connectTimeoutMs", "greetingTimeoutMs",
            "commandTimeoutMs", "mailTimeoutMs", "rcptTimeoutMs", "dataInitTimeoutMs", "dataBlockTimeoutMs", "dataEndTimeoutMs",
            "dispatchTimeoutMs", "connectionIdleMs", "maxMessagesPerConnection", "reconnectDelayMs", "eventLoopThreads",
            "ioThreads", "shutdownGraceMs", "maxConnections", "maxBytesInFlight").isEqualTo(new DeliveryContext());
    }

    @Test
    void shouldTakeAnOperatorsOwnRouteWithItsRelay() throws Exception
    {
        final SluiceDaemon.Configuration configuration = SluiceDaemon.Configuration.of(settings(
            "drain.routes", "default:200:20,notifications:20:5,acme-smtp:50:10",
            "drain.tenantRoutes", "acme:acme-smtp",
            "delivery.route.acme-smtp.target", "smtp://relay.acme.test:587",
            "delivery.route.acme-smtp.maxConnections", "3",
            "delivery.route.default.target", "dir:/srv/mail/out"));
        assertThat(configuration.delivery().routes()).containsExactly(
            new DeliveryContext.Route("default", new RouteTarget.Dir(Path.of("/srv/mail/out")), 10),
            new DeliveryContext.Route("notifications", new RouteTarget.Dir(dir.resolve("delivered/notifications")), 2),
            new DeliveryContext.Route("acme-smtp", new RouteTarget.Smtp("relay.acme.test", 587), 3));
    }

    @Test
    void shouldRefuseARouteWithoutTargetATargetWithoutRouteAndABadValueByName() throws Exception
    {
        assertThatThrownBy(() -> SluiceDaemon.Configuration.of(
            settings("drain.routes", "default:200:20,notifications:20:5,b:1:1")))
            .isInstanceOf(InvalidSettingException.class).hasMessageStartingWith("delivery.route.b.target=: expected");
        assertThatThrownBy(() -> SluiceDaemon.Configuration.of(settings("delivery.route.defualt.target", "dir:x")))
            .hasMessageStartingWith("delivery.route.defualt.target=dir:x: expected a route listed in drain.routes");
        assertThatThrownBy(() -> SluiceDaemon.Configuration.of(settings("delivery.route.default.target", "smtp://relay:99999")))
            .hasMessageStartingWith("delivery.route.default.target=smtp://relay:99999: expected a port number");
        assertThatThrownBy(() -> SluiceDaemon.Configuration.of(settings("delivery.route.default.maxConnections", "many")))
            .hasMessageStartingWith("delivery.route.default.maxConnections=many: expected a whole number");
        assertThatThrownBy(() -> SluiceDaemon.Configuration.of(settings("drain.retry.jitter", "2")))
            .hasMessageStartingWith("drain.retry.jitter=2");
        assertThatThrownBy(() -> settings("delivery.timeout.dataMs", "1"))
            .hasMessageStartingWith("delivery.timeout.dataMs=1: expected a known setting");
    }

    @Test
    void shouldStopAStartWithABadDeliverySettingBeforeTouchingTheSpool()
    {
        final Path spool = dir.resolve("never-created");
        final PrintStream original = System.err;
        final ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try
        {
            assertThat(SluiceDaemon.run("--set", "spool.directory=" + spool, "--set", "delivery.timeout.dispatchMs=3600000"))
                .isEqualTo(SluiceDaemon.EXIT_CONFIG);
        }
        finally
        {
            System.setErr(original);
        }
        assertThat(captured.toString(StandardCharsets.UTF_8))
            .contains("delivery.timeout.dispatchMs=3600000: expected less than drain.inFlightTimeoutMs");
        assertThat(spool).doesNotExist();
        assertThat(dir.resolve("delivered")).doesNotExist();
    }
}
