package io.sluice.delivery;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

import io.sluice.config.InvalidSettingException;

/**
 * Where a drain route's mail goes: an upstream SMTP relay ({@code smtp://host:port}) or a maildir-style folder
 * ({@code dir:PATH}), as written in {@code delivery.route.<name>.target}.
 */
public sealed interface RouteTarget permits RouteTarget.Smtp, RouteTarget.Dir
{
    /** The SMTP port when {@code smtp://host} names none (RFC 5321 §4.5.4: relays listen on 25). */
    int DEFAULT_SMTP_PORT = 25;

    /**
     * An upstream relay (smart host).
     *
     * @param host a literal IPv4 or IPv6 address, or a host name resolved at each connect
     * @param port the TCP port
     */
    record Smtp(String host, int port) implements RouteTarget
    {
        public Smtp
        {
            Objects.requireNonNull(host, "host");
        }

        @Override
        public String toString()
        {
            return "smtp://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /**
     * A maildir-style folder: each delivered message is written to {@code tmp/}, synced and renamed into
     * {@code new/}.
     *
     * @param directory the folder; a relative one is taken against the working directory (the daemon's settings make
     *                  it relative to the folder that holds the spool first)
     */
    record Dir(Path directory) implements RouteTarget
    {
        public Dir
        {
            Objects.requireNonNull(directory, "directory");
        }

        @Override
        public String toString()
        {
            return "dir:" + directory;
        }
    }

    /**
     * @param key  the setting's key, named in any error.
     * @param text {@code smtp://host[:port]}, {@code smtp://[v6]:port} or {@code dir:PATH}.
     * @return the parsed target.
     * @throws InvalidSettingException naming the key, the value and what is expected.
     */
    static RouteTarget parse(final String key, final String text)
    {
        final String expected = "expected smtp://host:port (a literal address or a host name) or dir:PATH";
        if (text == null || text.isBlank())
        {
            throw new InvalidSettingException(key, text, expected);
        }
        final String value = text.trim();
        final String lower = value.toLowerCase(Locale.ROOT);
        if (lower.startsWith("dir:"))
        {
            final String path = value.substring("dir:".length());
            if (path.isBlank())
            {
                throw new InvalidSettingException(key, text, "expected a folder after dir:, e.g. dir:delivered");
            }
            try
            {
                return new Dir(Path.of(path));
            }
            catch (final InvalidPathException ex)
            {
                throw new InvalidSettingException(key, text, "expected a valid folder path after dir: (" + ex.getReason() + ")");
            }
        }
        if (lower.startsWith("smtp://"))
        {
            return parseSmtp(key, text, value.substring("smtp://".length()), expected);
        }
        throw new InvalidSettingException(key, text, expected);
    }

    private static Smtp parseSmtp(final String key, final String text, final String authority, final String expected)
    {
        final String host;
        final String portText;
        if (authority.startsWith("["))
        {
            final int close = authority.indexOf(']');
            if (close < 0)
            {
                throw new InvalidSettingException(key, text, "expected ] after an IPv6 address, e.g. smtp://[::1]:25");
            }
            host = authority.substring(1, close);
            final String rest = authority.substring(close + 1);
            if (!rest.isEmpty() && !rest.startsWith(":"))
            {
                throw new InvalidSettingException(key, text, expected);
            }
            portText = rest.isEmpty() ? null : rest.substring(1);
            if (host.isEmpty() || !host.chars().allMatch(c -> c == ':' || c == '.' || Character.digit(c, 16) >= 0))
            {
                throw new InvalidSettingException(key, text, "expected an IPv6 address between [ and ]");
            }
        }
        else
        {
            final int colon = authority.lastIndexOf(':');
            host = colon < 0 ? authority : authority.substring(0, colon);
            portText = colon < 0 ? null : authority.substring(colon + 1);
            if (!isHostName(host))
            {
                throw new InvalidSettingException(key, text,
                    "expected a host name or IPv4 address (letters, digits, - and .) after smtp://, then :port");
            }
        }
        final int port;
        try
        {
            port = portText == null ? DEFAULT_SMTP_PORT : Integer.parseInt(portText);
        }
        catch (final NumberFormatException ex)
        {
            throw new InvalidSettingException(key, text, "expected a port number from 1 to 65535 after the host");
        }
        if (port < 1 || port > 65_535)
        {
            throw new InvalidSettingException(key, text, "expected a port number from 1 to 65535 after the host");
        }
        return new Smtp(host, port);
    }

    private static boolean isHostName(final String host)
    {
        if (host.isEmpty() || host.length() > 253 || host.startsWith(".") || host.startsWith("-") || host.contains(".."))
        {
            return false;
        }
        return host.chars().allMatch(c -> c < 128 && (Character.isLetterOrDigit(c) || c == '-' || c == '.' || c == '_'));
    }
}
