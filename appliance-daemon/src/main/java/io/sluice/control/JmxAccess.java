package io.sluice.control;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.rmi.server.RemoteServer;
import java.rmi.server.ServerNotActiveException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import javax.management.remote.JMXAuthenticator;
import javax.security.auth.Subject;

/**
 * Logins on the TCP console: the JDK's JMX password file ({@code name password} per line) and an access file giving
 * each name its roles ({@code name role [role...]}: monitor, operator, admin, diagnostics). A name with no access line
 * may do nothing; failed logins are throttled per address ({@link LoginThrottle}) and every login is audited.
 */
final class JmxAccess implements JMXAuthenticator
{
    private final Map<String, String> passwords;
    private final Map<String, Set<Role>> roles;
    private final LoginThrottle throttle;

    private JmxAccess(final Map<String, String> passwords, final Map<String, Set<Role>> roles, final LoginThrottle throttle)
    {
        this.passwords = passwords;
        this.roles = roles;
        this.throttle = throttle;
    }

    /**
     * @param diagnostics whether {@code jmx.diagnostics=true}: without it an access line granting diagnostics is refused.
     * @throws IllegalArgumentException naming the file and line of what is wrong.
     */
    static JmxAccess load(final Path passwordFile, final Path accessFile, final boolean diagnostics, final Clock clock)
    {
        requirePrivate(passwordFile);
        final Map<String, Set<Role>> roles = new HashMap<>();
        for (final Map.Entry<String, String> entry : pairs(accessFile).entrySet())
        {
            final Set<Role> granted = EnumSet.noneOf(Role.class);
            for (final String word : entry.getValue().trim().split("[\\s,]+"))
            {
                final Role role = Role.parse(word);
                if (role == null)
                {
                    throw new IllegalArgumentException(accessFile + ": " + entry.getKey() + " has role '" + word
                        + "', expected monitor, operator, admin or diagnostics (the JDK's readonly is monitor now, readwrite"
                        + " operator)");
                }
                if (role == Role.DIAGNOSTICS && !diagnostics)
                {
                    throw new IllegalArgumentException(accessFile + ": " + entry.getKey()
                        + " has the diagnostics role, which needs jmx.diagnostics=true (heap dumps hold mail and credentials)");
                }
                granted.add(role);
            }
            roles.put(entry.getKey(), Set.copyOf(granted));
        }
        return new JmxAccess(pairs(passwordFile), roles, new LoginThrottle(clock));
    }

    /** As the JDK's agent does: a password file others can read is refused rather than served. */
    private static void requirePrivate(final Path file)
    {
        try
        {
            final Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (permissions.contains(PosixFilePermission.OTHERS_READ))
            {
                throw new IllegalArgumentException(file + " is readable by every user: chmod 600 (or 640 root:sluice)");
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read " + file, ex);
        }
    }

    private static Map<String, String> pairs(final Path file)
    {
        try
        {
            final Map<String, String> pairs = new HashMap<>();
            for (final String raw : Files.readAllLines(file, StandardCharsets.UTF_8))
            {
                final String line = raw.trim();
                if (line.isEmpty() || line.startsWith("#"))
                {
                    continue;
                }
                final String[] parts = line.split("\\s+", 2);
                pairs.put(parts[0], parts.length > 1 ? parts[1].trim() : "");
            }
            return pairs;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read " + file, ex);
        }
    }

    @Override
    public Subject authenticate(final Object credentials)
    {
        final String from = clientAddress();
        final String user = credentials instanceof String[] pair && pair.length == 2 && pair[0] != null ? pair[0] : "(none)";
        final Duration locked = throttle.lockedFor(from);
        if (!locked.isZero())
        {
            ConsoleAudit.loginRefused(user, from, "throttled after repeated failures");
            throw new SecurityException("authentication refused: too many failed logins from " + from + "; try again in "
                + Math.max(1, locked.toSeconds()) + " s");
        }
        final String reason = check(credentials);
        if (reason != null)
        {
            throttle.failed(from);
            ConsoleAudit.loginRefused(user, from, reason);
            throw new SecurityException("authentication failed: " + reason);
        }
        throttle.succeeded(from);
        ConsoleAudit.login(user, from, roles.get(user));
        return RolePrincipal.subject(user, roles.get(user));
    }

    /** @return why {@code credentials} do not log in, or null when they do. */
    private String check(final Object credentials)
    {
        if (!(credentials instanceof String[] pair) || pair.length != 2 || pair[0] == null || pair[1] == null)
        {
            return "expected a user name and password";
        }
        final String expected = passwords.get(pair[0]);
        // Constant-time comparison, so a wrong guess does not tell how much of it was right.
        if (expected == null || !MessageDigest.isEqual(
            expected.getBytes(StandardCharsets.UTF_8), pair[1].getBytes(StandardCharsets.UTF_8)))
        {
            return "wrong user name or password for " + pair[0];
        }
        if (roles.getOrDefault(pair[0], Set.of()).isEmpty())
        {
            return pair[0] + " has no role in the access file";
        }
        return null;
    }

    private static String clientAddress()
    {
        try
        {
            return RemoteServer.getClientHost();
        }
        catch (final ServerNotActiveException ex)
        {
            return "in-process";
        }
    }
}
