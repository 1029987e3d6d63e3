package io.sluice.control;

import java.io.IOException;
import java.io.Serializable;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFilePermissions;
import java.rmi.server.RMIClientSocketFactory;
import java.rmi.server.RMIServerSocketFactory;
import java.util.Objects;

import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * RMI over a Unix domain socket (junixsocket: the JDK's own Unix sockets cannot be a {@link ServerSocket}), so that
 * the console's door is a file whose permissions decide who may knock: mode 0660 and the socket group, or 0600 when
 * that group does not exist. Between the bind and the chmod the socket has the mode the umask leaves: the unit's
 * {@code UMask=0077} leaves it to the daemon's user alone. (Binding under a temporary name and renaming it into place
 * would close that moment for any umask, but junixsocket's server socket stops accepting once its path is renamed.)
 */
public final class ConsoleSocket
{
    /** The largest socket path Linux takes ({@code sun_path} is 108 bytes with its terminating NUL). */
    static final int MAX_PATH_BYTES = 107;
    /** The RMI "port" of the socket's endpoint: a name for RMI's bookkeeping, no TCP port is opened. */
    static final int PSEUDO_PORT = 1;

    private ConsoleSocket()
    {
    }

    static int pathBytes(final Path socket)
    {
        return socket.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8).length;
    }

    /**
     * Binds the socket at {@code path} for {@code group} (or its owner alone when {@code group} is null).
     *
     * @throws IOException naming the path when another daemon answers there or the socket cannot be made.
     */
    static AFUNIXServerSocket bind(final Path path, final GroupPrincipal group) throws IOException
    {
        if (Files.exists(path) && answers(path))
        {
            throw new IOException("another process answers on " + path + " (a second daemon with the same jmx.socket?)");
        }
        // A socket left by a daemon killed with -9 answers nobody: it is replaced.
        Files.deleteIfExists(path);
        final AFUNIXServerSocket socket = AFUNIXServerSocket.bindOn(path, false);
        try
        {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(group == null ? "rw-------" : "rw-rw----"));
            if (group != null)
            {
                Files.setAttribute(path, "posix:group", group);
            }
            return socket;
        }
        catch (final IOException | RuntimeException ex)
        {
            socket.close();
            Files.deleteIfExists(path);
            throw ex;
        }
    }

    private static boolean answers(final Path path)
    {
        try (Socket ignored = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(path)))
        {
            return true;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    /** Binds the console's socket when RMI asks for its endpoint's server socket. */
    static final class Server implements RMIServerSocketFactory
    {
        private final Path path;
        private final GroupPrincipal group;

        Server(final Path path, final GroupPrincipal group)
        {
            this.path = path;
            this.group = group;
        }

        @Override
        public ServerSocket createServerSocket(final int port) throws IOException
        {
            return bind(path, group);
        }

        // Equal factories make one RMI endpoint: the registry and the connector share the socket, and a console
        // restarted in the same JVM gets the same endpoint back, where the clients' pooled connections still lead.
        @Override
        public boolean equals(final Object other)
        {
            return other instanceof Server server && server.path.equals(path) && Objects.equals(server.group, group);
        }

        @Override
        public int hashCode()
        {
            return path.hashCode();
        }
    }

    /** What a console (the {@code sluice} command, a test) connects with; RMI sends it to the client inside each stub. */
    public static final class Client implements RMIClientSocketFactory, Serializable
    {
        private static final long serialVersionUID = 1L;
        private final String path;

        public Client(final Path path)
        {
            this.path = path.toAbsolutePath().toString();
        }

        @Override
        public Socket createSocket(final String host, final int port) throws IOException
        {
            return AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(Path.of(path)));
        }

        @Override
        public boolean equals(final Object other)
        {
            return other instanceof Client client && client.path.equals(path);
        }

        @Override
        public int hashCode()
        {
            return path.hashCode();
        }
    }
}
