package io.sluice.control;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * A real JMX client on a daemon's local console socket, as the {@code sluice} command connects: the test runs as the
 * daemon's own user, whom the socket's permissions let in and whose peer credentials make an administrator.
 */
public final class ConsoleClient
{
    private ConsoleClient()
    {
    }

    /** @return where a daemon whose {@code jmx.socket} is left empty listens: its spool directory's {@code jmx.sock}. */
    public static Path socketOf(final Path spoolDirectory)
    {
        return spoolDirectory.resolve(JmxContext.SOCKET_FILE_NAME);
    }

    public static JMXConnector connect(final Path socket) throws IOException
    {
        return JMXConnectorFactory.connect(new JMXServiceURL(JmxServer.localServiceUrl()),
            Map.of("com.sun.jndi.rmi.factory.socket", new ConsoleSocket.Client(socket)));
    }
}
