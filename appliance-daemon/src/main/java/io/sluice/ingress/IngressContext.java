package io.sluice.ingress;

import java.net.InetSocketAddress;
import java.util.List;

import io.sluice.config.InvalidSettingException;
import io.sluice.config.Setting;
import io.sluice.net.Cidr;

/**
 * The SMTP listener's settings: each key with its default side by side, validated in {@link #conclude()}
 * with errors that name the key. Every limit has a configured value and a precise reply (see {@link SmtpReply}).
 */
public final class IngressContext
{
    private static final String ACCEPT_OR_TEMPFAIL = "accept or tempfail";

    public static final Setting<String> LISTEN = Setting.ofString("smtp.listen", "127.0.0.1:2525")
        .checkedWith("address:port with a literal address, e.g. 127.0.0.1:2525 or [::1]:25")
        .doc("Where to listen: address:port. The default keeps a newcomer's daemon on loopback and off port "
            + "25.")
        .build();
    public static final Setting<String> HOSTNAME = Setting.ofString("smtp.hostname", "sluice.localdomain")
        .check(name -> !name.isBlank() && name.matches("[A-Za-z0-9.-]+"), "a host name (letters, digits, dots, hyphens)")
        .doc("The name in the greeting, the EHLO reply and the `Received:` header.")
        .build();
    /** Expect a PROXY protocol v1/v2 header first, from the listed proxies only (a load balancer in front). */
    public static final Setting<Boolean> PROXY_PROTOCOL = Setting.ofBoolean("smtp.proxyProtocol", false)
        .doc("Behind a load balancer: expect a PROXY protocol v1/v2 header, and only from these proxies.")
        .build();
    public static final Setting<String> TRUSTED_PROXIES = Setting.ofString("smtp.trustedProxies", "")
        .expecting("comma-separated CIDRs; at least one when `smtp.proxyProtocol=true`")
        .doc("The proxies (CIDRs) a PROXY header is accepted from; anyone else is closed without a greeting.")
        .build();
    /** RFC 5321 §4.5.3.1.4 allows 512 for a command line; extensions (SIZE, SMTPUTF8 addresses) need more. */
    public static final Setting<Integer> MAX_LINE_LENGTH = Setting.ofInt("smtp.maxLineLength", 2048)
        .range(512, 1 << 20)
        .doc("Command line limit (500 5.5.2 beyond it).")
        .build();
    public static final Setting<Long> MAX_MESSAGE_BYTES = Setting.ofLong("smtp.maxMessageBytes", 50L << 20)
        .range(1024, Integer.MAX_VALUE - (1 << 20))
        .doc("Advertised as SIZE; larger messages get 552 5.3.4. Keep it under spool.maxMessageBytes.")
        .build();
    public static final Setting<Integer> MAX_RECIPIENTS = Setting.ofInt("smtp.maxRecipients", 1000)
        .range(1, 100_000)
        .doc("Recipients per message (452 4.5.3 beyond it).")
        .build();
    public static final Setting<Integer> MAX_COMMANDS = Setting.ofInt("smtp.maxCommandsPerSession", 10_000)
        .range(10, Integer.MAX_VALUE)
        .doc("Commands one session may send; beyond it every command is refused.")
        .build();
    public static final Setting<Integer> MAX_BAD_COMMANDS = Setting.ofInt("smtp.maxBadCommands", 10)
        .range(1, 1000)
        .doc("Syntax errors tolerated before 421 and disconnect.")
        .build();
    /** RFC 5321 §4.5.3.2.7: a server should wait at least 5 minutes for the next command. */
    public static final Setting<Long> IDLE_TIMEOUT_MS = Setting.ofLong("smtp.idleTimeoutMs", 300_000)
        .range(100, 3_600_000)
        .doc("RFC 5321 section 4.5.3.2.7: at least 5 minutes for the next command.")
        .build();
    /** Total time allowed for one DATA: a slow-drip client holds a connection no longer than this. */
    public static final Setting<Long> DATA_TIMEOUT_MS = Setting.ofLong("smtp.dataTimeoutMs", 600_000)
        .range(100, 86_400_000)
        .doc("Total time for one DATA, against slow-drip clients.")
        .build();
    public static final Setting<Integer> MAX_CONNECTIONS = Setting.ofInt("smtp.maxConnections", 10_000)
        .range(1, 1_000_000)
        .doc("Concurrent connections overall and per client address (`421 4.7.0` beyond).")
        .build();
    public static final Setting<Integer> MAX_CONNECTIONS_PER_IP = Setting.ofInt("smtp.maxConnectionsPerIp", 50)
        .atLeast(1)
        .checkedWith("at most `smtp.maxConnections`")
        .doc("(per client address, see `smtp.maxConnections`)")
        .build();
    /**
     * The daemon's default; a context built in code takes one thread per processor. One loop: on the 2-core appliance a
     * second one cost more event-loop CPU per accepted message for no more messages a second (issue 21, session 8,
     * smtp-source with a connection per message; docs/admission.md has the figures): two loops each slept and woke for
     * fewer events.
     */
    public static final Setting<Integer> EVENT_LOOP_THREADS = Setting.ofInt("smtp.eventLoopThreads", 1)
        .range(1, 256)
        .doc("Netty event loop threads of the SMTP server. One takes thousands of connections and costs the least CPU a"
            + " message on a 2-core appliance (see admission.md); more suit many cores with TLS-heavy ingress.")
        .build();
    /** Set by an operator through JMX (kept across restarts): tempfail every new session and transaction. */
    public static final Setting<Boolean> PAUSED = Setting.ofBoolean("smtp.paused", false)
        .doc("Operators pause ingress through JMX (kept in control.properties); true tempfails every new session.")
        .build();
    /**
     * A recipient the route's upstream could not be asked about (unreachable, too slow, over the probe budget): accept
     * it, as if verification were off, or tempfail it ({@code 450 4.4.3}). Accept by default: riding out an upstream
     * outage is what a spool is for, so verification never turns one into refused mail.
     */
    public static final Setting<UnverifiedAction> VERIFY_ON_UNREACHABLE =
        Setting.ofEnum("recipients.verify.onUnreachable", UnverifiedAction.class, UnverifiedAction.ACCEPT, ACCEPT_OR_TEMPFAIL)
        .doc("An unverified recipient (upstream unreachable, too slow, over the budget, or refusing the probe "
            + "for policy): `accept` it as if verification were off, or `tempfail` it (`450 4.4.3`).")
        .build();
    /**
     * A recipient the upstream answered {@code 4xx}: accept it (delivery retries as for any deferral) or tempfail it
     * ({@code 450 4.1.1}). Accept by default: a provider's 4xx is often throttling, which the spool is there to absorb.
     */
    public static final Setting<UnverifiedAction> VERIFY_ON_TEMPFAIL =
        Setting.ofEnum("recipients.verify.onTempfail", UnverifiedAction.class, UnverifiedAction.ACCEPT, ACCEPT_OR_TEMPFAIL)
        .doc("A recipient the upstream answered `4xx`: `accept` (delivery retries it like any deferral) or "
            + "`tempfail` (`450 4.1.1`).")
        .build();

