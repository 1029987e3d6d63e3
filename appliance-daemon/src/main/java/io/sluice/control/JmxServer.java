package io.sluice.control;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.rmi.AlreadyBoundException;
import java.rmi.NoSuchObjectException;
import java.rmi.registry.LocateRegistry;
import java.rmi.registry.Registry;
import java.rmi.server.RMIClientSocketFactory;
import java.rmi.server.RMIServerSocketFactory;
import java.rmi.server.UnicastRemoteObject;
import java.util.HashMap;
import java.util.Map;

import javax.management.MBeanServer;
import javax.management.remote.JMXAuthenticator;
import javax.management.remote.JMXConnectorServer;
import javax.management.remote.JMXServiceURL;
import javax.management.remote.rmi.RMIConnectorServer;
import javax.management.remote.rmi.RMIJRMPServerImpl;
import javax.net.ssl.SSLServerSocketFactory;
import javax.rmi.ssl.SslRMIClientSocketFactory;

import com.sun.security.auth.module.UnixSystem;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JMX connector (JConsole, VisualVM, jmxterm, the {@code sluice} command): an RMI registry and connector on one
 * endpoint, every login through an authenticator and every call through {@link ConsoleGuard}. The local console is a
 * Unix socket ({@link ConsoleSocket}, logins by peer credentials); the remote one, opt-in, TCP with TLS and passwords.
 */
