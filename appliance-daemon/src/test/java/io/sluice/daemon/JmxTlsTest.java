package io.sluice.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

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

    private void keytool(final String... args) throws Exception
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        final Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
            .redirectOutput(dir.resolve("keytool.log").toFile()).start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("keytool finished").isTrue();
        assertThat(process.exitValue()).as("keytool %s: %s", List.of(args), Files.readString(dir.resolve("keytool.log")))
            .isZero();
    }

    /** The server's key and self-signed certificate for 127.0.0.1, and a trust store with that certificate alone. */
    private void makeStores() throws Exception
    {
        keytool("-genkeypair", "-alias", "sluice", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=127.0.0.1",
            "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore", "server.p12",
            "-storepass", "server-secret", "-keypass", "server-secret");
        keytool("-exportcert", "-alias", "sluice", "-keystore", "server.p12", "-storepass", "server-secret", "-rfc",
            "-file", "server.pem");
        keytool("-importcert", "-noprompt", "-alias", "sluice", "-file", "server.pem", "-storetype", "PKCS12",
            "-keystore", "trust.p12", "-storepass", "trust-secret");
        Files.writeString(dir.resolve("server.pw"), "server-secret\n");
        Files.writeString(dir.resolve("trust.pw"), "trust-secret\n");
        Files.writeString(dir.resolve("jmx.password"), "admin s3cret\n");
        Files.writeString(dir.resolve("jmx.access"), "admin readwrite\n");
        Files.writeString(dir.resolve("admin.pw"), "s3cret\n");
        Files.writeString(dir.resolve("wrong.pw"), "guess\n");
    }

    private SluiceDaemon start(final int jmxPort) throws IOException
    {
        return SluiceDaemon.start(SluiceDaemon.Configuration.of(DaemonSettings.load(null, Map.of(
            "spool.directory", dir.resolve("spool").toString(),
            "smtp.listen", "127.0.0.1:0",
            "jmx.port", Integer.toString(jmxPort),
            "jmx.passwordFile", dir.resolve("jmx.password").toString(),
            "jmx.accessFile", dir.resolve("jmx.access").toString(),
            "jmx.ssl", "true",
            "jmx.ssl.keyStore", dir.resolve("server.p12").toString(),
            "jmx.ssl.keyStorePasswordFile", dir.resolve("server.pw").toString()))));
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
            final ByteArrayOutputStream err = new ByteArrayOutputStream();
            final int plain = SluiceCommand.run(new String[] {"--jmx", jmx, "--user", "admin", "--password-file",
                dir.resolve("admin.pw").toString(), "queue"}, new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
            assertThat(plain).isEqualTo(SluiceCommand.EXIT_UNREACHABLE);
            assertThat(err.toString(StandardCharsets.UTF_8)).contains("cannot connect to the sluice daemon's JMX at " + jmx)
                .contains("the daemon's JMX speaks TLS (jmx.ssl=true): add --ssl");
        }
    }

    @Test
    void shouldRefuseATlsConnectorWithoutAUsableKeyAtStartNamingTheSetting() throws Exception
    {
        makeStores();
        assertThatThrownBy(() -> new JmxContext().ssl(true).conclude()).isInstanceOf(InvalidSettingException.class)
            .hasMessageStartingWith("jmx.ssl.keyStore=: expected a key store for jmx.ssl=true");
        assertThatThrownBy(() -> new JmxContext().ssl(true).keyStore(dir.resolve("server.p12")).conclude())
            .hasMessageStartingWith("jmx.ssl.keyStorePasswordFile=: expected the file holding the password");
        assertThatThrownBy(() -> new JmxContext().ssl(true).keyStore(dir.resolve("server.p12"))
            .keyStorePasswordFile(dir.resolve("wrong.pw")).conclude())
            .hasMessageStartingWith("jmx.ssl.keyStore=" + dir.resolve("server.p12") + ": cannot open the store");
        assertThatThrownBy(() -> new JmxContext().ssl(true).keyStore(dir.resolve("missing.p12"))
            .keyStorePasswordFile(dir.resolve("server.pw")).conclude())
            .hasMessageStartingWith("jmx.ssl.keyStore=" + dir.resolve("missing.p12") + ": expected a readable file");
        assertThat(new JmxContext().ssl(true).keyStore(dir.resolve("server.p12")).keyStorePasswordFile(dir.resolve("server.pw"))
            .conclude().sslContext()).isNotNull();
    }
}
