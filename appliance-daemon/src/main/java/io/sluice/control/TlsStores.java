package io.sluice.control;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS contexts from key and trust store files (PKCS12 or JKS, as {@code keytool} writes them), with the store's
 * password read from the first line of a file, so no password is ever on a command line or in the settings
 * file. Every failure names the file and what is wrong with it.
 */
public final class TlsStores
{
    private TlsStores()
    {
    }

    /**
     * @param keyStore     the server's key and certificate chain.
     * @param passwordFile the store's (and its key's) password on the first line.
     * @return a TLS context serving that key.
     * @throws IllegalArgumentException naming the file when it cannot be read or opened with that password.
     */
    public static SSLContext server(final Path keyStore, final Path passwordFile)
    {
        final char[] password = password(passwordFile);
        final KeyStore store = load(keyStore, password);
        try
        {
            final KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, password);
            final SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), null, null);
            return context;
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalArgumentException(keyStore + ": cannot use its key with the password from " + passwordFile
                + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * @param trustStore   the certificates to trust (the server's, or the CA that signed it).
     * @param passwordFile the store's password on the first line, or null for a store that needs none to be read.
     * @return a TLS context that trusts those certificates only.
     * @throws IllegalArgumentException naming the file when it cannot be read or holds no certificate.
     */
    public static SSLContext client(final Path trustStore, final Path passwordFile)
    {
        final KeyStore store = load(trustStore, passwordFile == null ? null : password(passwordFile));
        try
        {
            if (store.size() == 0)
            {
                throw new IllegalArgumentException(trustStore + " holds no certificate to trust"
                    + (passwordFile == null ? " (a PKCS12 store may need its password to show its certificates)" : ""));
            }
            final TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            final SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalArgumentException(trustStore + ": cannot trust its certificates: " + ex.getMessage(), ex);
        }
    }

    /** @return the password on the first line of {@code file}. */
    public static char[] password(final Path file)
    {
        try
        {
            final List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.isEmpty() || lines.get(0).isBlank())
            {
                throw new IllegalArgumentException(file + " is empty; expected the password on its first line");
            }
            return lines.get(0).strip().toCharArray();
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException("cannot read the password file " + file + ": " + ex, ex);
        }
    }

    private static KeyStore load(final Path file, final char[] password)
    {
        // PKCS12 (keytool's default) or JKS: KeyStore.getInstance(File, ...) tells them apart by their content.
        try
        {
            return KeyStore.getInstance(file.toFile(), password);
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException("cannot open the store " + file + ": " + rootMessage(ex), ex);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalArgumentException("cannot open the store " + file + " (expected PKCS12 or JKS): " + ex.getMessage(),
                ex);
        }
    }

    private static String rootMessage(final Throwable failure)
    {
        Throwable cause = failure;
        while (cause.getCause() != null && cause.getCause() != cause)
        {
            cause = cause.getCause();
        }
        return cause == failure ? String.valueOf(failure.getMessage()) : failure.getMessage() + " (" + cause + ")";
    }
}
