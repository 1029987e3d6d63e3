package io.sluice.daemon;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

import javax.management.Attribute;
import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;

import io.sluice.control.ControlPlane;
import io.sluice.control.ControlState;
import io.sluice.control.ConsoleClient;
import io.sluice.ingress.SmtpTestClient;
import io.sluice.spool.SpoolAwait;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole daemon, in-process: an operator's JMX change reaches live SMTP traffic and survives a restart. */
class DaemonControlTest
{
    @TempDir
    Path dir;

    private SluiceDaemon start() throws IOException
    {
        return SluiceDaemon.start(SluiceDaemon.Configuration.of(DaemonSettings.load(null, Map.of(
            "spool.directory", dir.resolve("spool").toString(),
            "smtp.listen", "127.0.0.1:0",
            "relay.domains", "relay.test",
            "tenant.acme.networks", "127.0.1.0/24"))));
    }

    private static Object invoke(final MBeanServerConnection mbeans, final String type, final String operation,
        final Object... args) throws Exception
    {
        final String[] signature = new String[args.length];
        for (int i = 0; i < args.length; i++)
        {
            signature[i] = args[i] instanceof Integer ? "int" : "java.lang.String";
        }
        return mbeans.invoke(ControlPlane.name(type), operation, args, signature);
    }

