package io.sluice.control.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.sluice.control.JmxContext;
import io.sluice.queue.Durations;
import io.sluice.spool.SpoolContext;

/**
 * One parsed {@code sluice} command line. Options may stand before or after the subcommand, as
 * {@code --opt value} or {@code --opt=value}.
 *
 * @param command      the subcommand, or null with {@code --help} alone
 * @param operands     the subcommand's arguments
 * @param socket       the daemon's local console socket, or null for its TCP console ({@code --jmx})
 * @param host         the TCP console's address ({@code --jmx})
 * @param port         the TCP console's port
 * @param where        how the socket or address was chosen, for the "cannot connect" message
 * @param user         the TCP console's login name, or null on the socket (where the kernel says who one is)
 * @param passwordFile the file whose first line is the login's password
 * @param ssl          JMX over TLS: always, on the TCP console
 * @param trustStore   the certificates to trust over TLS, or null for the JVM's ({@code javax.net.ssl.trustStore})
 * @param trustStorePasswordFile the trust store's password on the first line, or null
 * @param json         one JSON document on stdout instead of text
 * @param blockFor     {@code block --for}: how long, or null for until unblocked
 * @param options      the subcommand's own options ({@code --route}, {@code --confirm}, ...) by name, without dashes
 * @param help         print usage and exit 0
 */
