package io.sluice.delivery;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Collections;
import java.util.Locale;
import java.util.Set;

import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.sluice.config.InvalidSettingException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How one {@code smtp://} route protects its session: STARTTLS (RFC 3207) and SMTP AUTH (RFC 4954), as set by
 * {@code delivery.route.<name>.tls}, {@code .trustStore}, {@code .trustStorePassword}, {@code .verifyHostname},
 * {@code .username}, {@code .passwordFile} and {@code .allowPlaintextAuth}. Mutable until {@link #conclude}, which checks
 * the settings, loads the trust store, reads the password file and builds the TLS context, naming the key of the first
 * one that cannot work.
 *
 * <ul>
 *   <li>{@link Tls#REQUIRED}: STARTTLS must be offered and the handshake must succeed, with the certificate checked
 *       against the trust store (the JDK's by default) and the route's host name (unless {@code verifyHostname=false});
 *       otherwise the dispatch is deferred and nothing is sent in clear.</li>
 *   <li>{@link Tls#OPPORTUNISTIC}: STARTTLS whenever offered, without checking the certificate (RFC 7435: encryption
 *       against passive listeners, no authentication of the server; checking it and then falling back to clear text
 *       would be worse than not checking). A relay that does not offer it gets the message in clear.</li>
 *   <li>{@link Tls#NONE}: never STARTTLS.</li>
 * </ul>
 *
 * <p>The password lives in a file ({@code passwordFile}), never in the configuration; it is read once, at start. AUTH
 * is only sent over TLS unless {@code allowPlaintextAuth=true}.
 */
public final class RouteSecurity
{
    public static final String TLS_SUFFIX = ".tls";
    public static final String TRUST_STORE_SUFFIX = ".trustStore";
    public static final String TRUST_STORE_PASSWORD_SUFFIX = ".trustStorePassword";
    public static final String VERIFY_HOSTNAME_SUFFIX = ".verifyHostname";
    public static final String USERNAME_SUFFIX = ".username";
    public static final String PASSWORD_FILE_SUFFIX = ".passwordFile";
    public static final String ALLOW_PLAINTEXT_AUTH_SUFFIX = ".allowPlaintextAuth";

    private static final Logger LOG = LoggerFactory.getLogger(RouteSecurity.class);

    /** The security of a route that sets none: clear text, no AUTH. */
    public static final RouteSecurity NONE = new RouteSecurity().concludeNone();

    /** When the session is encrypted. */
    public enum Tls
    {
        NONE, OPPORTUNISTIC, REQUIRED;

        /** @throws InvalidSettingException naming the key unless the text is none, opportunistic or required. */
        public static Tls parse(final String key, final String text)
        {
            for (final Tls tls : values())
            {
                if (tls.name().equalsIgnoreCase(text == null ? "" : text.trim()))
                {
                    return tls;
                }
            }
            throw new InvalidSettingException(key, text, "expected none, opportunistic or required");
        }

        @Override
        public String toString()
        {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private Tls tls = Tls.NONE;
    private Path trustStore;
    private String trustStorePassword = "";
    private boolean verifyHostname = true;
    private String username;
    private Path passwordFile;
    private boolean allowPlaintextAuth;

    private boolean concluded;
    private SslContext sslContext;
    private String password;

    private void checkMutable()
    {
        if (concluded)
        {
            throw new IllegalStateException("RouteSecurity is concluded and can no longer change");
        }
    }

    public RouteSecurity tls(final Tls tls)
    {
        checkMutable();
        this.tls = tls;
        return this;
    }

    /** A PKCS12 or JKS file of trusted certificates, instead of the JDK's; only with {@link Tls#REQUIRED}. */
    public RouteSecurity trustStore(final Path trustStore)
    {
        checkMutable();
        this.trustStore = trustStore;
        return this;
    }

    public RouteSecurity verifyHostname(final boolean verifyHostname)
    {
        checkMutable();
        this.verifyHostname = verifyHostname;
        return this;
    }

    /** The trust store's password: it only checks the store's integrity, since a trust store holds no secret. */
    public RouteSecurity trustStorePassword(final String password)
    {
        checkMutable();
        this.trustStorePassword = password == null ? "" : password;
        return this;
    }

    /** SMTP AUTH as {@code username} with the password in the first line of {@code passwordFile}. */
    public RouteSecurity credentials(final String username, final Path passwordFile)
    {
        return username(username).passwordFile(passwordFile);
    }

    public RouteSecurity username(final String username)
    {
        checkMutable();
        this.username = username;
        return this;
    }

    public RouteSecurity passwordFile(final Path passwordFile)
    {
        checkMutable();
        this.passwordFile = passwordFile;
        return this;
    }

    public RouteSecurity allowPlaintextAuth(final boolean allowPlaintextAuth)
    {
        checkMutable();
        this.allowPlaintextAuth = allowPlaintextAuth;
        return this;
    }

    private RouteSecurity concludeNone()
    {
        concluded = true;
        return this;
    }

    /**
     * Checks the settings, reads the password file, loads the trust store and builds the TLS context.
     *
     * @param keyPrefix {@code delivery.route.<name>}, for the keys named in errors.
     * @param target    the route's target: only {@code smtp://} routes take any of these settings.
     * @return this, frozen.
     * @throws InvalidSettingException naming the first setting that cannot work.
     */
    public RouteSecurity conclude(final String keyPrefix, final RouteTarget target)
    {
        if (concluded)
        {
            return this;
        }
        if (tls == null)
        {
            throw new InvalidSettingException(keyPrefix + TLS_SUFFIX, null, "expected none, opportunistic or required");
        }
        if (target instanceof RouteTarget.Dir && (tls != Tls.NONE || username != null || trustStore != null))
        {
            throw new InvalidSettingException(keyPrefix + (tls != Tls.NONE ? TLS_SUFFIX : username != null ? USERNAME_SUFFIX
                : TRUST_STORE_SUFFIX), tls != Tls.NONE ? tls : username != null ? username : trustStore,
                "expected only for an smtp:// route, not for " + target);
        }
        if (trustStore != null && tls != Tls.REQUIRED)
        {
            throw new InvalidSettingException(keyPrefix + TRUST_STORE_SUFFIX, trustStore, "expected only with "
                + keyPrefix + TLS_SUFFIX + "=required (opportunistic TLS does not check certificates), not " + tls);
        }
        if (!verifyHostname && tls != Tls.REQUIRED)
        {
            throw new InvalidSettingException(keyPrefix + VERIFY_HOSTNAME_SUFFIX, false, "expected only with "
                + keyPrefix + TLS_SUFFIX + "=required (opportunistic TLS does not check certificates), not " + tls);
        }
        concludeCredentials(keyPrefix);
        if (tls != Tls.NONE)
        {
            sslContext = buildSslContext(keyPrefix);
        }
        concluded = true;
        return this;
    }

    private void concludeCredentials(final String keyPrefix)
    {
        if (username == null && passwordFile == null)
        {
            return;
        }
        if (username == null || username.isEmpty() || username.chars().anyMatch(c -> c < ' ' || c == 127))
        {
            throw new InvalidSettingException(keyPrefix + USERNAME_SUFFIX, username,
                "expected a user name without control characters, given with " + keyPrefix + PASSWORD_FILE_SUFFIX);
        }
        if (passwordFile == null)
        {
            throw new InvalidSettingException(keyPrefix + PASSWORD_FILE_SUFFIX, "",
                "expected the file holding the password of " + username + " (the password is never set inline)");
        }
        if (tls == Tls.NONE && !allowPlaintextAuth)
        {
            throw new InvalidSettingException(keyPrefix + USERNAME_SUFFIX, username, "expected " + keyPrefix + TLS_SUFFIX
                + "=required or opportunistic, so the password is not sent in clear (or "
                + keyPrefix + ALLOW_PLAINTEXT_AUTH_SUFFIX + "=true to allow it)");
        }
        password = readPassword(keyPrefix + PASSWORD_FILE_SUFFIX, passwordFile);
    }

    private static String readPassword(final String key, final Path file)
    {
        final String text;
        try
        {
            text = Files.readString(file, StandardCharsets.UTF_8);
        }
        catch (final IOException | RuntimeException ex)
        {
            throw new InvalidSettingException(key, file, "expected a readable file holding the password (" + ex + ")");
        }
        warnIfOthersMayRead(key, file);
        final int end = text.indexOf('\n') >= 0 ? text.indexOf('\n') : text.length();
        final String firstLine = text.substring(0, end).replace("\r", "");
        if (firstLine.isEmpty())
        {
            throw new InvalidSettingException(key, file, "expected the password on the first line of the file, found none");
        }
        return firstLine;
    }

    private static void warnIfOthersMayRead(final String key, final Path file)
    {
        try
        {
            final Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (permissions.contains(PosixFilePermission.OTHERS_READ))
            {
                LOG.warn("{}={}: anyone on this machine may read the relay password; chmod o-r it", key, file);
            }
        }
        catch (final IOException | UnsupportedOperationException ex)
        {
            LOG.debug("cannot read the permissions of {}: {}", file, ex.toString());
        }
    }

    private SslContext buildSslContext(final String keyPrefix)
    {
        final SslContextBuilder builder = SslContextBuilder.forClient().sslProvider(SslProvider.JDK);
        if (tls == Tls.OPPORTUNISTIC)
        {
            builder.trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null);
        }
        else
        {
            builder.trustManager(trustManagers(keyPrefix)).endpointIdentificationAlgorithm(verifyHostname ? "HTTPS" : null);
        }
        try
        {
            return builder.build();
        }
        catch (final SSLException ex)
        {
            throw new InvalidSettingException(keyPrefix + TLS_SUFFIX, tls, "expected a TLS client the JDK can build: " + ex);
        }
    }

    private TrustManagerFactory trustManagers(final String keyPrefix)
    {
        final String key = keyPrefix + TRUST_STORE_SUFFIX;
        try
        {
            final TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (trustStore == null)
            {
                // The JDK's own trust store (cacerts, or javax.net.ssl.trustStore).
                factory.init((KeyStore)null);
                return factory;
            }
            final KeyStore store;
            try
            {
                store = KeyStore.getInstance(trustStore.toFile(), trustStorePassword.toCharArray());
            }
            catch (final IOException | GeneralSecurityException | RuntimeException ex)
            {
                throw new InvalidSettingException(key, trustStore, "expected a PKCS12 or JKS trust store readable with "
                    + keyPrefix + TRUST_STORE_PASSWORD_SUFFIX + " (" + ex + ")");
            }
            if (Collections.list(store.aliases()).isEmpty())
            {
                throw new InvalidSettingException(key, trustStore, "expected at least one certificate");
            }
            factory.init(store);
            return factory;
        }
        catch (final GeneralSecurityException ex)
        {
            throw new InvalidSettingException(key, trustStore, "expected a usable trust store (" + ex + ")");
        }
    }

    private void checkConcluded()
    {
        if (!concluded)
        {
            throw new IllegalStateException("RouteSecurity is not concluded yet");
        }
    }

    public Tls tls()
    {
        return tls;
    }

    public boolean verifyHostname()
    {
        return verifyHostname;
    }

    public Path trustStore()
    {
        return trustStore;
    }

    public String username()
    {
        return username;
    }

    public boolean allowPlaintextAuth()
    {
        return allowPlaintextAuth;
    }

    /** @return true if the route authenticates with SMTP AUTH. */
    public boolean authenticates()
    {
        return username != null;
    }

    /** @return the client TLS context, or null with {@link Tls#NONE}; after conclude. */
    SslContext sslContext()
    {
        checkConcluded();
        return sslContext;
    }

    /** @return the password read from the password file; after conclude. Never logged. */
    String password()
    {
        checkConcluded();
        return password;
    }

    /** Describes the settings for the start-up log, without the password. */
    @Override
    public String toString()
    {
        final StringBuilder text = new StringBuilder("tls=").append(tls);
        if (tls == Tls.REQUIRED)
        {
            text.append(trustStore == null ? ", JDK trust store" : ", trust store " + trustStore)
                .append(verifyHostname ? ", host name verified" : ", host name NOT verified");
        }
        if (username != null)
        {
            text.append(", AUTH as ").append(username).append(allowPlaintextAuth ? " (also in clear)" : "");
        }
        return text.toString();
    }
}
