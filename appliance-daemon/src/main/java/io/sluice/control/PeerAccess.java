package io.sluice.control;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;

import javax.management.remote.JMXAuthenticator;
import javax.security.auth.Subject;

import org.newsclub.net.unix.AFUNIXSocketCredentials;

/**
 * Logins on the local console socket: no password; the kernel says who connected (the peer's uid, {@code SO_PEERCRED})
 * and the socket file's permissions have already decided that they may: root, the daemon's own user, and the members of
 * the socket's group ({@code jmx.socket.group}). They are the appliance's administrators ({@link Role#ADMIN}); root and
 * the daemon's user, who can read the process's memory anyway, also get {@link Role#DIAGNOSTICS} when
 * {@code jmx.diagnostics=true}. Audit lines name the person, not a shared account.
 */
final class PeerAccess implements JMXAuthenticator
{
    private static final Path PASSWD = Path.of("/etc/passwd");

    private final long daemonUid;
    private final boolean diagnostics;

    PeerAccess(final long daemonUid, final boolean diagnostics)
    {
        this.daemonUid = daemonUid;
        this.diagnostics = diagnostics;
    }

    @Override
    public Subject authenticate(final Object credentials)
    {
        final AFUNIXSocketCredentials peer = AFUNIXSocketCredentials.remotePeerCredentials();
        if (peer == null || peer.getUid() < 0)
        {
            ConsoleAudit.loginRefused("(unknown)", "the console socket", "the kernel gave no peer credentials");
            throw new SecurityException("authentication failed: no peer credentials on the console socket");
        }
        final long uid = peer.getUid();
        final String principal = userName(uid) + " (uid " + uid + ", pid " + peer.getPid() + ")";
        final Set<Role> roles = EnumSet.of(Role.ADMIN);
        if (diagnostics && (uid == 0 || uid == daemonUid))
        {
            roles.add(Role.DIAGNOSTICS);
        }
        ConsoleAudit.login(principal, "the console socket", roles);
        return RolePrincipal.subject(principal, roles);
    }

    /** @return the user's name from /etc/passwd, or "uid N" for a user it does not list (a directory service's). */
    static String userName(final long uid)
    {
        try
        {
            for (final String line : Files.readAllLines(PASSWD, StandardCharsets.UTF_8))
            {
                final String[] fields = line.split(":", 4);
                if (fields.length >= 3 && fields[2].equals(Long.toString(uid)))
                {
                    return fields[0];
                }
            }
        }
        catch (final IOException ex)
        {
            // Only the audit line's name is lost; the uid is still in it.
        }
        return "uid " + uid;
    }
}
