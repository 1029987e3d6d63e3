package io.sluice.control;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.rmi.AlreadyBoundException;
import java.rmi.NoSuchObjectException;
import java.rmi.registry.LocateRegistry;
import java.rmi.registry.Registry;
import java.rmi.server.RMIClientSocketFactory;
import java.rmi.server.RMIServerSocketFactory;
import java.rmi.server.UnicastRemoteObject;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import javax.management.MBeanServer;
import javax.management.remote.JMXConnectorServer;
import javax.management.remote.JMXServiceURL;
import javax.management.remote.MBeanServerForwarder;
import javax.management.remote.rmi.RMIConnectorServer;
import javax.management.remote.rmi.RMIJRMPServerImpl;
import javax.net.ssl.SSLServerSocketFactory;
import javax.rmi.ssl.SslRMIClientSocketFactory;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JMX connector operators use (JConsole, VisualVM, jmxterm, the {@code sluice} command): an RMI registry
 * and connector on one port, bound to the configured address only, with the JDK's password and access file
 * formats for authentication and read-only or read-write roles.
 */
public final class JmxServer implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(JmxServer.class);
    /** The name JConsole and jmxterm look up, as the JDK's own agent binds it. */
    private static final String REGISTRY_NAME = "jmxrmi";
    /** MBeanServer methods a read-only role may not call: as the JDK's own access file means "readonly". */
    private static final Set<String> WRITES = Set.of("setAttribute", "setAttributes", "invoke", "createMBean",
        "registerMBean", "unregisterMBean");

    private final Registry registry;
    private final JMXConnectorServer connector;
    private final JMXServiceURL url;

    private JmxServer(final Registry registry, final JMXConnectorServer connector, final JMXServiceURL url)
    {
        this.registry = registry;
        this.connector = connector;
        this.url = url;
    }

    /** @return the JMX service URL clients connect to. */
    public static String serviceUrl(final String host, final int port)
    {
        final String literal = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return "service:jmx:rmi://" + literal + ":" + port + "/jndi/rmi://" + literal + ":" + port + "/" + REGISTRY_NAME;
    }

    public static JmxServer start(final JmxContext context)
    {
        return start(context, ManagementFactory.getPlatformMBeanServer());
    }

    /**
     * The registry and the connector share one port and one socket factory. The connector's stub is bound into the
     * registry in-process, as the JDK's own agent does, not through JNDI: over TLS, a JNDI bind would make the daemon
     * a TLS client of itself, one that must trust its own certificate.
     */
    public static JmxServer start(final JmxContext context, final MBeanServer server)
    {
        Registry registry = null;
        try
        {
            final InetAddress address = InetAddress.getByName(context.host());
            final RMIServerSocketFactory serverSockets = new BoundServerSocketFactory(address, !context.ssl() ? null
                : context.sslContext() != null ? context.sslContext().getServerSocketFactory()
                : (SSLServerSocketFactory)SSLServerSocketFactory.getDefault());
            final RMIClientSocketFactory clientSockets = context.ssl() ? new SslRMIClientSocketFactory() : null;
            registry = LocateRegistry.createRegistry(context.port(), clientSockets, serverSockets);
            final Map<String, Object> env = new HashMap<>();
            env.put(RMIConnectorServer.RMI_SERVER_SOCKET_FACTORY_ATTRIBUTE, serverSockets);
            if (clientSockets != null)
            {
                env.put(RMIConnectorServer.RMI_CLIENT_SOCKET_FACTORY_ATTRIBUTE, clientSockets);
            }
            JmxAccess access = null;
            if (context.authenticated())
            {
                access = JmxAccess.load(context.passwordFile(), context.accessFile());
                env.put(JMXConnectorServer.AUTHENTICATOR, access);
            }
            final RMIJRMPServerImpl exported = new RMIJRMPServerImpl(context.port(), clientSockets, serverSockets, env);
            final String literal = context.host().indexOf(':') >= 0 ? "[" + context.host() + "]" : context.host();
            final JMXConnectorServer connector = new RMIConnectorServer(
                new JMXServiceURL("service:jmx:rmi://" + literal + ":" + context.port()), env, exported, server);
            if (access != null)
            {
                connector.setMBeanServerForwarder(readOnlyGuard(access));
            }
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
            final JMXServiceURL url = new JMXServiceURL(serviceUrl(context.host(), context.port()));
            LOG.info("JMX on {}{}{}", url, context.authenticated() ? " (password and access files)" : " (loopback, no password)",
                context.ssl() ? " over TLS" : "");
            return new JmxServer(registry, connector, url);
        }
        catch (final IOException ex)
        {
            if (registry != null)
            {
                unexport(registry);
            }
            throw new UncheckedIOException("cannot start JMX on " + context.host() + ":" + context.port(), ex);
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

    /** Refuses every write from a principal whose role the access file marks read-only. */
    private static MBeanServerForwarder readOnlyGuard(final JmxAccess access)
    {
        final MBeanServer[] target = new MBeanServer[1];
        final InvocationHandler handler = (proxy, method, args) ->
        {
            if (method.getName().equals("setMBeanServer"))
            {
                target[0] = (MBeanServer)args[0];
                return null;
            }
            if (method.getName().equals("getMBeanServer"))
            {
                return target[0];
            }
            if (WRITES.contains(method.getName()) && !access.mayWrite(CallerPrincipal.current()))
            {
                throw new SecurityException("access denied: role " + CallerPrincipal.current() + " is read-only");
            }
            try
            {
                return method.invoke(target[0], args);
            }
            catch (final InvocationTargetException ex)
            {
                throw ex.getCause();
            }
        };
        return (MBeanServerForwarder)Proxy.newProxyInstance(
            MBeanServerForwarder.class.getClassLoader(), new Class<?>[] {MBeanServerForwarder.class}, handler);
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
    }

    /**
     * Server sockets bound to one address: a loopback setting must never listen on every interface. With TLS, every
     * socket (registry and connector alike) is a TLS socket: a plain client gets no answer it can read.
     */
    private static final class BoundServerSocketFactory implements RMIServerSocketFactory
    {
        private final InetAddress address;
        private final SSLServerSocketFactory tls;

        /** @param tls the TLS server sockets to make, or null for plain ones. */
        BoundServerSocketFactory(final InetAddress address, final SSLServerSocketFactory tls)
        {
            this.address = address;
            this.tls = tls;
        }

        @Override
        public ServerSocket createServerSocket(final int port) throws IOException
        {
            return tls != null ? tls.createServerSocket(port, 50, address) : new ServerSocket(port, 50, address);
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
