package io.sluice.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.function.UnaryOperator;

import io.sluice.config.InvalidSettingException;
import io.sluice.drain.DrainContext;
import org.junit.jupiter.api.Test;

/** Route targets and delivery settings: every bad value is refused with its key, its value and what is expected. */
class DeliveryContextTest
{
    private static DeliveryContext valid()
    {
        return new DeliveryContext().target("default", "dir:delivered/default").target("notifications", "smtp://[::1]:2525");
    }

    @Test
    void shouldParseSmtpAndDirTargets()
    {
        assertThat(RouteTarget.parse("k", "smtp://relay.example.net:2525"))
            .isEqualTo(new RouteTarget.Smtp("relay.example.net", 2525));
        assertThat(RouteTarget.parse("k", "smtp://192.0.2.1")).isEqualTo(new RouteTarget.Smtp("192.0.2.1", 25));
        assertThat(RouteTarget.parse("k", " SMTP://[2001:db8::1]:587 ")).isEqualTo(new RouteTarget.Smtp("2001:db8::1", 587));
        assertThat(RouteTarget.parse("k", "smtp://[::1]:25").toString()).isEqualTo("smtp://[::1]:25");
        assertThat(RouteTarget.parse("k", "dir:delivered")).isEqualTo(new RouteTarget.Dir(Path.of("delivered")));
        assertThat(RouteTarget.parse("k", "dir:/var/spool/out")).isEqualTo(new RouteTarget.Dir(Path.of("/var/spool/out")));
    }

    @Test
    void shouldRefuseABadTargetByKeyAndValue()
    {
        for (final String bad : new String[] {"", "relay.example.net:25", "ftp://relay:21", "smtp://", "smtp://host:0",
            "smtp://host:65536", "smtp://host:x", "smtp://ho st:25", "smtp://[::1", "smtp://[nothex]:25", "smtp://-host:25",
            "dir:", "dir:  "})
        {
            assertThatThrownBy(() -> RouteTarget.parse("delivery.route.default.target", bad))
                .as(bad).isInstanceOf(InvalidSettingException.class)
                .hasMessageStartingWith("delivery.route.default.target=" + bad + ": expected");
        }
    }

    @Test
    void shouldListEveryDrainRouteWithItsTargetAndLimit()
    {
        final DeliveryContext context = valid().routeMaxConnections("notifications", 2).maxConnections(7)
            .conclude(new DrainContext());
        assertThat(context.routes()).containsExactly(
            new DeliveryContext.Route("default", new RouteTarget.Dir(Path.of("delivered/default")), 7),
            new DeliveryContext.Route("notifications", new RouteTarget.Smtp("::1", 2525), 2));
    }

    @Test
    void shouldRefuseARouteWithoutTargetAndATargetWithoutRoute()
    {
        assertThatThrownBy(() -> new DeliveryContext().target("default", "dir:d").conclude(new DrainContext()))
            .isInstanceOf(InvalidSettingException.class)
            .hasMessageStartingWith("delivery.route.notifications.target=: expected smtp://host:port or dir:PATH");
        assertThatThrownBy(() -> valid().target("defualt", "dir:d").conclude(new DrainContext()))
            .hasMessageStartingWith("delivery.route.defualt.target=dir:d: expected a route listed in drain.routes");
        assertThatThrownBy(() -> valid().routeMaxConnections("acme", 3).conclude(new DrainContext()))
            .hasMessageStartingWith("delivery.route.acme.maxConnections=3: expected a route listed in drain.routes");
    }

    @Test
    void shouldRefuseEveryBadNumberByKey()
    {
        refused(DeliveryContext.MAX_CONNECTIONS.key(), c -> c.maxConnections(0));
        refused(DeliveryContext.maxConnectionsKey("default"), c -> c.routeMaxConnections("default", 0));
        refused(DeliveryContext.CONNECT_TIMEOUT_MS.key(), c -> c.connectTimeoutMs(0));
        refused(DeliveryContext.GREETING_TIMEOUT_MS.key(), c -> c.greetingTimeoutMs(-1));
        refused(DeliveryContext.COMMAND_TIMEOUT_MS.key(), c -> c.commandTimeoutMs(0));
        refused(DeliveryContext.MAIL_TIMEOUT_MS.key(), c -> c.mailTimeoutMs(0));
        refused(DeliveryContext.RCPT_TIMEOUT_MS.key(), c -> c.rcptTimeoutMs(0));
        refused(DeliveryContext.DATA_INIT_TIMEOUT_MS.key(), c -> c.dataInitTimeoutMs(0));
        refused(DeliveryContext.DATA_BLOCK_TIMEOUT_MS.key(), c -> c.dataBlockTimeoutMs(0));
        refused(DeliveryContext.DATA_END_TIMEOUT_MS.key(), c -> c.dataEndTimeoutMs(0));
        refused(DeliveryContext.DISPATCH_TIMEOUT_MS.key(), c -> c.dispatchTimeoutMs(0));
        refused(DeliveryContext.CONNECTION_IDLE_MS.key(), c -> c.connectionIdleMs(0));
        refused(DeliveryContext.MAX_MESSAGES_PER_CONNECTION.key(), c -> c.maxMessagesPerConnection(0));
        refused(DeliveryContext.RECONNECT_DELAY_MS.key(), c -> c.reconnectDelayMs(-1));
        refused(DeliveryContext.EVENT_LOOP_THREADS.key(), c -> c.eventLoopThreads(0));
        refused(DeliveryContext.IO_THREADS.key(), c -> c.ioThreads(0));
        refused(DeliveryContext.SHUTDOWN_GRACE_MS.key(), c -> c.shutdownGraceMs(-1));
        refused(DeliveryContext.MAX_BYTES_IN_FLIGHT.key(), c -> c.maxBytesInFlight(0));
        refused(DeliveryContext.HELO_NAME.key(), c -> c.heloName("two words"));
    }

    @Test
    void shouldKeepADispatchShorterThanTheDrainsInFlightTimeout()
    {
        assertThatThrownBy(() -> valid().dispatchTimeoutMs(60_000).conclude(new DrainContext().inFlightTimeoutMs(60_000)))
            .isInstanceOf(InvalidSettingException.class)
            .hasMessageStartingWith("delivery.timeout.dispatchMs=60000: expected less than drain.inFlightTimeoutMs (60000)");
    }

    private static void refused(final String key, final UnaryOperator<DeliveryContext> change)
    {
        assertThatThrownBy(() -> change.apply(valid()).conclude(new DrainContext()))
            .as(key).isInstanceOf(InvalidSettingException.class).hasMessageStartingWith(key + "=");
    }
}
