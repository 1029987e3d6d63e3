package io.sluice.control;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import javax.management.Attribute;
import javax.management.MBeanServerConnection;
import javax.management.RuntimeMBeanException;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

import io.sluice.ingress.IngressFixture;
import io.sluice.ingress.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The MXBeans through a real RMI connector on loopback, as JConsole or jmxterm would reach them. */
class JmxControlTest
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

    private ControlPlane controlPlane(final IngressFixture fixture, final JmxContext jmx)
    {
        final ControlState state = ControlState.open(dir);
        return new ControlPlane(ManagementFactory.getPlatformMBeanServer())
            .register("Spool", new SpoolControl(fixture.spool(), fixture.server(), state), SpoolControlMXBean.class)
            .register("Limits", new LimitsControl(fixture.admission(), state), LimitsControlMXBean.class)
            .serve(jmx.conclude());
    }

    private static JMXConnector connect(final int port, final String user, final String password) throws IOException
    {
        final JMXServiceURL url = new JMXServiceURL(JmxServer.serviceUrl("127.0.0.1", port));
        return JMXConnectorFactory.connect(
            url, user == null ? null : Map.of(JMXConnector.CREDENTIALS, new String[] {user, password}));
    }

    @Test
    void shouldApplyALimitChangedOverJmxToTheNextSmtpTransactionAndKeepIt() throws Exception
    {
        final int port = freePort();
        try (IngressFixture fixture = IngressFixture.start(dir, c -> c);
             ControlPlane ignored = controlPlane(fixture, new JmxContext().port(port));
             JMXConnector connector = connect(port, null, null))
        {
            final MBeanServerConnection mbeans = connector.getMBeanServerConnection();
            // The shipped address burst, a ceiling over every class since issue 12 (was 60).
            assertThat(mbeans.getAttribute(ControlPlane.name("Limits"), "IpBurst")).isEqualTo(200L);
            mbeans.setAttribute(ControlPlane.name("Limits"), new Attribute("IpBurst", 1L));

            try (SmtpTestClient client = SmtpTestClient.connect(fixture.address(), "127.0.0.9"))
            {
                expect(client.reply(), "220");
                expect(client.command("EHLO outside.example"), "250");
                assertThat(client.sendMessage("a@outside.test", "b@relay.test", "first")).startsWith("250 2.0.0");
                assertThat(client.command("MAIL FROM:<a@outside.test>")).as("the new burst of 1 is spent")
                    .startsWith("450 4.7.1");
            }
            assertThat(ControlState.read(dir.resolve(ControlState.FILE_NAME))).containsEntry("admission.ip.burst", "1");
            assertThat(mbeans.getAttribute(ControlPlane.name("Spool"), "PendingMessages")).isEqualTo(1L);
        }
    }

    @Test
    void shouldRejectNonsenseWithAClearMessageAndChangeNothing() throws Exception
    {
        final int port = freePort();
        try (IngressFixture fixture = IngressFixture.start(dir, c -> c);
             ControlPlane ignored = controlPlane(fixture, new JmxContext().port(port));
             JMXConnector connector = connect(port, null, null))
        {
            final MBeanServerConnection mbeans = connector.getMBeanServerConnection();
            assertThatThrownBy(() -> mbeans.setAttribute(ControlPlane.name("Limits"), new Attribute("IpRatePerSecond", -5.0)))
                .hasRootCauseInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> mbeans.invoke(ControlPlane.name("Limits"), "block",
                new Object[] {"300.1.2.0/24", 0L}, new String[] {"java.lang.String", "long"}))
                .isInstanceOf(RuntimeMBeanException.class)
                .rootCause().hasMessageStartingWith("network=300.1.2.0/24: expected an IP address or CIDR");
            assertThat(mbeans.getAttribute(ControlPlane.name("Limits"), "IpRatePerSecond")).isEqualTo(20.0);
            assertThat((String[])mbeans.invoke(ControlPlane.name("Limits"), "listBlocks", null, null)).isEmpty();
            assertThat(dir.resolve(ControlState.FILE_NAME)).doesNotExist();
        }
    }

    @Test
    void shouldRefuseWrongCredentialsAndWritesFromAReadOnlyRole() throws Exception
    {
        final Path passwords = Files.writeString(dir.resolve("jmx.password"), "admin s3cret\nmonitor look\n");
        final Path access = Files.writeString(dir.resolve("jmx.access"), "admin readwrite\nmonitor readonly\n");
        final int port = freePort();
        try (IngressFixture fixture = IngressFixture.start(dir, c -> c);
             ControlPlane ignored = controlPlane(fixture, new JmxContext().port(port).passwordFile(passwords).accessFile(access)))
        {
            assertThatThrownBy(() -> connect(port, "admin", "wrong")).isInstanceOf(SecurityException.class);
            assertThatThrownBy(() -> connect(port, null, null)).isInstanceOf(SecurityException.class);
            try (JMXConnector monitor = connect(port, "monitor", "look"))
            {
                final MBeanServerConnection mbeans = monitor.getMBeanServerConnection();
                assertThat(mbeans.getAttribute(ControlPlane.name("Limits"), "IpBurst")).isEqualTo(200L);
                assertThatThrownBy(() -> mbeans.setAttribute(ControlPlane.name("Limits"), new Attribute("IpBurst", 1L)))
                    .isInstanceOf(SecurityException.class);
            }
            try (JMXConnector admin = connect(port, "admin", "s3cret"))
            {
                admin.getMBeanServerConnection().setAttribute(ControlPlane.name("Limits"), new Attribute("IpBurst", 7L));
            }
            assertThat(fixture.admission().defaultLimit(io.sluice.admission.KeyKind.IP).burst()).isEqualTo(7);
        }
    }

    @Test
    void shouldRefuseRemoteJmxWithoutPasswordAndAccessFiles()
    {
        assertThatThrownBy(() -> new JmxContext().host("0.0.0.0").conclude())
            .hasMessageStartingWith("jmx.host=0.0.0.0: expected a loopback address unless");
        assertThatThrownBy(() -> new JmxContext().passwordFile(dir.resolve("p")).conclude())
            .hasMessageContaining("expected both jmx.passwordFile and jmx.accessFile");
    }
}
