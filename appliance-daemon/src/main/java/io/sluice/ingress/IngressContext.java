package io.sluice.ingress;

import java.net.InetSocketAddress;
import java.util.List;

import io.sluice.config.InvalidSettingException;
import io.sluice.net.Cidr;

/**
 * The SMTP listener's settings: each key with its default side by side, validated in {@link #conclude()}
 * with errors that name the key. Every limit has a configured value and a precise reply (see {@link SmtpReply}).
 */
public final class IngressContext
{
    public static final String LISTEN = "smtp.listen";
    public static final String DEFAULT_LISTEN = "127.0.0.1:2525";
    public static final String HOSTNAME = "smtp.hostname";
    public static final String DEFAULT_HOSTNAME = "sluice.localdomain";
    /** Expect a PROXY protocol v1/v2 header first, from the listed proxies only (a load balancer in front). */
    public static final String PROXY_PROTOCOL = "smtp.proxyProtocol";
    public static final String TRUSTED_PROXIES = "smtp.trustedProxies";
    /** RFC 5321 §4.5.3.1.4 allows 512 for a command line; extensions (SIZE, SMTPUTF8 addresses) need more. */
    public static final String MAX_LINE_LENGTH = "smtp.maxLineLength";
    public static final int DEFAULT_MAX_LINE_LENGTH = 2048;
    public static final String MAX_MESSAGE_BYTES = "smtp.maxMessageBytes";
    public static final long DEFAULT_MAX_MESSAGE_BYTES = 50L << 20;
    public static final String MAX_RECIPIENTS = "smtp.maxRecipients";
    public static final int DEFAULT_MAX_RECIPIENTS = 1000;
    public static final String MAX_COMMANDS = "smtp.maxCommandsPerSession";
    public static final int DEFAULT_MAX_COMMANDS = 10_000;
    public static final String MAX_BAD_COMMANDS = "smtp.maxBadCommands";
    public static final int DEFAULT_MAX_BAD_COMMANDS = 10;
    /** RFC 5321 §4.5.3.2.7: a server should wait at least 5 minutes for the next command. */
    public static final String IDLE_TIMEOUT_MS = "smtp.idleTimeoutMs";
    public static final long DEFAULT_IDLE_TIMEOUT_MS = 300_000;
    /** Total time allowed for one DATA: a slow-drip client holds a connection no longer than this. */
    public static final String DATA_TIMEOUT_MS = "smtp.dataTimeoutMs";
    public static final long DEFAULT_DATA_TIMEOUT_MS = 600_000;
    public static final String MAX_CONNECTIONS = "smtp.maxConnections";
    public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
    public static final String MAX_CONNECTIONS_PER_IP = "smtp.maxConnectionsPerIp";
    public static final int DEFAULT_MAX_CONNECTIONS_PER_IP = 50;
    public static final String EVENT_LOOP_THREADS = "smtp.eventLoopThreads";
    /** Set by an operator through JMX (kept across restarts): tempfail every new session and transaction. */
    public static final String PAUSED = "smtp.paused";
    /**
     * A recipient the route's upstream could not be asked about (unreachable, too slow, over the probe budget): accept
     * it, as if verification were off, or tempfail it ({@code 450 4.4.3}). Accept by default: riding out an upstream
     * outage is what a spool is for, so verification never turns one into refused mail.
     */
    public static final String VERIFY_ON_UNREACHABLE = "recipients.verify.onUnreachable";
    public static final UnverifiedAction DEFAULT_VERIFY_ON_UNREACHABLE = UnverifiedAction.ACCEPT;
    /**
     * A recipient the upstream answered {@code 4xx}: accept it (delivery retries as for any deferral) or tempfail it
     * ({@code 450 4.1.1}). Accept by default: a provider's 4xx is often throttling, which the spool is there to absorb.
     */
    public static final String VERIFY_ON_TEMPFAIL = "recipients.verify.onTempfail";
    public static final UnverifiedAction DEFAULT_VERIFY_ON_TEMPFAIL = UnverifiedAction.ACCEPT;

    /** What RCPT answers when recipient verification gives no verdict. */
    public enum UnverifiedAction
    {
        /** Take the recipient, as if it were not verified at all. */
        ACCEPT,
        /** Answer {@code 450}: the client keeps the mail and tries again. */
        TEMPFAIL;

