package io.sluice.delivery;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * Self-signed certificates made for a test by the JDK's own {@code keytool} (no extra library, nothing checked in that
 * could expire): one for the sink's address 127.0.0.1, one for another host name only, and a trust store holding both,
 * as an operator would give a route in {@code delivery.route.<name>.trustStore}.
 */
public final class TestCertificates
{
    public static final String PASSWORD = "changeit";
    private static final String LOOPBACK_ALIAS = "loopback";
    private static final String OTHER_ALIAS = "other";

    private final Path loopbackKeys;
    private final Path otherKeys;
    private final Path trustStore;

    private TestCertificates(final Path dir)
    {
        this.loopbackKeys = dir.resolve("loopback.p12");
        this.otherKeys = dir.resolve("other.p12");
        this.trustStore = dir.resolve("trust.p12");
    }

    /** Makes both key pairs and the trust store in {@code dir}. */
    public static TestCertificates create(final Path dir) throws IOException, GeneralSecurityException, InterruptedException
    {
        final TestCertificates certificates = new TestCertificates(dir);
        keytool(certificates.loopbackKeys, LOOPBACK_ALIAS, "CN=sink.test", "SAN=ip:127.0.0.1");
        keytool(certificates.otherKeys, OTHER_ALIAS, "CN=other.test", "SAN=dns:other.test");
        final KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry(LOOPBACK_ALIAS, load(certificates.loopbackKeys).getCertificate(LOOPBACK_ALIAS));
        trusted.setCertificateEntry(OTHER_ALIAS, load(certificates.otherKeys).getCertificate(OTHER_ALIAS));
        try (OutputStream out = Files.newOutputStream(certificates.trustStore))
        {
            trusted.store(out, PASSWORD.toCharArray());
        }
        return certificates;
    }

    private static void keytool(final Path keystore, final String alias, final String name, final String san)
        throws IOException, InterruptedException
    {
        final Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        final Process process = new ProcessBuilder(List.of(keytool.toString(), "-genkeypair", "-noprompt",
            "-alias", alias, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", name, "-ext", san, "-validity", "2",
            "-storetype", "PKCS12", "-keystore", keystore.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD))
            .redirectErrorStream(true).start();
        final String output;
        try (InputStream in = process.getInputStream())
        {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0)
        {
            process.destroyForcibly();
            throw new IOException("keytool failed for " + keystore + ": " + output);
        }
    }

    private static KeyStore load(final Path file) throws IOException, GeneralSecurityException
    {
        return KeyStore.getInstance(file.toFile(), PASSWORD.toCharArray());
    }

    /** @return the trust store (PKCS12, password {@link #PASSWORD}) holding both certificates. */
    public Path trustStore()
    {
        return trustStore;
    }

    /** @return a server TLS context presenting the certificate for 127.0.0.1. */
    SSLContext loopbackServer() throws IOException, GeneralSecurityException
    {
        return server(loopbackKeys);
    }

    /** @return a server TLS context presenting a certificate for {@code other.test} only. */
    SSLContext otherHostServer() throws IOException, GeneralSecurityException
    {
        return server(otherKeys);
    }

    private static SSLContext server(final Path keys) throws IOException, GeneralSecurityException
    {
        final KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        factory.init(load(keys), PASSWORD.toCharArray());
        final SSLContext context = SSLContext.getInstance("TLS");
        context.init(factory.getKeyManagers(), null, null);
        return context;
    }
}
