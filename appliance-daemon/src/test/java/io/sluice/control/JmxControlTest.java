package io.sluice.control;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFilePermissions;
import java.rmi.Remote;
import java.rmi.registry.LocateRegistry;
import java.rmi.registry.Registry;

import javax.management.Attribute;
import javax.management.MBeanServerConnection;
import javax.management.MBeanServerFactory;
import javax.management.RuntimeMBeanException;
import javax.management.remote.JMXConnector;

import io.sluice.ingress.IngressFixture;
import io.sluice.ingress.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The MXBeans through a real RMI connector on loopback, as JConsole or jmxterm would reach them. */
class JmxControlTest
{
    @TempDir
    Path dir;

    private ControlPlane controlPlane(final IngressFixture fixture, final JmxContext jmx)
    {
        final ControlState state = ControlState.open(dir);
        return new ControlPlane(ManagementFactory.getPlatformMBeanServer())
            .register("Spool", new SpoolControl(fixture.spool(), fixture.server(), state), SpoolControlMXBean.class)
            .register("Limits", new LimitsControl(fixture.admission(), state), LimitsControlMXBean.class)
            .serve(jmx.conclude());
    }

    private Path socket()
    {
        return dir.resolve("jmx.sock");
    }

    @Test
    void shouldApplyALimitChangedOverJmxToTheNextSmtpTransactionAndKeepIt() throws Exception
    {
        try (IngressFixture fixture = IngressFixture.start(dir, c -> c);
             ControlPlane ignored = controlPlane(fixture, new JmxContext().socket(socket()));
             JMXConnector connector = ConsoleClient.connect(socket()))
        {
            final MBeanServerConnection mbeans = connector.getMBeanServerConnection();
            // The shipped address burst, a ceiling over every class since issue 12 (was 60).
            assertThat(mbeans.getAttribute(ControlPlane.name("Limits"), "IpBurst")).isEqualTo(200L);
            mbeans.setAttribute(ControlPlane.name("Limits"), new Attribute("IpBurst", 1L));
            // A slow refill, so that a loaded machine's slow SMTP exchange does not earn the second message a token.
            mbeans.setAttribute(ControlPlane.name("Limits"), new Attribute("IpRatePerSecond", 0.01));

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
        try (IngressFixture fixture = IngressFixture.start(dir, c -> c);
             ControlPlane ignored = controlPlane(fixture, new JmxContext().socket(socket()));
             JMXConnector connector = ConsoleClient.connect(socket()))
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
    void shouldOpenTheSocketToItsGroupOnlyReplaceAStaleOneAndRefuseASecondDaemon() throws Exception
    {
        final GroupPrincipal group = (GroupPrincipal)Files.getAttribute(dir, "posix:group");
        Files.writeString(socket(), "left behind by a daemon killed with -9");
        try (IngressFixture fixture = IngressFixture.start(dir, c -> c);
             ControlPlane ignored = controlPlane(fixture, new JmxContext().socket(socket()).socketGroup(group.getName())))
        {
            assertThat(Files.getPosixFilePermissions(socket())).isEqualTo(PosixFilePermissions.fromString("rw-rw----"));
            assertThat(Files.getAttribute(socket(), "posix:group")).isEqualTo(group);
            try (JMXConnector connector = ConsoleClient.connect(socket()))
            {
                assertThat(connector.getMBeanServerConnection().getAttribute(ControlPlane.name("Limits"), "IpBurst"))
                    .isEqualTo(200L);
            }
            assertThatThrownBy(() -> new ControlPlane(MBeanServerFactory.newMBeanServer())
                .serve(new JmxContext().socket(socket()).conclude()))
                .hasMessageContaining("another process answers on " + socket());
        }
        assertThat(socket()).as("removed at close").doesNotExist();

        try (IngressFixture fixture = IngressFixture.start(dir.resolve("again"), c -> c);
             ControlPlane ignored = controlPlane(fixture, new JmxContext().socket(socket()).socketGroup("no-such-group-here")))
        {
            assertThat(Files.getPosixFilePermissions(socket())).as("no such group: the daemon's user and root only")
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        }
    }

    @Test
    void shouldRefuseToBindAnythingIntoTheConsolesRegistry() throws Exception
    {
        try (IngressFixture fixture = IngressFixture.start(dir, c -> c);
             ControlPlane ignored = controlPlane(fixture, new JmxContext().socket(socket())))
        {
            final Registry registry = LocateRegistry.getRegistry("localhost", ConsoleSocket.PSEUDO_PORT,
                new ConsoleSocket.Client(socket()));
            // Any stub will do as the impostor: what matters is that a bind carrying one is refused.
            final Remote impostor = registry.lookup("jmxrmi");
            assertThatThrownBy(() -> registry.rebind("jmxrmi", impostor)).hasStackTraceContaining("filter status: REJECTED");
            assertThatThrownBy(() -> registry.bind("other", impostor)).hasStackTraceContaining("filter status: REJECTED");
            try (JMXConnector connector = ConsoleClient.connect(socket()))
            {
                assertThat(connector.getMBeanServerConnection().isRegistered(ControlPlane.name("Limits"))).isTrue();
            }
        }
    }

    @Test
    void shouldRefuseATcpConsoleWithoutPasswordsRolesAndTlsAndASocketAnyoneCouldReplace() throws Exception
    {
        final Path passwords = Files.writeString(dir.resolve("jmx.password"), "ops s3cret\n");
        Files.setPosixFilePermissions(passwords, PosixFilePermissions.fromString("rw-------"));
        final Path access = Files.writeString(dir.resolve("jmx.access"), "ops operator\n");
        final JmxContext local = new JmxContext().socket(socket());
        assertThatThrownBy(() -> new JmxContext().socket(socket()).remote(true).host("0.0.0.0").conclude())
            .hasMessageStartingWith("jmx.passwordFile=: expected both jmx.passwordFile and jmx.accessFile for jmx.remote=true");
        assertThatThrownBy(() -> new JmxContext().socket(socket()).remote(true).passwordFile(passwords).accessFile(access)
            .conclude()).hasMessageStartingWith("jmx.ssl=false: expected true for jmx.remote=true");
        assertThatThrownBy(() -> local.passwordFile(passwords).conclude())
            .hasMessageStartingWith("jmx.passwordFile=" + passwords + ": only the TCP console uses it, and jmx.remote=false");
        assertThatThrownBy(() -> new JmxContext().socket(socket()).remote(true).ssl(true).passwordFile(passwords)
            .accessFile(Files.writeString(dir.resolve("old.access"), "ops readwrite\n")).conclude())
            .hasMessageContaining("ops has role 'readwrite', expected monitor, operator, admin or diagnostics");
        assertThatThrownBy(() -> new JmxContext().socket(socket()).remote(true).ssl(true).passwordFile(passwords)
            .accessFile(Files.writeString(dir.resolve("diag.access"), "ops diagnostics\n")).conclude())
            .hasMessageContaining("ops has the diagnostics role, which needs jmx.diagnostics=true");
        Files.setPosixFilePermissions(passwords, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> new JmxContext().socket(socket()).remote(true).ssl(true).passwordFile(passwords)
            .accessFile(access).conclude())
            .hasMessageStartingWith("jmx.passwordFile=" + passwords + ": " + passwords + " is readable by every user");
        assertThatThrownBy(() -> new JmxContext().socket(dir.resolve("x".repeat(120))).conclude())
            .hasMessageContaining("too long for a Unix socket");
        final Path open = Files.createDirectory(dir.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertThatThrownBy(() -> new JmxContext().socket(open.resolve("jmx.sock")).conclude())
            .hasMessageContaining("is writable by every user (and not sticky)");
    }
}
