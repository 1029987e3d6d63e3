package io.sluice.control;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import javax.management.remote.JMXAuthenticator;
import javax.management.remote.JMXPrincipal;
import javax.security.auth.Subject;

/**
 * Roles from the JDK's JMX password file ({@code role password} per line) and access file
 * ({@code role readonly|readwrite} per line), the formats operators already know from
 * {@code com.sun.management.jmxremote}. A role with no access line may do nothing.
 */
final class JmxAccess implements JMXAuthenticator
{
    private final Map<String, String> passwords;
    private final Map<String, Boolean> writers;

    private JmxAccess(final Map<String, String> passwords, final Map<String, Boolean> writers)
    {
        this.passwords = passwords;
        this.writers = writers;
    }

    static JmxAccess load(final Path passwordFile, final Path accessFile)
    {
        final Map<String, String> passwords = pairs(passwordFile);
        final Map<String, String> access = pairs(accessFile);
        final Map<String, Boolean> writers = new HashMap<>();
        for (final Map.Entry<String, String> entry : access.entrySet())
        {
            final String level = entry.getValue().trim().split("\\s+")[0];
            if (!level.equals("readonly") && !level.equals("readwrite"))
            {
                throw new IllegalArgumentException(accessFile + ": role " + entry.getKey() + " has access '" + level
                    + "', expected readonly or readwrite");
            }
            writers.put(entry.getKey(), level.equals("readwrite"));
        }
        return new JmxAccess(passwords, writers);
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
        if (!(credentials instanceof String[] pair) || pair.length != 2 || pair[0] == null || pair[1] == null)
        {
            throw new SecurityException("authentication failed: expected a user name and password");
        }
        final String expected = passwords.get(pair[0]);
        // Constant-time comparison, so a wrong guess does not tell how much of it was right.
        if (expected == null || !MessageDigest.isEqual(
            expected.getBytes(StandardCharsets.UTF_8), pair[1].getBytes(StandardCharsets.UTF_8)))
        {
            throw new SecurityException("authentication failed for " + pair[0]);
        }
        if (!writers.containsKey(pair[0]))
        {
            throw new SecurityException("authentication failed: role " + pair[0] + " has no access entry");
        }
        return new Subject(true, Set.of(new JMXPrincipal(pair[0])), Collections.emptySet(), Collections.emptySet());
    }

    boolean mayWrite(final String role)
    {
        return Boolean.TRUE.equals(writers.get(role));
    }
}