    /** What RCPT answers when recipient verification gives no verdict. */
    public enum UnverifiedAction
    {
        /** Take the recipient, as if it were not verified at all. */
        ACCEPT,
        /** Answer {@code 450}: the client keeps the mail and tries again. */
        TEMPFAIL;
    }

    /** Every declaration above, in the order the configuration reference lists them. */
    public static final List<Setting<?>> SETTINGS = List.of(LISTEN, HOSTNAME, PROXY_PROTOCOL, TRUSTED_PROXIES, MAX_LINE_LENGTH,
        MAX_MESSAGE_BYTES, MAX_RECIPIENTS, MAX_COMMANDS, MAX_BAD_COMMANDS, IDLE_TIMEOUT_MS, DATA_TIMEOUT_MS, MAX_CONNECTIONS,
        MAX_CONNECTIONS_PER_IP, EVENT_LOOP_THREADS, PAUSED);

    private InetSocketAddress listen = parseListen(LISTEN.defaultValue());
    private String hostname = HOSTNAME.defaultValue();
    private boolean proxyProtocol;
    private List<Cidr> trustedProxies = List.of();
    private int maxLineLength = MAX_LINE_LENGTH.defaultValue();
    private long maxMessageBytes = MAX_MESSAGE_BYTES.defaultValue();
    private int maxRecipients = MAX_RECIPIENTS.defaultValue();
    private int maxCommands = MAX_COMMANDS.defaultValue();
    private int maxBadCommands = MAX_BAD_COMMANDS.defaultValue();
    private long idleTimeoutMs = IDLE_TIMEOUT_MS.defaultValue();
    private long dataTimeoutMs = DATA_TIMEOUT_MS.defaultValue();
    private int maxConnections = MAX_CONNECTIONS.defaultValue();
    private int maxConnectionsPerIp = MAX_CONNECTIONS_PER_IP.defaultValue();
    private int eventLoopThreads = Runtime.getRuntime().availableProcessors();
    private boolean paused;
    private UnverifiedAction verifyOnUnreachable = VERIFY_ON_UNREACHABLE.defaultValue();
    private UnverifiedAction verifyOnTempfail = VERIFY_ON_TEMPFAIL.defaultValue();

    /**
     * @param text {@code host:port} or {@code [v6]:port}; the host must be a literal address.
     * @throws InvalidSettingException naming {@link #LISTEN}.
     */
    public static InetSocketAddress parseListen(final String text)
    {
        return parseListen(LISTEN.key(), text);
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
        HOSTNAME.validate(hostname);
        if (proxyProtocol && trustedProxies.isEmpty())
        {
            throw TRUSTED_PROXIES.invalid("", "at least one proxy address when " + PROXY_PROTOCOL + "=true");
        }
        MAX_LINE_LENGTH.validate(maxLineLength);
        MAX_MESSAGE_BYTES.validate(maxMessageBytes);
        MAX_RECIPIENTS.validate(maxRecipients);
        MAX_COMMANDS.validate(maxCommands);
        MAX_BAD_COMMANDS.validate(maxBadCommands);
        IDLE_TIMEOUT_MS.validate(idleTimeoutMs);
        DATA_TIMEOUT_MS.validate(dataTimeoutMs);
        MAX_CONNECTIONS.validate(maxConnections);
        if (MAX_CONNECTIONS_PER_IP.validate(maxConnectionsPerIp) > maxConnections)
        {
            throw MAX_CONNECTIONS_PER_IP.invalid(maxConnectionsPerIp, "1 to " + maxConnections);
        }
        EVENT_LOOP_THREADS.validate(eventLoopThreads);
        VERIFY_ON_UNREACHABLE.validate(verifyOnUnreachable);
        VERIFY_ON_TEMPFAIL.validate(verifyOnTempfail);
        return this;
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
