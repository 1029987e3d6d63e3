package io.sluice.daemon;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

import javax.management.MBeanServerConnection;
import javax.management.RuntimeMBeanException;
import javax.management.remote.JMXConnector;

import io.sluice.control.ControlPlane;
import io.sluice.control.ConsoleClient;
import io.sluice.ingress.SmtpTestClient;
import io.sluice.spool.SpoolAwait;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Holding one tenant end to end: an operator holds one tenant over JMX; its mail stays in the spool while
 * another tenant's mail keeps flowing to the default route; a purge without the exact confirmation changes
 * nothing; a release sends the held mail on.
 */
class TenantHoldTest
{
    @TempDir
    Path dir;

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

    private static void send(final SluiceDaemon daemon, final String from, final int count) throws IOException
    {
        try (SmtpTestClient client = SmtpTestClient.connect(daemon.smtp().localAddress(), from))
        {
            expect(client.reply(), "220");
            expect(client.command("EHLO tenant.example"), "250");
            for (int i = 0; i < count; i++)
            {
                expect(client.sendMessage("sender@" + from + ".example", "user@relay.test", "message " + i), "250 2.0.0");
            }
        }
    }

    @Test
    void shouldHoldOneTenantWhileAnotherFlowsAndReleaseOnDemand() throws Exception
    {
        try (SluiceDaemon daemon = SluiceDaemon.start(SluiceDaemon.Configuration.of(DaemonSettings.load(null, Map.of(
                "spool.directory", dir.resolve("spool").toString(),
                "smtp.listen", "127.0.0.1:0",
                "relay.domains", "relay.test",
                "tenant.acme.networks", "127.0.1.0/24",
                "tenant.other.networks", "127.0.2.0/24"))));
             JMXConnector jmx = ConsoleClient.connect(ConsoleClient.socketOf(dir.resolve("spool"))))
        {
            final MBeanServerConnection mbeans = jmx.getMBeanServerConnection();
            assertThat(mbeans.invoke(ControlPlane.name("Tenants"), "hold", new Object[] {"acme", "test"},
                new String[] {"java.lang.String", "java.lang.String"})).isEqualTo(true);
            assertThat((String[])mbeans.getAttribute(ControlPlane.name("Tenants"), "HeldTenants")).contains("acme");

            send(daemon, "127.0.1.5", 3);
            send(daemon, "127.0.2.5", 2);
            // The .eml is written before the outcome is journaled: wait for both.
            SpoolAwait.until(() -> delivered() == 2 && daemon.spool().pendingCount() == 3);
            assertThat(daemon.spool().pendingMessages()).as("the held tenant's mail stays in the spool")
                .hasSize(3).allMatch(m -> m.envelope().tenant().equals("acme"));

            assertThatThrownBy(() -> mbeans.invoke(ControlPlane.name("Tenants"), "purge", new Object[] {"acme", "yes"},
                new String[] {"java.lang.String", "java.lang.String"}))
                .isInstanceOf(RuntimeMBeanException.class).hasRootCauseInstanceOf(IllegalArgumentException.class);
            assertThat(daemon.spool().pendingCount()).as("a purge without its confirmation changes nothing").isEqualTo(3);

            assertThat(mbeans.invoke(ControlPlane.name("Tenants"), "release", new Object[] {"acme"},
                new String[] {"java.lang.String"})).isEqualTo(true);
            SpoolAwait.until(() -> delivered() == 5);
            SpoolAwait.until(() -> daemon.spool().pendingCount() == 0);
        }
    }
}
