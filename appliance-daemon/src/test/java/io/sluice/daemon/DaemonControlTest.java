package io.sluice.daemon;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;

import javax.management.Attribute;
import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

import io.sluice.control.ControlPlane;
import io.sluice.control.JmxServer;
import io.sluice.ingress.SmtpTestClient;
import io.sluice.spool.SpoolAwait;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole daemon, in-process: an operator's JMX change reaches live SMTP traffic and survives a restart. */
class DaemonControlTest
{
    @TempDir
    Path dir;

    private static int freePort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket(0))
        {
            return socket.getLocalPort();
        }
    }

    private SluiceDaemon start(final int jmxPort) throws IOException
    {
        return SluiceDaemon.start(SluiceDaemon.Configuration.of(DaemonSettings.load(null, Map.of(
            "spool.directory", dir.resolve("spool").toString(),
            "smtp.listen", "127.0.0.1:0",
            "relay.domains", "relay.test",
            "jmx.port", Integer.toString(jmxPort)))));
    }

    private static JMXConnector connect(final int port) throws IOException
    {
        return JMXConnectorFactory.connect(new JMXServiceURL(JmxServer.serviceUrl("127.0.0.1", port)));
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
        final int jmxPort = freePort();
        try (SluiceDaemon daemon = start(jmxPort); JMXConnector jmx = connect(jmxPort))
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
        try (SluiceDaemon daemon = start(jmxPort); JMXConnector jmx = connect(jmxPort))
        {
            final MBeanServerConnection mbeans = jmx.getMBeanServerConnection();
            assertThat(mbeans.getAttribute(ControlPlane.name("Limits"), "IpBurst")).as("kept across the restart").isEqualTo(1L);
            assertThat(mbeans.getAttribute(ControlPlane.name("Spool"), "IngressPaused")).isEqualTo(true);
            SpoolAwait.until(() -> readyOrNull(mbeans) != null);
            assertThat(routes(mbeans)).as("the route rate set over JMX is kept")
                .anyMatch(l -> l.startsWith("default: configured 50.0/s"));
            assertThat((String[])mbeans.getAttribute(ControlPlane.name("Drain"), "PausedTenants")).containsExactly("acme");
            assertThat((String[])mbeans.getAttribute(ControlPlane.name("Drain"), "PausedSources"))
                .containsExactly("2001:db8::7");
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
}
