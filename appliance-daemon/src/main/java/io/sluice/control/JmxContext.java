package io.sluice.control;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;

import javax.net.ssl.SSLContext;

import io.sluice.config.InvalidSettingException;

/**
 * Where operators reach the JMX console and who may change what. Loopback needs no password (the console
 * runs on the appliance); any other address requires the standard password and access files, and a
 * configuration that would expose unauthenticated JMX is refused at start, never silently served.
 */
public final class JmxContext
{
    public static final String ENABLED = "jmx.enabled";
    public static final String HOST = "jmx.host";
    public static final String DEFAULT_HOST = "127.0.0.1";
    /** One port for both the RMI registry and the connector, so a firewall needs one rule. */
    public static final String PORT = "jmx.port";
    public static final int DEFAULT_PORT = 9010;
    /** JDK format: one {@code role password} per line. */
    public static final String PASSWORD_FILE = "jmx.passwordFile";
    /** JDK format: one {@code role readonly|readwrite} per line. */
    public static final String ACCESS_FILE = "jmx.accessFile";
    /** RMI over TLS: the server's key from {@link #SSL_KEY_STORE}, or from the JVM's ({@code javax.net.ssl.keyStore}). */
    public static final String SSL = "jmx.ssl";
    /** The server's key and certificate for {@link #SSL} (PKCS12 or JKS); empty for the JVM's key store. */
    public static final String SSL_KEY_STORE = "jmx.ssl.keyStore";
    /** The file whose first line is the password of {@link #SSL_KEY_STORE} and of its key. */
    public static final String SSL_KEY_STORE_PASSWORD_FILE = "jmx.ssl.keyStorePasswordFile";
    /** The JVM's own key store, the fall-back when {@link #SSL_KEY_STORE} is empty. */
    static final String JVM_KEY_STORE = "javax.net.ssl.keyStore";

    private boolean enabled = true;
    private String host = DEFAULT_HOST;
    private int port = DEFAULT_PORT;
    private Path passwordFile;
    private Path accessFile;
    private boolean ssl;
    private Path keyStore;
    private Path keyStorePasswordFile;
    private SSLContext sslContext;

    public JmxContext conclude()
    {
        if (!enabled)
        {
            return this;
        }
        final InetAddress address;
        try
        {
            address = InetAddress.getByName(host);
        }
        catch (final UnknownHostException ex)
        {
            throw new InvalidSettingException(HOST, host, "expected an address of this appliance");
        }
        if (port < 1 || port > 65_535)
        {
            throw new InvalidSettingException(PORT, port, "expected a port from 1 to 65535");
        }
        if ((passwordFile == null) != (accessFile == null))
        {
            throw new InvalidSettingException(passwordFile == null ? PASSWORD_FILE : ACCESS_FILE, "",
                "expected both " + PASSWORD_FILE + " and " + ACCESS_FILE + ", or neither");
        }
        if (!address.isLoopbackAddress() && passwordFile == null)
        {
            throw new InvalidSettingException(HOST, host,
                "expected a loopback address unless " + PASSWORD_FILE + " and " + ACCESS_FILE + " are set: "
                + "unauthenticated remote JMX would let anyone reconfigure the appliance");
        }
        requireReadable(PASSWORD_FILE, passwordFile);
        requireReadable(ACCESS_FILE, accessFile);
        concludeTls();
        return this;
    }

    /** A TLS connector without a key would fail every handshake: refused here, by key, instead. */
    private void concludeTls()
    {
        if (!ssl)
        {
            return;
        }
        if (keyStore == null)
        {
            if (System.getProperty(JVM_KEY_STORE) == null)
            {
                throw new InvalidSettingException(SSL_KEY_STORE, "", "expected a key store for " + SSL
                    + "=true (or the JVM's -D" + JVM_KEY_STORE + "=...): without a key no client can connect");
            }
            return;
        }
        requireReadable(SSL_KEY_STORE, keyStore);
        if (keyStorePasswordFile == null)
        {
            throw new InvalidSettingException(SSL_KEY_STORE_PASSWORD_FILE, "", "expected the file holding the password of "
                + SSL_KEY_STORE + " " + keyStore);
        }
        requireReadable(SSL_KEY_STORE_PASSWORD_FILE, keyStorePasswordFile);
        try
        {
            sslContext = TlsStores.server(keyStore, keyStorePasswordFile);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new InvalidSettingException(SSL_KEY_STORE, keyStore, ex.getMessage());
        }
    }

    private static void requireReadable(final String key, final Path file)
    {
        if (file != null && !Files.isReadable(file))
        {
            throw new InvalidSettingException(key, file, "expected a readable file");
        }
    }

    public boolean authenticated()
    {
        return passwordFile != null;
    }

    public JmxContext enabled(final boolean enabled)
    {
        this.enabled = enabled;
        return this;
    }

    public boolean enabled()
    {
        return enabled;
    }

    public JmxContext host(final String host)
    {
        this.host = host;
        return this;
    }

    public String host()
    {
        return host;
    }

    public JmxContext port(final int port)
    {
        this.port = port;
        return this;
    }

    public int port()
    {
        return port;
    }

    public JmxContext passwordFile(final Path passwordFile)
    {
        this.passwordFile = passwordFile;
        return this;
    }

    public Path passwordFile()
    {
        return passwordFile;
    }

    public JmxContext accessFile(final Path accessFile)
    {
        this.accessFile = accessFile;
        return this;
    }

    public Path accessFile()
    {
        return accessFile;
    }

    public JmxContext ssl(final boolean ssl)
    {
        this.ssl = ssl;
        return this;
    }

    public boolean ssl()
    {
        return ssl;
    }

    public JmxContext keyStore(final Path keyStore)
    {
        this.keyStore = keyStore;
        return this;
    }

    public Path keyStore()
    {
        return keyStore;
    }

    public JmxContext keyStorePasswordFile(final Path keyStorePasswordFile)
    {
        this.keyStorePasswordFile = keyStorePasswordFile;
        return this;
    }

    public Path keyStorePasswordFile()
    {
        return keyStorePasswordFile;
    }

    /** @return the TLS context built from {@link #keyStore()} by {@link #conclude()}; null for the JVM's default. */
    public SSLContext sslContext()
    {
        return sslContext;
    }
}
