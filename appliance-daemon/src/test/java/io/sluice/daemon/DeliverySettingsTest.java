package io.sluice.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import io.sluice.config.InvalidSettingException;
import io.sluice.delivery.DeliveryContext;
import io.sluice.delivery.RouteSecurity;
import io.sluice.delivery.RouteTarget;
import io.sluice.delivery.TestCertificates;
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
            .ignoringFields("clock", "random", "idleStrategy", "routes", "lanes", "routeTable", "tenantRates", "tenantWeights",
                "demotionExemptNetworks", "rateLearning.stateFile")
            .isEqualTo(defaults);
        // The learned route rates live beside the spool unless drain.rate.stateFile says where.
        assertThat(configured.rateLearning().stateFile()).isEqualTo(dir.resolve("spool").resolve("route-rates.state"));
        // Not a drain setting: the daemon hands the drain containment's sending networks (relay.trustedNetworks).
        assertThat(configured.demotionExemptNetworks().contains("127.0.0.1")).isTrue();
        assertThat(configured.demotionExemptNetworks().contains("127.0.9.5")).isFalse();
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
    void shouldTakeARoutesTlsTrustStoreAndCredentials() throws Exception
    {
        final TestCertificates certificates = TestCertificates.create(dir);
        final Path password = dir.resolve("relay.password");
        Files.writeString(password, "pw\n");
        final DeliveryContext.Route route = SluiceDaemon.Configuration.of(settings(
            "delivery.route.default.target", "smtp://127.0.0.1:587",
            "delivery.route.default.tls", "Required",
            "delivery.route.default.trustStore", certificates.trustStore().toString(),
            "delivery.route.default.trustStorePassword", TestCertificates.PASSWORD,
            "delivery.route.default.verifyHostname", "false",
            "delivery.route.default.username", "appliance",
            "delivery.route.default.passwordFile", password.toString())).delivery().routes().get(0);

        assertThat(route.security().tls()).isEqualTo(RouteSecurity.Tls.REQUIRED);
        assertThat(route.security().trustStore()).isEqualTo(certificates.trustStore());
        assertThat(route.security().verifyHostname()).isFalse();
        assertThat(route.security().username()).isEqualTo("appliance");
        assertThat(route.security().toString()).as("what the start-up log shows: never the password").doesNotContain("pw")
            .contains("tls=required", "AUTH as appliance");
    }

    @Test
    void shouldRefuseEveryBadTlsOrAuthSettingByName() throws Exception
    {
        final Path password = dir.resolve("relay.password");
        Files.writeString(password, "pw\n");
        final Path garbage = dir.resolve("garbage.p12");
        Files.writeString(garbage, "not a key store");
        final String relay = "smtp://relay.test:25";
        assertRefused("delivery.route.default.tls=sometimes: expected none, opportunistic or required",
            "delivery.route.default.target", relay, "delivery.route.default.tls", "sometimes");
        assertRefused("delivery.route.default.tls=required: expected only for an smtp:// route, not for dir:",
            "delivery.route.default.tls", "required");
        final Path missing = dir.resolve("missing.p12");
        assertRefused("delivery.route.default.trustStore=" + missing + ": expected a PKCS12 or JKS trust store",
            "delivery.route.default.target", relay, "delivery.route.default.tls", "required",
            "delivery.route.default.trustStore", missing.toString());
        assertRefused("delivery.route.default.trustStore=" + garbage + ": expected a PKCS12 or JKS trust store",
            "delivery.route.default.target", relay, "delivery.route.default.tls", "required",
            "delivery.route.default.trustStore", garbage.toString());
        assertRefused("delivery.route.default.trustStore=" + garbage + ": expected only with delivery.route.default.tls=required",
            "delivery.route.default.target", relay, "delivery.route.default.tls", "opportunistic",
            "delivery.route.default.trustStore", garbage.toString());
        assertRefused("delivery.route.default.verifyHostname=no: expected true or false",
            "delivery.route.default.target", relay, "delivery.route.default.verifyHostname", "no");
        assertRefused("delivery.route.default.passwordFile=: expected the file holding the password of appliance",
            "delivery.route.default.target", relay, "delivery.route.default.tls", "required",
            "delivery.route.default.username", "appliance");
        assertRefused("delivery.route.default.passwordFile=" + dir.resolve("nope") + ": expected a readable file",
            "delivery.route.default.target", relay, "delivery.route.default.tls", "required",
            "delivery.route.default.username", "appliance",
            "delivery.route.default.passwordFile", dir.resolve("nope").toString());
        assertRefused("delivery.route.default.username=appliance: expected delivery.route.default.tls=required or opportunistic",
            "delivery.route.default.target", relay, "delivery.route.default.username", "appliance",
            "delivery.route.default.passwordFile", password.toString());
        assertRefused("delivery.route.default.password=pw: expected a known setting",
            "delivery.route.default.target", relay, "delivery.route.default.password", "pw");
        assertRefused("delivery.route.nowhere.tls=required: expected a route listed in drain.routes",
            "delivery.route.nowhere.tls", "required");
    }

    private void assertRefused(final String message, final String... pairs)
    {
        assertThatThrownBy(() -> SluiceDaemon.Configuration.of(settings(pairs)))
            .isInstanceOf(InvalidSettingException.class).hasMessageStartingWith(message);
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
