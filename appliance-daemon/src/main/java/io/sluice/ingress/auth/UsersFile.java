package io.sluice.ingress.auth;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import io.sluice.config.AtomicFiles;

/**
 * The {@code auth.usersFile}: one user a line, fields separated by spaces,
 *
 * <pre>
 *   NAME HASH tenant=TENANT [domains=D1,D2] [rate=N/min]
 * </pre>
 *
 * with HASH as {@link PasswordHash#encoded()} writes it; {@code #} starts a comment line. Never a password in clear.
 * The {@code sluice user} commands edit it line by line ({@link #withUser}, {@link #without}), keeping comments and
 * the other lines as they were, and replace it whole ({@link #write}: a temporary sibling, fsync, rename), with the
 * old file's permissions (0640 for a new one: the hashes are not for everyone's eyes). Immutable.
 */
public final class UsersFile
{
    private static final Set<PosixFilePermission> NEW_FILE_PERMISSIONS = PosixFilePermissions.fromString("rw-r-----");

    private final Path path;
    private final List<String> lines;
    private final Map<String, AuthUser> users;

    private UsersFile(final Path path, final List<String> lines, final Map<String, AuthUser> users)
    {
        this.path = path;
        this.lines = List.copyOf(lines);
        this.users = users;
    }

    /**
     * @throws IOException if the file cannot be read.
     * @throws IllegalArgumentException naming the file and the line number of the first bad line.
     */
    public static UsersFile read(final Path path) throws IOException
    {
        return parse(path, Files.readAllLines(path, StandardCharsets.UTF_8));
    }

    /** @return an empty file at {@code path}, for the first {@code sluice user add}. */
    public static UsersFile empty(final Path path)
    {
        return new UsersFile(path, List.of("# sluice users: NAME HASH tenant=TENANT [domains=D1,D2] [rate=N/min]"), Map.of());
    }

    private static UsersFile parse(final Path path, final List<String> lines)
    {
        final Map<String, AuthUser> users = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++)
        {
            final String line = lines.get(i).trim();
            if (line.isEmpty() || line.startsWith("#"))
            {
                continue;
            }
            final AuthUser user;
            try
            {
                user = parseLine(line);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalArgumentException(path + " line " + (i + 1) + ": " + ex.getMessage(), ex);
            }
            if (users.put(user.name(), user) != null)
            {
                throw new IllegalArgumentException(path + " line " + (i + 1) + ": user " + user.name() + " is listed twice");
            }
        }
        return new UsersFile(path, lines, Map.copyOf(users));
    }

    /** The message never repeats the line: it holds a hash, and a careless edit could have put a password there. */
    private static AuthUser parseLine(final String line)
    {
        final String[] fields = line.split("\\s+");
        if (fields.length < 3)
        {
            throw new IllegalArgumentException("expected NAME HASH tenant=TENANT [domains=D1,D2] [rate=N/min], found "
                + fields.length + " field(s)");
        }
        final String name = fields[0];
        if (!AuthUser.isValidName(name))
        {
            throw new IllegalArgumentException("the user name is not 1 to 128 of A-Z a-z 0-9 . _ @ + -");
        }
        final PasswordHash hash = PasswordHash.parse(fields[1]);
        String tenant = null;
        final Set<String> domains = new LinkedHashSet<>();
        AuthUser.Rate rate = null;
        for (int f = 2; f < fields.length; f++)
        {
            final int eq = fields[f].indexOf('=');
            final String key = eq < 0 ? fields[f] : fields[f].substring(0, eq);
            final String value = eq < 0 ? "" : fields[f].substring(eq + 1);
            switch (key)
            {
                case "tenant" ->
                {
                    if (!AuthUser.isValidTenant(value))
                    {
                        throw new IllegalArgumentException("tenant= expects 1 to 64 of A-Z a-z 0-9 _ -, not '" + value + "'");
                    }
                    tenant = value;
                }
                case "domains" -> domains.addAll(domains(value));
                case "rate" -> rate = AuthUser.Rate.parse(value);
                default -> throw new IllegalArgumentException("unknown field '" + key + "' (expected tenant=, domains=, rate=)");
            }
        }
        if (tenant == null)
        {
            throw new IllegalArgumentException("user " + name + " has no tenant=");
        }
        return new AuthUser(name, hash, tenant, domains, rate);
    }

    /** @throws IllegalArgumentException for an empty or malformed domain. */
    public static Set<String> domains(final String list)
    {
        final Set<String> domains = new LinkedHashSet<>();
        for (final String domain : list.split(","))
        {
            final String d = domain.trim().toLowerCase(Locale.ROOT);
            if (!d.matches("[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?"))
            {
                throw new IllegalArgumentException("domains= expects comma-separated domain names, not '" + domain + "'");
            }
            domains.add(d);
        }
        return domains;
    }

    /** @return the line {@link #read} reads back as {@code user}. */
    public static String format(final AuthUser user)
    {
        final StringBuilder line = new StringBuilder(user.name()).append(' ').append(user.hash().encoded())
            .append(" tenant=").append(user.tenant());
        if (!user.domains().isEmpty())
        {
            line.append(" domains=").append(String.join(",", user.domains()));
        }
        if (user.rate() != null)
        {
            line.append(" rate=").append(user.rate());
        }
        return line.toString();
    }

    /** @return this file with {@code user} added at the end, or put in place of the line of a user of that name. */
    public UsersFile withUser(final AuthUser user)
    {
        final List<String> edited = new ArrayList<>(lines);
        final int at = lineOf(user.name());
        if (at < 0)
        {
            edited.add(format(user));
        }
        else
        {
            edited.set(at, format(user));
        }
        return parse(path, edited);
    }

    /** @return this file without the line of user {@code name}; unchanged if there is none. */
    public UsersFile without(final String name)
    {
        final List<String> edited = new ArrayList<>(lines);
        final int at = lineOf(name);
        if (at >= 0)
        {
            edited.remove(at);
        }
        return parse(path, edited);
    }

    private int lineOf(final String name)
    {
        for (int i = 0; i < lines.size(); i++)
        {
            final String line = lines.get(i).trim();
            if (!line.startsWith("#") && line.split("\\s+", 2)[0].equals(name))
            {
                return i;
            }
        }
        return -1;
    }

    /** Replaces the file durably and atomically, keeping its permissions (0640 when it is new). */
    public void write() throws IOException
    {
        final Path temporary = AtomicFiles.temporarySibling(path);
        Files.deleteIfExists(temporary);
        final Set<PosixFilePermission> permissions = Files.exists(path)
            ? Files.getPosixFilePermissions(path) : NEW_FILE_PERMISSIONS;
        Files.createFile(temporary, PosixFilePermissions.asFileAttribute(permissions));
        // The umask may have taken bits away at creation: set them exactly.
        Files.setPosixFilePermissions(temporary, permissions);
        final byte[] bytes = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE))
        {
            final ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining())
            {
                channel.write(buffer);
            }
            channel.force(true);
        }
        AtomicFiles.moveIntoPlace(temporary, path);
    }

    public Path path()
    {
        return path;
    }

    /** @return the users by name. */
    public Map<String, AuthUser> users()
    {
        return users;
    }
}