        /**
         * @throws InvalidSettingException naming {@code key} unless the text is {@code accept} or {@code tempfail}.
         */
        public static UnverifiedAction parse(final String key, final String text)
        {
            for (final UnverifiedAction action : values())
            {
                if (action.name().equalsIgnoreCase(text == null ? "" : text.trim()))
                {
                    return action;
                }
            }
            throw new InvalidSettingException(key, text, "expected accept or tempfail");
        }
    }

    private InetSocketAddress listen = parseListen(DEFAULT_LISTEN);
    private String hostname = DEFAULT_HOSTNAME;
    private boolean proxyProtocol;
    private List<Cidr> trustedProxies = List.of();
    private int maxLineLength = DEFAULT_MAX_LINE_LENGTH;
    private long maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
    private int maxRecipients = DEFAULT_MAX_RECIPIENTS;
    private int maxCommands = DEFAULT_MAX_COMMANDS;
    private int maxBadCommands = DEFAULT_MAX_BAD_COMMANDS;
    private long idleTimeoutMs = DEFAULT_IDLE_TIMEOUT_MS;
    private long dataTimeoutMs = DEFAULT_DATA_TIMEOUT_MS;
    private int maxConnections = DEFAULT_MAX_CONNECTIONS;
    private int maxConnectionsPerIp = DEFAULT_MAX_CONNECTIONS_PER_IP;
    private int eventLoopThreads = Runtime.getRuntime().availableProcessors();
    private boolean paused;
    private UnverifiedAction verifyOnUnreachable = DEFAULT_VERIFY_ON_UNREACHABLE;
    private UnverifiedAction verifyOnTempfail = DEFAULT_VERIFY_ON_TEMPFAIL;

    /**
     * @param text {@code host:port} or {@code [v6]:port}; the host must be a literal address.
     * @throws InvalidSettingException naming {@link #LISTEN}.
     */
    public static InetSocketAddress parseListen(final String text)
    {
        return parseListen(LISTEN, text);
    }

    /**
     * @param key  the setting's key, for the error (another listener's, e.g. {@code metrics.listen})
     * @param text {@code host:port} or {@code [v6]:port}; the host must be a literal address.
     * @throws InvalidSettingException naming {@code key}.
     */
    public static InetSocketAddress parseListen(final String key, final String text)
    {
        final int colon = text.lastIndexOf(':');
        if (colon <= 0)
        {
            throw new InvalidSettingException(key, text, "expected address:port, e.g. 127.0.0.1:2525 or [::1]:25");
        }
        String host = text.substring(0, colon).trim();
        if (host.startsWith("[") && host.endsWith("]"))
        {
            host = host.substring(1, host.length() - 1);
        }
        final int port;
        try
        {
            port = Integer.parseInt(text.substring(colon + 1).trim());
        }
        catch (final NumberFormatException ex)
        {
            throw new InvalidSettingException(key, text, "expected a port number after the last ':'");
        }
        if (port < 0 || port > 65_535)
        {
            throw new InvalidSettingException(key, text, "expected a port from 0 to 65535");
        }
        final Cidr address = Cidr.parse(key, host);
        return new InetSocketAddress(address.toString().substring(0, address.toString().indexOf('/')), port);
    }

    public IngressContext conclude()
    {
        if (hostname == null || hostname.isBlank() || !hostname.matches("[A-Za-z0-9.-]+"))
        {
            throw new InvalidSettingException(HOSTNAME, hostname, "expected a host name (letters, digits, dots, hyphens)");
        }
        if (proxyProtocol && trustedProxies.isEmpty())
        {
            throw new InvalidSettingException(
                TRUSTED_PROXIES, "", "expected at least one proxy address when " + PROXY_PROTOCOL + "=true");
        }
        requireRange(MAX_LINE_LENGTH, maxLineLength, 512, 1 << 20);
        requireRange(MAX_MESSAGE_BYTES, maxMessageBytes, 1024, Integer.MAX_VALUE - (1 << 20));
        requireRange(MAX_RECIPIENTS, maxRecipients, 1, 100_000);
        requireRange(MAX_COMMANDS, maxCommands, 10, Integer.MAX_VALUE);
        requireRange(MAX_BAD_COMMANDS, maxBadCommands, 1, 1000);
        requireRange(IDLE_TIMEOUT_MS, idleTimeoutMs, 100, 3_600_000);
        requireRange(DATA_TIMEOUT_MS, dataTimeoutMs, 100, 86_400_000);
        requireRange(MAX_CONNECTIONS, maxConnections, 1, 1_000_000);
        requireRange(MAX_CONNECTIONS_PER_IP, maxConnectionsPerIp, 1, maxConnections);
        requireRange(EVENT_LOOP_THREADS, eventLoopThreads, 1, 256);
        if (verifyOnUnreachable == null)
        {
            throw new InvalidSettingException(VERIFY_ON_UNREACHABLE, null, "expected accept or tempfail");
        }
        if (verifyOnTempfail == null)
        {
            throw new InvalidSettingException(VERIFY_ON_TEMPFAIL, null, "expected accept or tempfail");
        }
        return this;
    }