    private static void sendFrom(final SluiceDaemon daemon, final String source, final String subject) throws IOException
    {
        try (SmtpTestClient client = SmtpTestClient.connect(daemon.smtp().localAddress(), source))
        {
            expect(client.reply(), "220");
            expect(client.command("EHLO client.example"), "250");
            expect(client.sendMessage("a@client.example", "b@relay.test", subject), "250 2.0.0");
        }
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

    private static double rate(final MBeanServerConnection mbeans, final String attribute)
    {
        try
        {
            return (Double)mbeans.getAttribute(ControlPlane.name("Spool"), attribute);
        }
        catch (final Exception ex)
        {
            throw new AssertionError(ex);
        }
    }

    private static long drainFigure(final MBeanServerConnection mbeans, final String attribute)
    {
        try
        {
            return (Long)mbeans.getAttribute(ControlPlane.name("Drain"), attribute);
        }
        catch (final Exception notYetPublished)
        {
            return -1;
        }
    }

    private JMXConnector connect() throws IOException
    {
        return ConsoleClient.connect(ConsoleClient.socketOf(dir.resolve("spool")));
    }

    private static Object readyOrNull(final MBeanServerConnection mbeans)
    {
        try
        {
            return mbeans.getAttribute(ControlPlane.name("Drain"), "ReadyMessages");
        }
        catch (final Exception notYetPublished)
        {
            return null;
        }
    }

    private static String[] routes(final MBeanServerConnection mbeans)
    {
        try
        {
            return (String[])mbeans.getAttribute(ControlPlane.name("Drain"), "Routes");
        }
        catch (final Exception ex)
        {
            throw new AssertionError(ex);
        }
    }

    @Test
    void shouldApplyAJmxChangeToTheNextTransactionAndKeepItAcrossARestart() throws Exception
    {
        try (SluiceDaemon daemon = start(); JMXConnector jmx = connect())
        {
            final MBeanServerConnection mbeans = jmx.getMBeanServerConnection();
            mbeans.setAttribute(ControlPlane.name("Limits"), new Attribute("IpBurst", 1L));
            // Slow enough that no token comes back while the first message is taken, however loaded the machine.
            mbeans.setAttribute(ControlPlane.name("Limits"), new Attribute("IpRatePerSecond", 0.01));
            try (SmtpTestClient client = SmtpTestClient.connect(daemon.smtp().localAddress(), "127.0.0.9"))
            {
                expect(client.reply(), "220");
                expect(client.command("EHLO outside.example"), "250");
                assertThat(client.sendMessage("a@outside.test", "b@relay.test", "first")).startsWith("250 2.0.0");
                assertThat(client.command("MAIL FROM:<a@outside.test>")).startsWith("450 4.7.1");
            }
            SpoolAwait.until(() -> readyOrNull(mbeans) != null);
            mbeans.invoke(ControlPlane.name("Drain"), "setRouteRate", new Object[] {"default", 50.0, 5},
                new String[] {"java.lang.String", "double", "int"});
            SpoolAwait.until(() -> String.join("\n", routes(mbeans)).contains("default: configured 50.0/s"));
            mbeans.invoke(ControlPlane.name("Spool"), "pauseIngress", null, null);
            mbeans.invoke(ControlPlane.name("Drain"), "pauseTenant", new Object[] {"acme"}, new String[] {"java.lang.String"});
            mbeans.invoke(ControlPlane.name("Drain"), "pauseSource", new Object[] {"2001:db8::7"},
                new String[] {"java.lang.String"});
            assertThat(daemon.healthy()).isTrue();
        }
        try (SluiceDaemon daemon = start(); JMXConnector jmx = connect())
        {
            final MBeanServerConnection mbeans = jmx.getMBeanServerConnection();
            assertThat(mbeans.getAttribute(ControlPlane.name("Limits"), "IpBurst")).as("kept across the restart").isEqualTo(1L);
            assertThat(mbeans.getAttribute(ControlPlane.name("Spool"), "IngressPaused")).isEqualTo(true);
            SpoolAwait.until(() -> readyOrNull(mbeans) != null);
            assertThat(routes(mbeans)).as("the route rate set over JMX is kept")
                .anyMatch(l -> l.startsWith("default: configured 50.0/s"));
            assertThat((String[])mbeans.getAttribute(ControlPlane.name("Drain"), "PausedTenants")).containsExactly("acme");
            assertThat((String[])mbeans.getAttribute(ControlPlane.name("Drain"), "PausedSources"))
                .as("kept as the envelope's source key writes the address").containsExactly("2001:db8:0:0:0:0:0:7");
            mbeans.invoke(ControlPlane.name("Drain"), "resumeTenant", new Object[] {"acme"}, new String[] {"java.lang.String"});
            assertThat((String[])mbeans.getAttribute(ControlPlane.name("Drain"), "PausedTenants")).isEmpty();
            assertThat((String[])mbeans.getAttribute(ControlPlane.name("Delivery"), "Routes"))
                .containsExactly("default: 0 of 10 writers in use", "notifications: 0 of 2 writers in use");
            assertThat((String[])mbeans.getAttribute(ControlPlane.name("Delivery"), "Counters"))
                .anyMatch(line -> line.startsWith("AUTH_FAILURES 0 ("));
            try (SmtpTestClient client = SmtpTestClient.connect(daemon.smtp().localAddress(), "127.0.0.10"))
            {
                assertThat(client.reply()).startsWith("421 4.3.2");
            }
            mbeans.invoke(ControlPlane.name("Spool"), "resumeIngress", null, null);
            try (SmtpTestClient client = SmtpTestClient.connect(daemon.smtp().localAddress(), "127.0.0.10"))
            {
                assertThat(client.reply()).startsWith("220");
            }
        }
    }

    @Test
    void shouldKeepDrainPausesAndAConnectionLimitSetOverJmxAcrossARestartAndRefuseNonsense() throws Exception
    {
        try (SluiceDaemon daemon = start(); JMXConnector jmx = connect())
        {
            final MBeanServerConnection mbeans = jmx.getMBeanServerConnection();
            invoke(mbeans, "Drain", "pauseTenant", "acme");
            invoke(mbeans, "Drain", "pauseSource", "127.0.0.9");
            invoke(mbeans, "Drain", "setRouteConnections", "default", 3);
            sendFrom(daemon, "127.0.1.5", "tenant acme, paused");
            sendFrom(daemon, "127.0.0.9", "source 127.0.0.9, paused");
            sendFrom(daemon, "127.0.0.10", "flows");
            SpoolAwait.until(() -> delivered() == 1 && drainFigure(mbeans, "PausedMessages") == 2);
            invoke(mbeans, "Spool", "pauseDrain", "default");
            sendFrom(daemon, "127.0.0.10", "route paused");
            SpoolAwait.until(() -> drainFigure(mbeans, "PausedMessages") == 3);
            assertThat(delivered()).as("nothing leaves a paused route").isEqualTo(1);
            // Sampled every second by the daemon: a figure above zero shows the wiring, not a speed.
            SpoolAwait.until(() -> rate(mbeans, "AcceptedPerSecond") > 0 && rate(mbeans, "DeliveredPerSecond") > 0);

            final Map<String, String> saved = ControlState.read(dir.resolve("spool").resolve(ControlState.FILE_NAME));
            assertThatThrownBy(() -> invoke(mbeans, "Spool", "pauseDrain", "nowhere"))
                .rootCause().hasMessageStartingWith("no such route: 'nowhere'");
            assertThatThrownBy(() -> invoke(mbeans, "Drain", "setRouteConnections", "default", 0))
                .rootCause().hasMessageStartingWith("expected a connection limit from 1 to 10000 for route default, got 0");
            assertThatThrownBy(() -> invoke(mbeans, "Drain", "pauseSource", "192.0.2.0/24"))
                .rootCause().hasMessageContaining("expected one client address, not a network");
            assertThatThrownBy(() -> invoke(mbeans, "Drain", "pauseTenant", "a b"))
                .rootCause().hasMessageContaining("expected a tenant name");
            assertThat(ControlState.read(dir.resolve("spool").resolve(ControlState.FILE_NAME))).as("nonsense changes nothing")
                .isEqualTo(saved).containsEntry("drain.pausedRoutes", "default").containsEntry("drain.pausedTenants", "acme")
                .containsEntry("drain.pausedSources", "127.0.0.9").containsEntry("delivery.route.default.maxConnections", "3");
        }
        try (SluiceDaemon daemon = start(); JMXConnector jmx = connect())
        {
            final MBeanServerConnection mbeans = jmx.getMBeanServerConnection();
            assertThat((String[])mbeans.getAttribute(ControlPlane.name("Spool"), "DrainPausedRoutes")).containsExactly("default");
            assertThat((String[])mbeans.getAttribute(ControlPlane.name("Drain"), "PausedTenants")).containsExactly("acme");
            assertThat((String[])mbeans.getAttribute(ControlPlane.name("Drain"), "PausedSources")).containsExactly("127.0.0.9");
            SpoolAwait.until(() -> drainFigure(mbeans, "PausedMessages") == 3);
            assertThat(routes(mbeans)).as("the connection limit is kept")
                .anyMatch(l -> l.startsWith("default (PAUSED): ") && l.contains("connections 0 of 3"));
            assertThat(delivered()).as("the pauses hold from the first moment after the restart").isEqualTo(1);

            invoke(mbeans, "Spool", "resumeDrain", "");
            SpoolAwait.until(() -> delivered() == 2);
            invoke(mbeans, "Drain", "resumeTenant", "acme");
            invoke(mbeans, "Drain", "resumeSource", "127.0.0.9");
            SpoolAwait.until(() -> delivered() == 4 && daemon.spool().pendingCount() == 0);
        }
        try (SluiceDaemon daemon = start(); JMXConnector jmx = connect())
        {
            final MBeanServerConnection mbeans = jmx.getMBeanServerConnection();
            assertThat((String[])mbeans.getAttribute(ControlPlane.name("Spool"), "DrainPausedRoutes")).as("resumes are kept too")
                .isEmpty();
            assertThat((String[])mbeans.getAttribute(ControlPlane.name("Drain"), "PausedTenants")).isEmpty();
        }
    }
}
