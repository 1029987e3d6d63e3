package io.sluice.ingress.auth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import io.sluice.config.InvalidSettingException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The users the daemon knows now, from {@code auth.usersFile}: read whole at start (a bad file stops the start with a
 * message naming the key, the file and the line), then again whenever the file changes ({@link #reloadIfChanged},
 * from a maintenance thread, as {@code relay.localRecipients} is): {@code sluice user} replaces it with a rename, so
 * the daemon never sees half a file. A changed file that does not parse is refused with a log line naming the file
 * and the line, and the users read before stay in force. Sessions read the current map without locks.
 */
public final class UserDirectory
{
    private static final Logger LOG = LoggerFactory.getLogger(UserDirectory.class);

    private final Path file;
    private volatile Map<String, AuthUser> users;
    /** Guarded by {@code this}: what the file looked like when last read (or last refused). */
    private List<Object> version;

    private UserDirectory(final Path file, final Map<String, AuthUser> users, final List<Object> version)
    {
        this.file = file;
        this.users = users;
        this.version = version;
    }

    /** @return a directory with no users: AUTH is not offered. */
    public static UserDirectory none()
    {
        return new UserDirectory(null, Map.of(), null);
    }

    /**
     * @param usersFile the {@code auth.usersFile} path; empty for none.
     * @throws InvalidSettingException naming {@code auth.usersFile} when the file cannot be read or a line is bad.
     */
    public static UserDirectory open(final String usersFile)
    {
        if (usersFile.isBlank())
        {
            return none();
        }
        final Path path = Path.of(usersFile.trim());
        try
        {
            final List<Object> version = version(path);
            return new UserDirectory(path, UsersFile.read(path).users(), version);
        }
        catch (final IOException ex)
        {
            throw new InvalidSettingException(AuthContext.USERS_FILE.key(), usersFile, "cannot read it: " + ex);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new InvalidSettingException(AuthContext.USERS_FILE.key(), usersFile, ex.getMessage());
        }
    }

    /** @return whether a users file is configured at all (AUTH is offered only then). */
    public boolean isConfigured()
    {
        return file != null;
    }

    /** @return the user of that login name, or null. */
    public AuthUser user(final String name)
    {
        return users.get(name);
    }

    /** @return every user by name, as of the last good read. */
    public Map<String, AuthUser> users()
    {
        return users;
    }

    /**
     * Reads the file again if its modification time, size or inode changed since the last read.
     *
     * @return what happened: nothing changed, new users in force, or the change refused (logged).
     */
    public synchronized Reload reloadIfChanged()
    {
        if (file == null)
        {
            return Reload.UNCHANGED;
        }
        final List<Object> now;
        try
        {
            now = version(file);
        }
        catch (final IOException ex)
        {
            if (version != null)
            {
                LOG.error("{} {}: cannot be read ({}); the {} users read before stay in force", AuthContext.USERS_FILE.key(),
                    file, ex.toString(), users.size());
                version = null;
                return Reload.REFUSED;
            }
            return Reload.UNCHANGED;
        }
        if (Objects.equals(now, version))
        {
            return Reload.UNCHANGED;
        }
        version = now;
        try
        {
            users = UsersFile.read(file).users();
            LOG.info("{} {}: {} users in force", AuthContext.USERS_FILE.key(), file, users.size());
            return Reload.LOADED;
        }
        catch (final IOException | IllegalArgumentException ex)
        {
            LOG.error("{} refused: {}; the {} users read before stay in force", AuthContext.USERS_FILE.key(),
                ex.getMessage(), users.size());
            return Reload.REFUSED;
        }
    }

    private static List<Object> version(final Path path) throws IOException
    {
        final BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
        return java.util.Arrays.asList(attributes.lastModifiedTime(), attributes.size(), attributes.fileKey());
    }

    /** What {@link #reloadIfChanged} did. */
    public enum Reload
    {
        UNCHANGED, LOADED, REFUSED
    }
}