public final class JmxServer implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(JmxServer.class);
    /** The name JConsole and jmxterm look up, as the JDK's own agent binds it. */
    private static final String REGISTRY_NAME = "jmxrmi";
    /**
     * The registry takes binds from local addresses; a process on the appliance could rebind "jmxrmi" to a connector of
     * its own and collect the passwords of remote consoles. The JDK's agent uses a read-only registry of its own; ours
     * refuses every object a bind would carry (a lookup's name is a plain string the filter is not asked about).
     */
    private static final String REGISTRY_FILTER = "sun.rmi.registry.registryFilter";

    private final Registry registry;
    private final JMXConnectorServer connector;
    private final JMXServiceURL url;
    private final Path socket;

    private JmxServer(final Registry registry, final JMXConnectorServer connector, final JMXServiceURL url, final Path socket)
    {
        this.registry = registry;
        this.connector = connector;
        this.url = url;
        this.socket = socket;
    }

    /** @return the JMX service URL of a TCP connector. */
    public static String serviceUrl(final String host, final int port)
    {
        final String literal = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return "service:jmx:rmi://" + literal + ":" + port + "/jndi/rmi://" + literal + ":" + port + "/" + REGISTRY_NAME;
    }

    /**
     * @return the URL of the local console; a client connects to it with
     *     {@code "com.sun.jndi.rmi.factory.socket" -> new ConsoleSocket.Client(socket)} in its environment.
     */
    public static String localServiceUrl()
    {
        return "service:jmx:rmi:///jndi/rmi://localhost:" + ConsoleSocket.PSEUDO_PORT + "/" + REGISTRY_NAME;
    }

    /** The local console on {@code context.socket()}, for root, the daemon's user and the socket's group. */
    static JmxServer startLocal(final JmxContext context, final ConsolePolicy policy, final MBeanServer server)
    {
        final Path path = context.socket();
        try
        {
            Files.createDirectories(path.toAbsolutePath().getParent());
            final long daemonUid = new UnixSystem().getUid();
            final JmxServer started = start(ConsoleSocket.PSEUDO_PORT, new ConsoleSocket.Client(path),
                new ConsoleSocket.Server(path, context.socketGroup()), new PeerAccess(daemonUid, context.diagnostics()),
                policy, server, localServiceUrl(), path);
            LOG.info("JMX console on {} (mode {}{}; logins by the kernel's peer credentials{})", path,
                context.socketGroup() == null ? "0600, root and the daemon's user" : "0660, group ",
                context.socketGroup() == null ? "" : context.socketGroup().getName(),
                context.diagnostics() ? "; diagnostics for root and the daemon's user" : "");
            return started;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot open the JMX console socket " + path + " (" + JmxContext.SOCKET + "): "
                + ex.getMessage(), ex);
        }
    }

    /** The remote console: TCP on {@code jmx.host:jmx.port}, TLS on registry and connector alike, passwords and roles. */
    static JmxServer startRemote(final JmxContext context, final ConsolePolicy policy, final MBeanServer server)
    {
        try
        {
            final InetAddress address = InetAddress.getByName(context.host());
            final SSLServerSocketFactory tls = context.sslContext() != null ? context.sslContext().getServerSocketFactory()
                : (SSLServerSocketFactory)SSLServerSocketFactory.getDefault();
            final JmxServer started = start(context.port(), new SslRMIClientSocketFactory(),
                new BoundServerSocketFactory(address, tls), context.access(), policy, server,
                serviceUrl(context.host(), context.port()), null);
            LOG.info("JMX console on {} over TLS (password and access files)", started.url());
            return started;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot start JMX on " + context.host() + ":" + context.port(), ex);
        }
    }

    /**
     * The registry and the connector share one endpoint and one socket factory. The connector's stub is bound into the
     * registry in-process, as the JDK's own agent does, not through JNDI: over TLS, a JNDI bind would make the daemon
     * a TLS client of itself, one that must trust its own certificate.
     */
    private static JmxServer start(final int port, final RMIClientSocketFactory clientSockets,
        final RMIServerSocketFactory serverSockets, final JMXAuthenticator authenticator, final ConsolePolicy policy,
        final MBeanServer server, final String url, final Path socket) throws IOException
    {
        if (System.getProperty(REGISTRY_FILTER) == null)
        {
            System.setProperty(REGISTRY_FILTER, "!*");
        }
        final Registry registry = LocateRegistry.createRegistry(port, clientSockets, serverSockets);
        try
        {
            final Map<String, Object> env = new HashMap<>();
            env.put(RMIConnectorServer.RMI_SERVER_SOCKET_FACTORY_ATTRIBUTE, serverSockets);
            env.put(RMIConnectorServer.RMI_CLIENT_SOCKET_FACTORY_ATTRIBUTE, clientSockets);
            env.put(JMXConnectorServer.AUTHENTICATOR, authenticator);
            final RMIJRMPServerImpl exported = new RMIJRMPServerImpl(port, clientSockets, serverSockets, env);
            final JMXConnectorServer connector = new RMIConnectorServer(
                new JMXServiceURL("service:jmx:rmi://localhost:" + port), env, exported, server);
            connector.setMBeanServerForwarder(ConsoleGuard.forwarder(policy));
            connector.start();
            try
            {
                registry.bind(REGISTRY_NAME, exported.toStub());
            }
            catch (final AlreadyBoundException | IOException ex)
            {
                connector.stop();
                throw ex instanceof IOException io ? io : new IOException(ex);
            }
            return new JmxServer(registry, connector, new JMXServiceURL(url), socket);
        }
        catch (final IOException | RuntimeException ex)
        {
            unexport(registry);
            throw ex;
        }
    }

    private static void unexport(final Registry registry)
    {
        try
        {
            UnicastRemoteObject.unexportObject(registry, true);
        }
        catch (final NoSuchObjectException ex)
        {
            LOG.debug("JMX registry already unexported", ex);
        }
    }

    public JMXServiceURL url()
    {
        return url;
    }

    @Override
    public void close()
    {
        try
        {
            connector.stop();
        }
        catch (final IOException ex)
        {
            LOG.warn("JMX connector did not stop cleanly", ex);
        }
        unexport(registry);
        if (socket != null)
        {
            try
            {
                Files.deleteIfExists(socket);
            }
            catch (final IOException ex)
            {
                LOG.warn("cannot remove the console socket {}", socket, ex);
            }
        }
    }

    /**
     * Server sockets bound to one address: a loopback setting must never listen on every interface. Every socket
     * (registry and connector alike) is a TLS socket: a plain client gets no answer it can read.
     */
    private static final class BoundServerSocketFactory implements RMIServerSocketFactory
    {
        private final InetAddress address;
        private final SSLServerSocketFactory tls;

        BoundServerSocketFactory(final InetAddress address, final SSLServerSocketFactory tls)
        {
            this.address = address;
            this.tls = tls;
        }

        @Override
        public ServerSocket createServerSocket(final int port) throws IOException
        {
            return tls.createServerSocket(port, 50, address);
        }

        // RMI shares one port between exports only when their factories are equal.
        @Override
        public boolean equals(final Object other)
        {
            return other instanceof BoundServerSocketFactory factory && factory.address.equals(address) && factory.tls == tls;
        }

        @Override
        public int hashCode()
        {
            return address.hashCode() * 31 + System.identityHashCode(tls);
        }
    }
}
