package io.sluice.control;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;

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
    /** RMI over TLS with the JVM's default key and trust stores (javax.net.ssl.* system properties). */
    public static final String SSL = "jmx.ssl";

    private boolean enabled = true;
    private String host = DEFAULT_HOST;
    private int port = DEFAULT_PORT;
    private Path passwordFile;
    private Path accessFile;
    private boolean ssl;

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
        return this;
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
}