record Invocation(String command, List<String> operands, Path socket, String host, int port, String where, String user,
    Path passwordFile, boolean ssl, Path trustStore, Path trustStorePasswordFile, boolean json, Duration blockFor,
    Map<String, String> options, boolean help)
{
    /** Each subcommand option and the commands it belongs to. */
    private static final Map<String, Set<String>> COMMAND_OPTIONS = Map.ofEntries(
        Map.entry("--route", Set.of("drain", "queue")),
        Map.entry("--tenant", Set.of("drain", "queue")),
        Map.entry("--source", Set.of("drain")),
        Map.entry("--note", Set.of("hold")),
        Map.entry("--confirm", Set.of("purge", "quarantine", "queue")),
        Map.entry("--all", Set.of("quarantine")),
        Map.entry("--sender", Set.of("queue")),
        Map.entry("--recipient", Set.of("queue")),
        Map.entry("--older-than", Set.of("queue")),
        Map.entry("--state", Set.of("queue")),
        Map.entry("--limit", Set.of("queue")),
        Map.entry("--oldest", Set.of("queue")),
        Map.entry("--newest", Set.of("queue")),
        Map.entry("--body", Set.of("queue")));
    /** Subcommand options that are a yes, not a value. */
    private static final Set<String> FLAGS = Set.of("--all", "--oldest", "--newest", "--body");

    /** Read for {@code jmx.socket} when neither {@code --socket} nor {@code --jmx} is given and the file is readable. */
    static final Path DEFAULT_CONFIG = Path.of("/etc/sluice/sluice.properties");
    /** Where a daemon started by hand in this directory with the embedded defaults listens. */
    static final Path HAND_STARTED_SOCKET = Path.of("spool", JmxContext.SOCKET_FILE_NAME);

    private static final Pattern HOST_PORT = Pattern.compile("^(?:\\[([^\\]]+)]|([^:\\[\\]]*)):(\\d{1,5})$");

    static Invocation parse(final String... args) throws CommandException
    {
        String command = null;
        final List<String> operands = new ArrayList<>();
        String jmx = null;
        Path socket = null;
        String user = null;
        Path passwordFile = null;
        Path config = null;
        boolean ssl = false;
        Path trustStore = null;
        Path trustStorePasswordFile = null;
        final Map<String, String> options = new LinkedHashMap<>();
        boolean json = false;
        Duration blockFor = null;
        boolean help = false;
        for (int i = 0; i < args.length; i++)
        {
            final String arg = args[i];
            final int eq = arg.startsWith("--") ? arg.indexOf('=') : -1;
            final String option = eq > 0 ? arg.substring(0, eq) : arg;
            final String inline = eq > 0 ? arg.substring(eq + 1) : null;
            switch (option)
            {
                case "--jmx" -> jmx = inline != null ? inline : value(args, ++i, option);
                case "--socket" -> socket = Path.of(inline != null ? inline : value(args, ++i, option));
                case "--user" -> user = inline != null ? inline : value(args, ++i, option);
                case "--password-file" -> passwordFile = Path.of(inline != null ? inline : value(args, ++i, option));
                case "--config" -> config = Path.of(inline != null ? inline : value(args, ++i, option));
                case "--for" -> blockFor = duration(inline != null ? inline : value(args, ++i, option));
                case "--ssl" -> ssl = true;
                case "--truststore" -> trustStore = Path.of(inline != null ? inline : value(args, ++i, option));
                case "--truststore-password-file" ->
                    trustStorePasswordFile = Path.of(inline != null ? inline : value(args, ++i, option));
                case "--route", "--tenant", "--source", "--note", "--confirm", "--all", "--sender", "--recipient",
                    "--older-than", "--state", "--limit", "--oldest", "--newest", "--body" ->
                    i = subcommandOption(options, command, option, inline, args, i);
                case "--json" -> json = true;
                case "--help", "-h" -> help = true;
                default ->
                {
                    if (arg.startsWith("-") && arg.length() > 1 && !isNegativeNumber(arg))
                    {
                        throw CommandException.usage("unknown option: " + arg);
                    }
                    if (command == null)
                    {
                        command = arg;
                    }
                    else
                    {
                        operands.add(arg);
                    }
                }
            }
        }
        if (command == null && !help)
        {
            throw CommandException.usage("missing a command");
        }
        if (blockFor != null && !"block".equals(command))
        {
            throw CommandException.usage("--for belongs to block");
        }
        if (passwordFile != null && user == null)
        {
            throw CommandException.usage("--password-file needs --user");
        }
        if (jmx != null && socket != null)
        {
            throw CommandException.usage("--socket and --jmx: choose the local console or the TCP one");
        }
        if (jmx == null && (user != null || ssl || trustStore != null))
        {
            throw CommandException.usage("--user, --ssl and --truststore are for the TCP console (--jmx HOST:PORT); on the"
                + " local socket the kernel says who you are");
        }
        if (trustStorePasswordFile != null && trustStore == null)
        {
            throw CommandException.usage("--truststore-password-file needs --truststore");
        }
        for (final String option : options.keySet())
        {
            if (!COMMAND_OPTIONS.get("--" + option).contains(command))
            {
                throw CommandException.usage("--" + option + " belongs to "
                    + String.join(", ", COMMAND_OPTIONS.get("--" + option)));
            }
        }
        final Target target = target(jmx, socket, config);
        // The TCP console always speaks TLS (the daemon refuses to serve it otherwise).
        return new Invocation(command, List.copyOf(operands), target.socket, target.host, target.port, target.where, user,
            passwordFile, jmx != null, trustStore, trustStorePasswordFile, json, blockFor, Map.copyOf(options), help);
    }

    /** @return the index of the last argument used: {@code i}, or the next one when it was the option's value. */
    private static int subcommandOption(final Map<String, String> options, final String command, final String option,
        final String inline, final String[] args, final int i) throws CommandException
    {
        // quarantine's and queue's --confirm, --all and the like are a yes, not a value to repeat.
        final boolean flag = FLAGS.contains(option)
            || ("--confirm".equals(option) && ("quarantine".equals(command) || "queue".equals(command)));
        int last = i;
        final String value = flag ? "" : inline != null ? inline : value(args, ++last, option);
        if (options.put(option.substring(2), value) != null)
        {
            throw CommandException.usage(option + " given twice");
        }
        return last;
    }

    /** @return the subcommand option's value (name without dashes), or null if not given. */
    String option(final String name)
    {
        return options.get(name);
    }

    private record Target(Path socket, String host, int port, String where)
    {
    }

    /**
     * {@code --jmx} is the TCP console; otherwise the local socket: {@code --socket}, else {@code jmx.socket} from the
     * settings file ({@code --config}, or the service's when it is readable), else the service's socket when it exists,
     * else the one a daemon started by hand in this directory makes, else the service's (named in the error).
     */
    private static Target target(final String jmx, final Path socket, final Path config) throws CommandException
    {
        if (jmx != null)
        {
            final Matcher matcher = HOST_PORT.matcher(jmx);
            if (!matcher.matches())
            {
                throw CommandException.usage("--jmx expects host:port (or [v6-address]:port), got: " + jmx);
            }
            final String host = matcher.group(1) != null ? matcher.group(1) : matcher.group(2);
            final String address = host.isEmpty() ? JmxContext.HOST.defaultValue() : host;
            return new Target(null, address, port(matcher.group(3), "--jmx"), "--jmx");
        }
        if (socket != null)
        {
            return new Target(socket, null, 0, "--socket");
        }
        final Path file = config != null ? config : DEFAULT_CONFIG;
        if (config != null || Files.isReadable(file))
        {
            return new Target(configuredSocket(file), null, 0, file.toString());
        }
        final Path service = Path.of(JmxContext.SERVICE_SOCKET);
        if (!Files.exists(service) && Files.exists(HAND_STARTED_SOCKET))
        {
            return new Target(HAND_STARTED_SOCKET, null, 0, "the socket of a daemon started here");
        }
        return new Target(service, null, 0, "the service's socket");
    }

    private static Path configuredSocket(final Path file) throws CommandException
    {
        final Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(file))
        {
            properties.load(in);
        }
        catch (final IOException ex)
        {
            throw CommandException.usage("cannot read " + file + ": " + ex.getMessage());
        }
        final String socket = properties.getProperty(JmxContext.SOCKET.key(), "").trim();
        if (!socket.isEmpty())
        {
            return Path.of(socket);
        }
        return Path.of(properties.getProperty(SpoolContext.DIRECTORY.key(), "spool").trim()).resolve(JmxContext.SOCKET_FILE_NAME);
    }

    private static int port(final String text, final String source) throws CommandException
    {
        try
        {
            final int port = Integer.parseInt(text);
            if (port >= 1 && port <= 65_535)
            {
                return port;
            }
        }
        catch (final NumberFormatException ex)
        {
            // reported below
        }
        throw CommandException.usage(source + ": expected a port from 1 to 65535, got: " + text);
    }

    /** {@code 90s}, {@code 30m}, {@code 1h}, {@code 2d}, combinations such as {@code 1h30m}, or plain seconds. */
    static Duration duration(final String text) throws CommandException
    {
        final Duration total;
        try
        {
            total = Durations.parse(text);
        }
        catch (final IllegalArgumentException ex)
        {
            throw CommandException.usage("--for: " + ex.getMessage());
        }
        if (total.isZero())
        {
            throw CommandException.usage("--for must be longer than 0 s; leave it out to block until unblocked");
        }
        return total;
    }

    private static boolean isNegativeNumber(final String arg)
    {
        return arg.matches("-\\d+");
    }

    private static String value(final String[] args, final int index, final String option) throws CommandException
    {
        if (index >= args.length)
        {
            throw CommandException.usage(option + " needs a value");
        }
        return args[index];
    }

    /** @return operand {@code index}, or a usage error naming {@code what} is missing. */
    String operand(final int index, final String what) throws CommandException
    {
        if (index >= operands.size())
        {
            throw CommandException.usage(command + " needs " + what);
        }
        return operands.get(index);
    }

    /** Refuses operands beyond {@code count}. */
    void expectAtMost(final int count) throws CommandException
    {
        if (operands.size() > count)
        {
            throw CommandException.usage(command + ": unexpected argument " + operands.get(count));
        }
    }
}
