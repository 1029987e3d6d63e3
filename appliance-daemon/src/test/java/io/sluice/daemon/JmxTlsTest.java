package io.sluice.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.config.InvalidSettingException;
import io.sluice.control.JmxContext;
import io.sluice.control.JmxServer;
import io.sluice.control.cli.SluiceCommand;
import io.sluice.spool.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Remote JMX over TLS as an operator sets it up: a key pair and certificate made with the JDK's {@code keytool}, the
 * daemon's connector on TLS with password and access files, and {@code sluice --truststore} in its own JVM (as the
 * launcher runs it) reading the queue; an untrusted certificate, a wrong password and a plain connection are refused.
 */
class JmxTlsTest
{
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static int freePort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket(0))
        {
            return socket.getLocalPort();
        }
    }

    private void makeStores() throws Exception
    {
        ConsoleStores.make(dir, "admin s3cret", "admin admin");
        Files.writeString(dir.resolve("admin.pw"), "s3cret\n");
        Files.writeString(dir.resolve("wrong.pw"), "guess\n");
    }

    private SluiceDaemon start(final int jmxPort) throws IOException
    {
        return SluiceDaemon.start(SluiceDaemon.Configuration.of(DaemonSettings.load(null,
            ConsoleStores.remoteSettings(dir, jmxPort))));
    }

    /** {@code sluice} in a JVM of its own, as its launcher runs it: the TLS defaults it sets are its own. */
    private static ChildJvm sluiceJvm(final String... args) throws IOException
    {
        return ChildJvm.start(SluiceCommand.class, args);
    }

    @Test
    void shouldServeJmxOverTlsToTheTrustedSluiceAndRefuseUntrustedPlainAndWrongPasswordClients() throws Exception
    {
        makeStores();
        final int port = freePort();
        final String jmx = "127.0.0.1:" + port;
        try (SluiceDaemon daemon = start(port))
        {
            try (ChildJvm trusted = sluiceJvm("--jmx", jmx, "--truststore", dir.resolve("trust.p12").toString(),
                "--truststore-password-file", dir.resolve("trust.pw").toString(), "--user", "admin", "--password-file",
                dir.resolve("admin.pw").toString(), "--json", "queue"))
            {
                assertThat(trusted.waitFor(60_000)).as("sluice over TLS with the trust store").isEqualTo(SluiceCommand.EXIT_OK);
                final JsonNode queue = JSON.readTree(String.join("\n", trusted.lines()));
                assertThat(queue.get("pendingMessages").asLong()).isZero();
                assertThat(queue.get("acceptingMessages").asBoolean()).isTrue();
            }
            try (ChildJvm wrongPassword = sluiceJvm("--jmx", jmx, "--truststore", dir.resolve("trust.p12").toString(),
                "--truststore-password-file", dir.resolve("trust.pw").toString(), "--user", "admin", "--password-file",
                dir.resolve("wrong.pw").toString(), "queue"))
            {
                assertThat(wrongPassword.waitFor(60_000)).as("TLS, but a wrong password").isEqualTo(SluiceCommand.EXIT_REFUSED);
            }
            try (ChildJvm untrusted = sluiceJvm("--jmx", jmx, "--ssl", "--user", "admin", "--password-file",
                dir.resolve("admin.pw").toString(), "queue"))
            {
                assertThat(untrusted.waitFor(60_000)).as("the JDK's CAs do not vouch for a self-signed certificate")
                    .isEqualTo(SluiceCommand.EXIT_UNREACHABLE);
                assertThat(untrusted.lines()).isEmpty();
            }

            // A client that does not speak TLS gets nothing from either the registry or the connector.
            assertThatThrownBy(() -> JMXConnectorFactory.connect(new JMXServiceURL(JmxServer.serviceUrl("127.0.0.1", port)),
                Map.of(JMXConnector.CREDENTIALS, new String[] {"admin", "s3cret"}))).isInstanceOf(IOException.class);
        }
    }

    /** A TCP console with its password and access files, alone (no local socket), over TLS: the key is what is tried. */
    private JmxContext tls()
    {
        return new JmxContext().enabled(false).remote(true).passwordFile(dir.resolve("jmx.password"))
            .accessFile(dir.resolve("jmx.access")).ssl(true);
    }

    @Test
    void shouldRefuseATlsConnectorWithoutAUsableKeyAtStartNamingTheSetting() throws Exception
    {
        makeStores();
        assertThatThrownBy(() -> tls().conclude()).isInstanceOf(InvalidSettingException.class)
            .hasMessageStartingWith("jmx.ssl.keyStore=: expected a key store for jmx.ssl=true");
        assertThatThrownBy(() -> tls().keyStore(dir.resolve("server.p12")).conclude())
            .hasMessageStartingWith("jmx.ssl.keyStorePasswordFile=: expected the file holding the password");
        assertThatThrownBy(() -> tls().keyStore(dir.resolve("server.p12"))
            .keyStorePasswordFile(dir.resolve("wrong.pw")).conclude())
            .hasMessageStartingWith("jmx.ssl.keyStore=" + dir.resolve("server.p12") + ": cannot open the store");
        assertThatThrownBy(() -> tls().keyStore(dir.resolve("missing.p12"))
            .keyStorePasswordFile(dir.resolve("server.pw")).conclude())
            .hasMessageStartingWith("jmx.ssl.keyStore=" + dir.resolve("missing.p12") + ": expected a readable file");
        assertThat(tls().keyStore(dir.resolve("server.p12")).keyStorePasswordFile(dir.resolve("server.pw"))
            .conclude().sslContext()).isNotNull();
    }
}
