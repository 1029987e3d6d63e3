package io.sluice.fleet;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.sluice.config.InvalidSettingException;
import io.sluice.config.Setting;

/**
 * The {@code fleet.*} settings: which Redis a group of appliances shares its limits through, under what name, and how
 * this node is called there. {@code fleet.redis} empty (the default) is the single appliance, exactly as without a
 * fleet. Values only; {@link #conclude} checks them, naming the key, and reads the password file, before anything
 * opens a socket.
 */
public final class FleetContext
{
    public static final Setting<String> REDIS = Setting.ofString("fleet.redis", "")
        .checkedWith("empty, or `redis://host:port`, `rediss://host:port` (TLS) or "
            + "`redis-sentinel://host:port,host:port#master`")
        .doc("The Redis the fleet shares its limits through; empty = a single appliance, nothing shared. See "
            + "[fleet.md](fleet.md).")
        .build();
    public static final Setting<String> PASSWORD_FILE = Setting.ofString("fleet.passwordFile", "")
        .checkedWith("only with `fleet.redis`")
        .doc("A file holding the Redis password on its first line (a user too: `user password`); empty = none.")
        .build();
    public static final Setting<String> NAME = Setting.ofString("fleet.name", "sluice")
        .check(FleetContext::isKeyWord, "letters, digits, `.`, `_` or `-`")
        .doc("The fleet's name: every Redis key starts with `<fleet.name>:`, so fleets can share one Redis.")
        .build();
    public static final Setting<String> NODE_ID = Setting.ofString("fleet.nodeId", "")
        .check(id -> id.isEmpty() || isKeyWord(id), "empty, or letters, digits, `.`, `_` or `-`")
        .derivedFrom("the host name")
        .doc("This appliance's name in the fleet; empty = the host name. Two nodes must not share one.")
        .build();
    public static final Setting<Long> TIMEOUT_MS = Setting.ofLong("fleet.timeoutMs", 500)
        .range(10, 10_000)
        .doc("A Redis command slower than this fails; two failures in a row and the node falls back to local limits "
            + "(Redis answers a LAN in well under a millisecond: this is for outages and a loaded machine's pauses).")
        .build();
    public static final Setting<Long> BATCH_MS = Setting.ofLong("fleet.batchMs", 50)
        .range(1, 1_000)
        .doc("A node borrows a shared rate's tokens in batches of this much time's worth (at least 1), so it asks "
            + "Redis about once per batch, not once per message.")
        .build();
    public static final Setting<Long> LIVENESS_TTL_MS = Setting.ofLong("fleet.livenessTtlMs", 3_000)
        .range(300, 60_000)
        .doc("A node that has not refreshed its liveness for this long no longer counts among the live nodes "
            + "(the divisor of the fallback rates); each refreshes every third of it.")
        .build();

    public static final List<Setting<?>> SETTINGS = List.of(REDIS, PASSWORD_FILE, NAME, NODE_ID, TIMEOUT_MS, BATCH_MS,
        LIVENESS_TTL_MS);

    private String redis = REDIS.defaultValue();
    private Path passwordFile;
    private String name = NAME.defaultValue();
    private String nodeId = NODE_ID.defaultValue();
    private long timeoutMs = TIMEOUT_MS.defaultValue();
    private long batchMs = BATCH_MS.defaultValue();
    private long livenessTtlMs = LIVENESS_TTL_MS.defaultValue();
    private String uri;
    private String user;
    private char[] password;
    private boolean concluded;

