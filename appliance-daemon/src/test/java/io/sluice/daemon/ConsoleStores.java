package io.sluice.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What an operator makes for the TCP console, made for a test in {@code dir}: the server's key and self-signed
 * certificate for 127.0.0.1 by the JDK's own {@code keytool} ({@code server.p12}, password in {@code server.pw}), a
 * trust store with that certificate alone ({@code trust.p12}, {@code trust.pw}), and the password and access files
 * ({@code jmx.password}, mode 0600, and {@code jmx.access}).
 */
final class ConsoleStores
{
    private ConsoleStores()
    {
    }

    static void make(final Path dir, final String passwordLines, final String accessLines) throws Exception
    {
        keytool(dir, "-genkeypair", "-alias", "sluice", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=127.0.0.1",
            "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore", "server.p12",
            "-storepass", "server-secret", "-keypass", "server-secret");
        keytool(dir, "-exportcert", "-alias", "sluice", "-keystore", "server.p12", "-storepass", "server-secret", "-rfc",
            "-file", "server.pem");
        keytool(dir, "-importcert", "-noprompt", "-alias", "sluice", "-file", "server.pem", "-storetype", "PKCS12",
            "-keystore", "trust.p12", "-storepass", "trust-secret");
        Files.writeString(dir.resolve("server.pw"), "server-secret\n");
        Files.writeString(dir.resolve("trust.pw"), "trust-secret\n");
        final Path passwords = Files.writeString(dir.resolve("jmx.password"), passwordLines + "\n");
        Files.setPosixFilePermissions(passwords, PosixFilePermissions.fromString("rw-------"));
        Files.writeString(dir.resolve("jmx.access"), accessLines + "\n");
    }

    /** @return the settings of a daemon in {@code dir} serving the TCP console on {@code port} with what {@link #make} made. */
    static Map<String, String> remoteSettings(final Path dir, final int port)
    {
        final Map<String, String> settings = new HashMap<>();
        settings.put("spool.directory", dir.resolve("spool").toString());
        settings.put("smtp.listen", "127.0.0.1:0");
        settings.put("jmx.remote", "true");
        settings.put("jmx.port", Integer.toString(port));
        settings.put("jmx.passwordFile", dir.resolve("jmx.password").toString());
        settings.put("jmx.accessFile", dir.resolve("jmx.access").toString());
        settings.put("jmx.ssl", "true");
        settings.put("jmx.ssl.keyStore", dir.resolve("server.p12").toString());
        settings.put("jmx.ssl.keyStorePasswordFile", dir.resolve("server.pw").toString());
        return settings;
    }

    private static void keytool(final Path dir, final String... args) throws IOException, InterruptedException
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
}
