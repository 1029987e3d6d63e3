package io.sluice.ingress.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Certificates made for a test by the JDK's own {@code keytool} (nothing checked in that could expire), written as an
 * operator's certbot would leave them: a PEM certificate and a PEM PKCS#8 key. Each pair is self-signed for
 * 127.0.0.1; {@link #clientContext()} trusts every pair made so far, so a client can see which one a server presents.
 */
public final class PemCertificates
{
    private static final String PASSWORD = "changeit";

    private final Path dir;
    private final List<X509Certificate> made = new ArrayList<>();

    public PemCertificates(final Path dir)
    {
        this.dir = dir;
    }

    /**
     * A certificate and key valid from now for two days.
     *
     * @param name the certificate's common name and the files' base name.
     */
    public Pair valid(final String name) throws IOException, GeneralSecurityException, InterruptedException
    {
        return make(name, null, 2);
    }

    /** A pair whose certificate expired yesterday (valid for one day from three days ago). */
    public Pair expired(final String name) throws IOException, GeneralSecurityException, InterruptedException
    {
        return make(name, "-3d", 1);
    }

    private Pair make(final String name, final String startDate, final int validityDays)
        throws IOException, GeneralSecurityException, InterruptedException
    {
        final Path store = dir.resolve(name + ".p12");
        final Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        final List<String> command = new ArrayList<>(List.of(keytool.toString(), "-genkeypair", "-noprompt",
            "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + name, "-ext", "SAN=ip:127.0.0.1",
            "-validity", Integer.toString(validityDays), "-storetype", "PKCS12", "-keystore", store.toString(),
            "-storepass", PASSWORD, "-keypass", PASSWORD));
        if (startDate != null)
        {
            command.addAll(List.of("-startdate", startDate));
        }
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output;
        try (InputStream in = process.getInputStream())
        {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0)
        {
            process.destroyForcibly();
            throw new IOException("keytool failed for " + store + ": " + output);
        }
        final KeyStore keys = KeyStore.getInstance(store.toFile(), PASSWORD.toCharArray());
        final X509Certificate certificate = (X509Certificate)keys.getCertificate(name);
        final PrivateKey key = (PrivateKey)keys.getKey(name, PASSWORD.toCharArray());
        made.add(certificate);
        final Path certificateFile = dir.resolve(name + ".crt.pem");
        final Path keyFile = dir.resolve(name + ".key.pem");
        Files.writeString(certificateFile, pem("CERTIFICATE", certificate.getEncoded()));
        Files.writeString(keyFile, pem("PRIVATE KEY", key.getEncoded()));
        return new Pair(certificateFile, keyFile, certificate);
    }

    private static String pem(final String type, final byte[] der)
    {
        return "-----BEGIN " + type + "-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
            + "\n-----END " + type + "-----\n";
    }

    /** @return a client TLS context trusting every certificate made so far, and only those. */
    public SSLContext clientContext() throws IOException, GeneralSecurityException
    {
        final KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        for (final X509Certificate certificate : made)
        {
            trusted.setCertificateEntry(certificate.getSubjectX500Principal().getName(), certificate);
        }
        final TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trusted);
        final SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

    /**
     * A certificate file and its key file.
     *
     * @param certificate the certificate the files hold.
     */
    public record Pair(Path certificateFile, Path keyFile, X509Certificate certificate)
    {
        /** Puts this pair's files in place of {@code target}'s, each by an atomic move, as a renewal does. */
        public void installAs(final Pair target) throws IOException
        {
            replace(certificateFile, target.certificateFile);
            replace(keyFile, target.keyFile);
        }

        private static void replace(final Path source, final Path target) throws IOException
        {
            final Path staged = target.resolveSibling(target.getFileName() + ".new");
            Files.copy(source, staged, StandardCopyOption.REPLACE_EXISTING);
            Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }

        /** @return the listeners' TLS settings serving this pair, every other key at its default. */
        public TlsContext settings()
        {
            return new TlsContext().certificate(certificateFile.toString()).key(keyFile.toString());
        }

        /** @return true when {@code presented} is this pair's certificate. */
        public boolean isPresentedAs(final Certificate presented)
        {
            return certificate.equals(presented);
        }
    }
}