    private static boolean isKeyWord(final String text)
    {
        return !text.isEmpty() && text.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '.' || c == '_' || c == '-');
    }

    public FleetContext redis(final String redis)
    {
        this.redis = REDIS.validate(redis.trim());
        return this;
    }

    public FleetContext passwordFile(final Path passwordFile)
    {
        this.passwordFile = passwordFile;
        return this;
    }

    public FleetContext name(final String name)
    {
        this.name = NAME.validate(name);
        return this;
    }

    public FleetContext nodeId(final String nodeId)
    {
        this.nodeId = NODE_ID.validate(nodeId);
        return this;
    }

    public FleetContext timeoutMs(final long timeoutMs)
    {
        this.timeoutMs = TIMEOUT_MS.validate(timeoutMs);
        return this;
    }

    public FleetContext batchMs(final long batchMs)
    {
        this.batchMs = BATCH_MS.validate(batchMs);
        return this;
    }

    public FleetContext livenessTtlMs(final long livenessTtlMs)
    {
        this.livenessTtlMs = LIVENESS_TTL_MS.validate(livenessTtlMs);
        return this;
    }

    /**
     * Checks what needs more than one key and reads the password file.
     *
     * @return this.
     * @throws InvalidSettingException naming the key and value of the first bad one.
     */
    public FleetContext conclude()
    {
        if (concluded)
        {
            return this;
        }
        if (redis.isEmpty())
        {
            if (passwordFile != null)
            {
                throw PASSWORD_FILE.invalid(passwordFile, "no password file without `fleet.redis`");
            }
            concluded = true;
            return this;
        }
        uri = checkUri(redis);
        if (passwordFile != null)
        {
            readPassword(passwordFile);
        }
        if (nodeId.isEmpty())
        {
            nodeId = hostName();
        }
        concluded = true;
        return this;
    }

    /** Lettuce parses it (only with a fleet, so a single appliance never loads a Redis class). */
    private static String checkUri(final String text)
    {
        if (!(text.startsWith("redis://") || text.startsWith("rediss://") || text.startsWith("redis-sentinel://")))
        {
            throw REDIS.invalid(text, "`redis://host:port`, `rediss://host:port` (TLS) or "
                + "`redis-sentinel://host:port,host:port#master`");
        }
        final String problem = RedisAddress.problem(text);
        if (problem != null)
        {
            throw REDIS.invalid(text, problem);
        }
        return text;
    }

    private void readPassword(final Path file)
    {
        final String text;
        try
        {
            text = Files.readString(file, StandardCharsets.UTF_8);
        }
        catch (final IOException | RuntimeException ex)
        {
            throw PASSWORD_FILE.invalid(file, "a readable file holding the Redis password (" + ex + ")");
        }
        final String line = text.lines().findFirst().orElse("").strip();
        if (line.isEmpty())
        {
            throw PASSWORD_FILE.invalid(file, "the password on the first line of the file, found none");
        }
        final int space = line.indexOf(' ');
        user = space < 0 ? null : line.substring(0, space);
        password = (space < 0 ? line : line.substring(space + 1).strip()).toCharArray();
    }

    private static String hostName()
    {
        try
        {
            final String host = InetAddress.getLocalHost().getHostName();
            return isKeyWord(host) ? host : host.replaceAll("[^A-Za-z0-9._-]", "_");
        }
        catch (final UnknownHostException ex)
        {
            throw NODE_ID.invalid("", "a node id: the host name cannot be read (" + ex.getMessage() + "); set fleet.nodeId");
        }
    }

    /** @return true when {@code fleet.redis} is set: this appliance is one node of a fleet. */
    public boolean enabled()
    {
        return !redis.isEmpty();
    }

    /** @return the Redis address, without credentials; null without a fleet. */
    public String uri()
    {
        return uri;
    }

    /** @return the Redis user (ACL) from the password file, or null for the default user. */
    public String user()
    {
        return user;
    }

    /** @return the Redis password, or null for none. */
    public char[] password()
    {
        return password == null ? null : password.clone();
    }

    public String name()
    {
        return name;
    }

    public String nodeId()
    {
        return nodeId;
    }

    public long timeoutMs()
    {
        return timeoutMs;
    }

    public long batchMs()
    {
        return batchMs;
    }

    public long livenessTtlMs()
    {
        return livenessTtlMs;
    }

    /** @return the key for {@code suffix} under this fleet's name: {@code <fleet.name>:suffix}. */
    public String key(final String suffix)
    {
        return name + ":" + suffix;
    }
}
