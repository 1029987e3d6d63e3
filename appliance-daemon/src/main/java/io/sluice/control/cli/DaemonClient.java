package io.sluice.control.cli;

import java.io.Console;
import java.io.IOException;
import java.lang.reflect.UndeclaredThrowableException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import javax.management.InstanceNotFoundException;
import javax.management.JMX;
import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.rmi.ssl.SslRMIClientSocketFactory;

import io.sluice.control.BouncesControlMXBean;
import io.sluice.control.ConfigControlMXBean;
import io.sluice.control.ConsoleSocket;
import io.sluice.control.ControlPlane;
import io.sluice.control.DrainControlMXBean;
import io.sluice.control.FleetControlMXBean;
import io.sluice.control.JmxContext;
import io.sluice.control.JmxServer;
import io.sluice.control.LimitsControlMXBean;
import io.sluice.control.SpoolControlMXBean;
import io.sluice.control.TenantsControlMXBean;
import io.sluice.control.TlsStores;

/**
 * A JMX connection to the running daemon and typed proxies for its MXBeans. Every failure becomes a
 * {@link CommandException} with the exit code a shell script can act on: unreachable (3) when the
 * connector cannot be reached, refused (1) when the daemon answers no (bad credentials, a role without the right,
 * a value it rejects; its own message is kept).
 */
final class DaemonClient implements AutoCloseable
{
    /** The JNDI environment key for the sockets the registry lookup uses (the connector's come inside its stub). */
    private static final String REGISTRY_SOCKETS = "com.sun.jndi.rmi.factory.socket";
    /** RMI has no connect timeout of its own; a firewalled address must not hang the shell. */
    static final long CONNECT_TIMEOUT_SECONDS = 15;

    private final JMXConnector connector;
    private final MBeanServerConnection connection;
    private final String where;

    private DaemonClient(final JMXConnector connector, final MBeanServerConnection connection, final String where)
    {
        this.connector = connector;
        this.connection = connection;
        this.where = where;
    }

    static DaemonClient connect(final Invocation invocation) throws CommandException
    {
        final String url = invocation.socket() != null ? JmxServer.localServiceUrl()
            : JmxServer.serviceUrl(invocation.host(), invocation.port());
        final String where = invocation.socket() != null
            ? "the sluice daemon's console socket " + invocation.socket() + " (from " + invocation.where() + ")"
            : "the sluice daemon's JMX at " + hostPort(invocation) + " (" + url + ", from " + invocation.where() + ")";
        final Map<String, Object> env = new HashMap<>();
        if (invocation.socket() != null)
        {
            env.put(REGISTRY_SOCKETS, new ConsoleSocket.Client(invocation.socket()));
        }
        if (invocation.user() != null)
        {
            env.put(JMXConnector.CREDENTIALS, new String[] {invocation.user(), password(invocation.passwordFile())});
        }
        if (invocation.ssl())
        {
            trust(invocation);
            env.put(REGISTRY_SOCKETS, new SslRMIClientSocketFactory());
        }
        final CompletableFuture<JMXConnector> attempt = CompletableFuture.supplyAsync(() ->
        {
            try
            {
                return JMXConnectorFactory.connect(new JMXServiceURL(url), env);
            }
            catch (final IOException ex)
            {
                throw new UndeclaredThrowableException(ex);
            }
        });
        try
        {
            final JMXConnector connector = attempt.get(CONNECT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            return new DaemonClient(connector, connector.getMBeanServerConnection(), where);
        }
        catch (final TimeoutException ex)
        {
            attempt.cancel(true);
            throw CommandException.unreachable("cannot connect to " + where + ": no answer in " + CONNECT_TIMEOUT_SECONDS + " s");
        }
        catch (final ExecutionException ex)
        {
            final Throwable cause = ex.getCause() instanceof UndeclaredThrowableException u ? u.getCause() : ex.getCause();
            if (cause instanceof SecurityException)
            {
                throw CommandException.refused(where + " refused the credentials: " + cause.getMessage());
            }
            throw CommandException.unreachable("cannot connect to " + where + ": " + rootMessage(cause)
                + hint(invocation, cause));
        }
        catch (final IOException ex)
        {
            throw CommandException.unreachable("cannot connect to " + where + ": " + rootMessage(ex));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw CommandException.unreachable("interrupted while connecting to " + where);
        }
    }

    /**
     * With {@code --truststore}, the JVM's default TLS context trusts that store's certificates only: the connector's
     * stub the daemon sends is an {@link SslRMIClientSocketFactory}, which always takes the default context. This is
     * the command's own short-lived JVM, so nothing else shares the default.
     */
    private static void trust(final Invocation invocation) throws CommandException
    {
        if (invocation.trustStore() == null)
        {
            return;
        }
        try
        {
            SSLContext.setDefault(TlsStores.client(invocation.trustStore(), invocation.trustStorePasswordFile()));
        }
        catch (final IllegalArgumentException ex)
        {
            throw CommandException.usage("--truststore: " + ex.getMessage());
        }
    }

    /** What an operator most likely got wrong, from how the connection failed. */
    private static String hint(final Invocation invocation, final Throwable failure)
    {
        if (invocation.socket() != null)
        {
            return socketHint(invocation.socket());
        }
        for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause())
        {
            if (cause instanceof SSLHandshakeException)
            {
                return "; the daemon's certificate is not trusted: give it (or its CA) with --truststore FILE";
            }
        }
        return "; is the daemon running, with jmx.remote=true on that address and port?";
    }