    private static void requireRange(final String key, final long value, final long min, final long max)
    {
        if (value < min || value > max)
        {
            throw new InvalidSettingException(key, value, "expected " + min + " to " + max);
        }
    }

    public IngressContext listen(final InetSocketAddress listen)
    {
        this.listen = listen;
        return this;
    }

    public InetSocketAddress listen()
    {
        return listen;
    }

    public IngressContext hostname(final String hostname)
    {
        this.hostname = hostname;
        return this;
    }

    public String hostname()
    {
        return hostname;
    }

    public IngressContext proxyProtocol(final boolean proxyProtocol)
    {
        this.proxyProtocol = proxyProtocol;
        return this;
    }

    public boolean proxyProtocol()
    {
        return proxyProtocol;
    }

    public IngressContext trustedProxies(final List<Cidr> trustedProxies)
    {
        this.trustedProxies = List.copyOf(trustedProxies);
        return this;
    }

    public List<Cidr> trustedProxies()
    {
        return trustedProxies;
    }

    public IngressContext maxLineLength(final int maxLineLength)
    {
        this.maxLineLength = maxLineLength;
        return this;
    }

    public int maxLineLength()
    {
        return maxLineLength;
    }

    public IngressContext maxMessageBytes(final long maxMessageBytes)
    {
        this.maxMessageBytes = maxMessageBytes;
        return this;
    }

    public long maxMessageBytes()
    {
        return maxMessageBytes;
    }

    public IngressContext maxRecipients(final int maxRecipients)
    {
        this.maxRecipients = maxRecipients;
        return this;
    }

    public int maxRecipients()
    {
        return maxRecipients;
    }

    public IngressContext maxCommands(final int maxCommands)
    {
        this.maxCommands = maxCommands;
        return this;
    }

    public int maxCommands()
    {
        return maxCommands;
    }

    public IngressContext maxBadCommands(final int maxBadCommands)
    {
        this.maxBadCommands = maxBadCommands;
        return this;
    }

    public int maxBadCommands()
    {
        return maxBadCommands;
    }

    public IngressContext idleTimeoutMs(final long idleTimeoutMs)
    {
        this.idleTimeoutMs = idleTimeoutMs;
        return this;
    }

    public long idleTimeoutMs()
    {
        return idleTimeoutMs;
    }

    public IngressContext dataTimeoutMs(final long dataTimeoutMs)
    {
        this.dataTimeoutMs = dataTimeoutMs;
        return this;
    }

    public long dataTimeoutMs()
    {
        return dataTimeoutMs;
    }

    public IngressContext maxConnections(final int maxConnections)
    {
        this.maxConnections = maxConnections;
        return this;
    }

    public int maxConnections()
    {
        return maxConnections;
    }

    public IngressContext maxConnectionsPerIp(final int maxConnectionsPerIp)
    {
        this.maxConnectionsPerIp = maxConnectionsPerIp;
        return this;
    }

    public int maxConnectionsPerIp()
    {
        return maxConnectionsPerIp;
    }

    public IngressContext paused(final boolean paused)
    {
        this.paused = paused;
        return this;
    }

    public boolean paused()
    {
        return paused;
    }

    public IngressContext eventLoopThreads(final int eventLoopThreads)
    {
        this.eventLoopThreads = eventLoopThreads;
        return this;
    }

    public int eventLoopThreads()
    {
        return eventLoopThreads;
    }

    public IngressContext verifyOnUnreachable(final UnverifiedAction verifyOnUnreachable)
    {
        this.verifyOnUnreachable = verifyOnUnreachable;
        return this;
    }

    public UnverifiedAction verifyOnUnreachable()
    {
        return verifyOnUnreachable;
    }

    public IngressContext verifyOnTempfail(final UnverifiedAction verifyOnTempfail)
    {
        this.verifyOnTempfail = verifyOnTempfail;
        return this;
    }

    public UnverifiedAction verifyOnTempfail()
    {
        return verifyOnTempfail;
    }
}
