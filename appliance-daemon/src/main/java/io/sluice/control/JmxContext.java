package io.sluice.control;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.time.Clock;
import java.util.List;

import javax.net.ssl.SSLContext;

import io.sluice.config.InvalidSettingException;
import io.sluice.config.Setting;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where operators reach the JMX console and who may do what. The local console is a Unix socket whose permissions
 * decide who connects (root, the daemon's user, the {@link #SOCKET_GROUP} group) and whose peer credentials say who
 * they are: nothing to configure, no password to leak, no TCP port. A TCP console for remote operators is opt-in
 * ({@link #REMOTE}) and then requires the password and access files and TLS, on any address, loopback included. A
 * configuration that would serve anything less is refused at start, by key, never silently served.
 */
public final class JmxContext
{
    public static final Setting<Boolean> ENABLED = Setting.ofBoolean("jmx.enabled", true)
        .doc("Serve the local console: a Unix socket for root, the daemon's user and `jmx.socket.group` (no "
            + "password: the kernel says who connects). See "
            + "[console.md](console.md#who-may-connect-and-what-each-role-may-do).")
        .build();
    /** The local console's socket; empty in the settings for {@code <spool.directory>/jmx.sock}. */
    public static final Setting<String> SOCKET = Setting.ofString("jmx.socket", "")
        .derivedFrom("`<spool.directory>/jmx.sock`")
        .doc("The local console's socket; empty = `<spool.directory>/jmx.sock`. The packaged service sets "
            + "`/run/sluice/jmx.sock` (its `RuntimeDirectory`), where `sluice` looks first. A directory every "
            + "user may write (without the sticky bit) is refused.")
        .build();
    public static final String SOCKET_FILE_NAME = "jmx.sock";
    /** Whose members may use the local console (mode 0660); if the group does not exist, mode 0600. */
    public static final Setting<String> SOCKET_GROUP = Setting.ofString("jmx.socket.group", "sluice-admin")
        .doc("Whose members may use the local console (socket mode 0660), as admins; if the group does not "
            + "exist, mode 0600.")
        .build();
    /** Where the packaged service keeps the socket (systemd's RuntimeDirectory=sluice): what {@code sluice} tries first. */
    public static final String SERVICE_SOCKET = "/run/sluice/jmx.sock";
    /** The diagnostics role (heap dumps, diagnostic commands): off unless this is true. */
    public static final Setting<Boolean> DIAGNOSTICS = Setting.ofBoolean("jmx.diagnostics", false)
        .doc("The diagnostics role (heap dumps, diagnostic commands, every JVM bean): true grants it to root "
            + "and the daemon's user on the socket and lets `jmx.accessFile` grant it.")
        .build();
    /** The TCP console for remote operators: password, access file and TLS required. */
    public static final Setting<Boolean> REMOTE = Setting.ofBoolean("jmx.remote", false)
        .doc("The TCP console for remote operators. true requires `jmx.passwordFile`, `jmx.accessFile` and "
            + "`jmx.ssl=true` with a key, on any address, loopback included; those keys set while it is false "
            + "are refused.")
        .build();
    public static final Setting<String> HOST = Setting.ofString("jmx.host", "127.0.0.1")
        .doc("The TCP console's address.")
        .build();
    /** One port for both the RMI registry and the connector, so a firewall needs one rule. */
    public static final Setting<Integer> PORT = Setting.ofInt("jmx.port", 9010)
        .checkedWith("a port from 1 to 65535, checked with `jmx.remote=true`")
        .doc("The TCP console's port: the RMI registry and the connector share it.")
        .build();
    /** JDK format: one {@code name password} per line; not readable by others. */
    public static final Setting<String> PASSWORD_FILE = Setting.ofString("jmx.passwordFile", "")
        .checkedWith("only with `jmx.remote=true`")
        .doc("The JDK's format, `name password` per line; refused if every user may read it.")
        .build();
    /** One {@code name role [role...]} per line: monitor, operator, admin, diagnostics. */
    public static final Setting<String> ACCESS_FILE = Setting.ofString("jmx.accessFile", "")
        .checkedWith("only with `jmx.remote=true`")
        .doc("`name role [role...]` per line: `monitor`, `operator`, `admin`, `diagnostics`.")
        .build();
    /** RMI over TLS: the server's key from {@link #SSL_KEY_STORE}, or from the JVM's ({@code javax.net.ssl.keyStore}). */
    public static final Setting<Boolean> SSL = Setting.ofBoolean("jmx.ssl", false)
        .doc("RMI over TLS, required by `jmx.remote=true`. The server's key and certificate come from "
            + "`jmx.ssl.keyStore` (PKCS12 or JKS) with its password on the first line of "
            + "`jmx.ssl.keyStorePasswordFile`, or, when that is empty, from the JVM's own "
            + "(`-Djavax.net.ssl.keyStore=...` in `SLUICE_JAVA_OPTS`). Clients: `sluice --jmx HOST:PORT "
            + "--truststore FILE`.")
        .build();
    /** The server's key and certificate for {@link #SSL} (PKCS12 or JKS); empty for the JVM's key store. */
    public static final Setting<String> SSL_KEY_STORE = Setting.ofString("jmx.ssl.keyStore", "")
        .doc("The server's key and certificate for `jmx.ssl` (PKCS12 or JKS); empty for the JVM's key store.")
        .build();
    /** The file whose first line is the password of {@link #SSL_KEY_STORE} and of its key. */
    public static final Setting<String> SSL_KEY_STORE_PASSWORD_FILE = Setting.ofString("jmx.ssl.keyStorePasswordFile", "")
        .doc("The file whose first line is the password of `jmx.ssl.keyStore` and of its key.")
        .build();
    /** The JVM's own key store, the fall-back when {@link #SSL_KEY_STORE} is empty. */
    static final String JVM_KEY_STORE = "javax.net.ssl.keyStore";
    /** Every declaration above, in the order the configuration reference lists them. */
    public static final List<Setting<?>> SETTINGS = List.of(ENABLED, SOCKET, SOCKET_GROUP, DIAGNOSTICS, REMOTE, HOST, PORT,
        PASSWORD_FILE, ACCESS_FILE, SSL, SSL_KEY_STORE, SSL_KEY_STORE_PASSWORD_FILE);
    private static final Logger LOG = LoggerFactory.getLogger(JmxContext.class);

    private boolean enabled = true;
    private Path socket;
    private String socketGroupName = SOCKET_GROUP.defaultValue();
    private boolean diagnostics;
    private boolean remote;
    private String host = HOST.defaultValue();
    private int port = PORT.defaultValue();
    private Path passwordFile;
    private Path accessFile;
    private boolean ssl;
    private Path keyStore;
    private Path keyStorePasswordFile;
    private SSLContext sslContext;
    private GroupPrincipal socketGroup;
    private JmxAccess access;

    public JmxContext conclude()
    {
        if (enabled)
        {
            concludeSocket();
        }
        if (!remote)
        {
            // Files only the TCP console reads: set without it, an operator expects a console that is not there.
            for (final Object[] unused : new Object[][] {{PASSWORD_FILE, passwordFile}, {ACCESS_FILE, accessFile},
                {SSL, ssl ? "true" : null}, {SSL_KEY_STORE, keyStore}})
            {
                if (unused[1] != null)
                {
                    throw new InvalidSettingException(String.valueOf(unused[0]), unused[1],
                        "only the TCP console uses it, and " + REMOTE + "=false: set " + REMOTE + "=true to serve it");
                }
            }
            return this;
        }
        concludeRemote();
        return this;
    }

    private void concludeSocket()
    {
        if (socket == null)
        {
            throw new InvalidSettingException(SOCKET.key(), "", "expected the path of the console's socket");
        }
        if (ConsoleSocket.pathBytes(socket) > ConsoleSocket.MAX_PATH_BYTES)
        {
            throw new InvalidSettingException(SOCKET.key(), socket, "too long for a Unix socket (at most "
                + ConsoleSocket.MAX_PATH_BYTES + " bytes); choose a shorter path");
        }
        final Path parent = socket.toAbsolutePath().getParent();
        try
        {
            if (Files.isDirectory(parent) && (((Integer)Files.getAttribute(parent, "unix:mode")) & 01002) == 02)
            {
                throw new InvalidSettingException(SOCKET.key(), socket, parent + " is writable by every user (and not sticky):"
                    + " anyone could put a socket of their own in the console's place");
            }
        }
        catch (final IOException ex)
        {
            throw new InvalidSettingException(SOCKET.key(), socket, "cannot read " + parent + ": " + ex.getMessage());
        }
        socketGroup = null;
        if (socketGroupName != null && !socketGroupName.isBlank())
        {
            try
            {
                socketGroup = FileSystems.getDefault().getUserPrincipalLookupService()
                    .lookupPrincipalByGroupName(socketGroupName);
            }
            catch (final UserPrincipalNotFoundException ex)
            {
                LOG.warn("{}={}: no such group: the console is for root and the daemon's user only"
                    + " (systemd-sysusers creates the group from sluice.sysusers.conf)", SOCKET_GROUP, socketGroupName);
            }
            catch (final IOException ex)
            {
                throw new InvalidSettingException(SOCKET_GROUP.key(), socketGroupName,
                    "cannot look the group up: " + ex.getMessage());
            }
        }
    }

    private void concludeRemote()
    {
        final InetAddress address;
        try
        {
            address = InetAddress.getByName(host);
        }
        catch (final UnknownHostException ex)
        {
            throw new InvalidSettingException(HOST.key(), host, "expected an address of this appliance");
        }
        if (port < 1 || port > 65_535)
        {
            throw new InvalidSettingException(PORT.key(), port, "expected a port from 1 to 65535");
        }
        if (passwordFile == null || accessFile == null)
        {
            throw new InvalidSettingException(passwordFile == null ? PASSWORD_FILE.key() : ACCESS_FILE.key(), "",
                "expected both " + PASSWORD_FILE + " and " + ACCESS_FILE + " for " + REMOTE + "=true: the TCP console on "
                + address.getHostAddress() + " requires a password and a role for every login");
        }
        if (!ssl)
        {
            throw new InvalidSettingException(SSL.key(), "false", "expected true for " + REMOTE
                + "=true: passwords and the console's answers must not cross a network in the clear");
        }
        requireReadable(PASSWORD_FILE.key(), passwordFile);
        requireReadable(ACCESS_FILE.key(), accessFile);
        try
        {
            access = JmxAccess.load(passwordFile, accessFile, diagnostics, Clock.systemUTC());
        }
        catch (final IllegalArgumentException | UncheckedIOException ex)
        {
            final Setting<String> file = ex.getMessage().contains(passwordFile.toString()) ? PASSWORD_FILE : ACCESS_FILE;
            throw new InvalidSettingException(file.key(),
                ex.getMessage().contains(passwordFile.toString()) ? passwordFile : accessFile, ex.getMessage());
        }
        concludeTls();
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
                throw new InvalidSettingException(SSL_KEY_STORE.key(), "", "expected a key store for " + SSL
                    + "=true (or the JVM's -D" + JVM_KEY_STORE + "=...): without a key no client can connect");
            }
            return;
        }
        requireReadable(SSL_KEY_STORE.key(), keyStore);
        if (keyStorePasswordFile == null)
        {
            throw new InvalidSettingException(SSL_KEY_STORE_PASSWORD_FILE.key(), "", "expected the file holding the password of "
                + SSL_KEY_STORE + " " + keyStore);
        }
        requireReadable(SSL_KEY_STORE_PASSWORD_FILE.key(), keyStorePasswordFile);
        try
        {
            sslContext = TlsStores.server(keyStore, keyStorePasswordFile);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new InvalidSettingException(SSL_KEY_STORE.key(), keyStore, ex.getMessage());
        }
    }

    private static void requireReadable(final String key, final Path file)
    {
        if (file != null && !Files.isReadable(file))
        {
            throw new InvalidSettingException(key, file, "expected a readable file");
        }
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

    public JmxContext socket(final Path socket)
    {
        this.socket = socket;
        return this;
    }

    public Path socket()
    {
        return socket;
    }

    /** @param group the group whose members may use the local console; null or blank for root and the daemon's user. */
    public JmxContext socketGroup(final String group)
    {
        this.socketGroupName = group;
        return this;
    }

    /** @return the group {@link #conclude()} found for the socket, or null for owner only. */
    public GroupPrincipal socketGroup()
    {
        return socketGroup;
    }

    public JmxContext diagnostics(final boolean diagnostics)
    {
        this.diagnostics = diagnostics;
        return this;
    }

    public boolean diagnostics()
    {
        return diagnostics;
    }

    public JmxContext remote(final boolean remote)
    {
        this.remote = remote;
        return this;
    }

    public boolean remote()
    {
        return remote;
    }

    /** @return the logins of the TCP console, loaded by {@link #conclude()}. */
    JmxAccess access()
    {
        return access;
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