    private static String socketHint(final Path socket)
    {
        if (!Files.exists(socket))
        {
            return "; is the daemon running? The service listens on " + JmxContext.SERVICE_SOCKET + ", a daemon started by"
                + " hand on <spool.directory>/" + JmxContext.SOCKET_FILE_NAME + " (or its jmx.socket): --socket PATH";
        }
        if (!Files.isWritable(socket))
        {
            return "; permission denied: the console is for root and the members of the socket's group (sluice-admin by"
                + " default): ask for membership (usermod -aG sluice-admin USER, then log in again)";
        }
        return "; is the daemon running? (a socket left by a daemon that died answers nobody)";
    }

    private static String hostPort(final Invocation invocation)
    {
        final String host = invocation.host();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + invocation.port();
    }

    private static String password(final Path file) throws CommandException
    {
        if (file == null)
        {
            final Console console = System.console();
            if (console == null)
            {
                throw CommandException.usage("--user needs --password-file (no terminal to ask for the password)");
            }
            final char[] typed = console.readPassword("JMX password: ");
            if (typed == null)
            {
                throw CommandException.usage("no password given");
            }
            return new String(typed);
        }
        try
        {
            final List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.isEmpty() || lines.get(0).isBlank())
            {
                throw CommandException.usage("--password-file " + file + " is empty; expected the password on its first line");
            }
            return lines.get(0).strip();
        }
        catch (final IOException ex)
        {
            throw CommandException.usage("cannot read --password-file " + file + ": " + ex.getMessage());
        }
    }

    SpoolControlMXBean spool() throws CommandException
    {
        return proxy("Spool", SpoolControlMXBean.class);
    }

    LimitsControlMXBean limits() throws CommandException
    {
        return proxy("Limits", LimitsControlMXBean.class);
    }

    DrainControlMXBean drain() throws CommandException
    {
        return proxy("Drain", DrainControlMXBean.class);
    }

    TenantsControlMXBean tenants() throws CommandException
    {
        return proxy("Tenants", TenantsControlMXBean.class);
    }

    BouncesControlMXBean bounces() throws CommandException
    {
        return proxy("Bounces", BouncesControlMXBean.class);
    }

    ConfigControlMXBean config() throws CommandException
    {
        return proxy("Config", ConfigControlMXBean.class);
    }

    /** @return the Fleet MXBean, or null for a daemon without one (a build from before fleets): no fleet line then. */
    FleetControlMXBean fleetOrNull() throws CommandException
    {
        return has("Fleet") ? proxy("Fleet", FleetControlMXBean.class) : null;
    }

    /** @return whether the daemon registered {@code io.sluice:type=<type>}; newer MXBeans are optional. */
    boolean has(final String type) throws CommandException
    {
        try
        {
            return connection.isRegistered(ControlPlane.name(type));
        }
        catch (final IOException ex)
        {
            throw CommandException.unreachable("lost " + where + ": " + rootMessage(ex));
        }
    }

    MBeanServerConnection connection()
    {
        return connection;
    }

    private <T> T proxy(final String type, final Class<T> mxbean) throws CommandException
    {
        if (!has(type))
        {
            throw CommandException.refused("the daemon has no " + ControlPlane.name(type) + " MXBean");
        }
        return JMX.newMXBeanProxy(connection, ControlPlane.name(type), mxbean);
    }

    /** A call on a proxy, with its failures mapped to exit codes. */
    interface Call<T>
    {
        T run();
    }

    <T> T call(final Call<T> call) throws CommandException
    {
        try
        {
            return call.run();
        }
        catch (final SecurityException ex)
        {
            throw CommandException.refused(ex.getMessage());
        }
        catch (final UndeclaredThrowableException ex)
        {
            final Throwable cause = ex.getUndeclaredThrowable();
            if (cause instanceof IOException)
            {
                throw CommandException.unreachable("lost " + where + ": " + rootMessage(cause));
            }
            if (cause instanceof InstanceNotFoundException)
            {
                throw CommandException.refused("the daemon has no " + cause.getMessage() + " MXBean");
            }
            throw CommandException.refused(rootMessage(cause));
        }
        catch (final RuntimeException ex)
        {
            // The daemon's own verdict (IllegalArgumentException and the like), as the MXBean proxy rethrows it.
            throw CommandException.refused(rootMessage(ex));
        }
    }

    /** The innermost message: RMI and JMX wrap the one that says what is wrong. */
    static String rootMessage(final Throwable failure)
    {
        Throwable cause = failure;
        String message = failure.toString();
        while (cause != null)
        {
            if (cause.getMessage() != null && !cause.getMessage().isBlank())
            {
                message = cause.getMessage();
            }
            cause = cause.getCause() == cause ? null : cause.getCause();
        }
        return message;
    }

    @Override
    public void close()
    {
        try
        {
            connector.close();
        }
        catch (final IOException ignored)
        {
            // The command's answer is already printed; a connector that closes badly changes nothing.
        }
    }
}
