package io.sluice.control.cli;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import io.sluice.ingress.auth.AuthContext;
import io.sluice.ingress.auth.AuthUser;
import io.sluice.ingress.auth.PasswordHash;
import io.sluice.ingress.auth.UsersFile;
import io.sluice.text.Json;

/**
 * {@code sluice user add|passwd|remove|list}: edits the {@code auth.usersFile} directly, daemon running or not; a
 * running daemon sees the change within seconds (it watches the file) and refuses a file that does not parse. The
 * file is replaced whole (temporary sibling, fsync, rename) under a lock file beside it, so two operators' edits do
 * not undo each other and the daemon never reads half a file. A password is read from the terminal (twice), or
 * without one from the first line of standard input; never from the command line, where {@code ps} and the shell's
 * history would show it.
 *
 * <p>Exit codes: 0 done; 1 refused (a user that exists already, or does not); 2 usage error; 3 the file cannot be read
 * or written.
 */
final class UserCommands
{
    private static final String USAGE = "user add NAME --tenant T [--domains D1,D2] [--rate N/min] | user passwd NAME"
        + " | user remove NAME | user list  [--file USERS_FILE | --config FILE] [--json]";
    /** Options that take a value, so the scan for the command word skips their values. */
    private static final Set<String> VALUED = Set.of("--config", "--socket", "--jmx", "--user", "--password-file",
        "--truststore", "--truststore-password-file", "--for", "--route", "--tenant", "--source", "--note", "--file",
        "--domains", "--rate");
    private static final int MIN_PASSWORD = 8;
    private static final int MAX_PASSWORD = 1024;

    private final List<String> operands = new ArrayList<>();
    private final Map<String, String> options = new LinkedHashMap<>();
    private boolean json;

    private UserCommands()
    {
    }

    /** @return whether the command word of {@code args} is {@code user}. */
    static boolean isUserCommand(final String[] args)
    {
        for (int i = 0; i < args.length; i++)
        {
            if (VALUED.contains(args[i]))
            {
                i++;
            }
            else if (!args[i].startsWith("-"))
            {
                return "user".equals(args[i]);
            }
        }
        return false;
    }

    static int run(final String[] args, final InputStream in, final PrintStream out, final PrintStream err)
    {
        final UserCommands command = new UserCommands();
        try
        {
            command.parse(args);
            return command.execute(in, out);
        }
        catch (final CommandException ex)
        {
            err.println("sluice user: " + ex.getMessage());
            if (ex.exitCode() == SluiceCommand.EXIT_USAGE)
            {
                err.println("usage: sluice " + USAGE);
            }
            return ex.exitCode();
        }
        catch (final IOException ex)
        {
            err.println("sluice user: " + ex.getMessage());
            return SluiceCommand.EXIT_UNREACHABLE;
        }
    }

    private void parse(final String[] args) throws CommandException
    {
        boolean seenCommand = false;
        for (int i = 0; i < args.length; i++)
        {
            final String arg = args[i];
            final int eq = arg.startsWith("--") ? arg.indexOf('=') : -1;
            final String option = eq > 0 ? arg.substring(0, eq) : arg;
            if ("--json".equals(option))
            {
                json = true;
            }
            else if (Set.of("--config", "--file", "--tenant", "--domains", "--rate").contains(option))
            {
                final String value = eq > 0 ? arg.substring(eq + 1) : i + 1 < args.length ? args[++i] : null;
                if (value == null || value.isEmpty())
                {
                    throw CommandException.usage(option + " needs a value");
                }
                if (options.put(option.substring(2), value) != null)
                {
                    throw CommandException.usage(option + " given twice");
                }
            }
            else if (option.startsWith("-"))
            {
                throw CommandException.usage("unknown option for user: " + arg);
            }
            else if (!seenCommand)
            {
                seenCommand = true;
            }
            else
            {
                operands.add(arg);
            }
        }
        if (operands.isEmpty())
        {
            throw CommandException.usage("user expects add, passwd, remove or list");
        }
        final String action = operands.get(0);
        final int expected = "list".equals(action) ? 1 : 2;
        if (!Set.of("add", "passwd", "remove", "list").contains(action))
        {
            throw CommandException.usage("user expects add, passwd, remove or list, not " + action);
        }
        if (operands.size() != expected)
        {
            throw CommandException.usage("user " + action + (expected == 1 ? " takes no name" : " expects one user name"));
        }
        if (expected == 2 && !AuthUser.isValidName(operands.get(1)))
        {
            throw CommandException.usage("a user name is 1 to 128 of A-Z a-z 0-9 . _ @ + -, not " + operands.get(1));
        }
        final boolean adding = "add".equals(action);
        if (adding && options.get("tenant") == null)
        {
            throw CommandException.usage("user add needs --tenant T: the tenant the user's mail belongs to");
        }
        if (!adding && (options.containsKey("tenant") || options.containsKey("domains") || options.containsKey("rate")))
        {
            throw CommandException.usage("--tenant, --domains and --rate belong to user add");
        }
    }

    private int execute(final InputStream in, final PrintStream out) throws CommandException, IOException
    {
        final Path path = usersFile();
        final String action = operands.get(0);
        if ("list".equals(action))
        {
            final UsersFile file = Files.exists(path) ? read(path) : UsersFile.empty(path);
            print(out, list(file), Map.of("file", path.toString(), "users", rows(file)));
            return SluiceCommand.EXIT_OK;
        }
        final String name = operands.get(1);
        final Path lockPath = path.resolveSibling(path.getFileName() + ".lock");
        try (FileChannel lockFile = FileChannel.open(lockPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = lockFile.lock())
        {
            final UsersFile file = Files.exists(path) ? read(path) : UsersFile.empty(path);
            final AuthUser existing = file.users().get(name);
            final String text = switch (action)
            {
                case "add" ->
                {
                    if (existing != null)
                    {
                        throw CommandException.refused("user " + name + " exists already (sluice user passwd " + name
                            + " changes the password)");
                    }
                    final AuthUser user = newUser(name, in);
                    file.withUser(user).write();
                    yield "user " + name + " added to " + path + " (tenant " + user.tenant() + ")";
                }
                case "passwd" ->
                {
                    requireExisting(existing, name);
                    file.withUser(existing.withHash(hash(in))).write();
                    yield "password of user " + name + " changed in " + path;
                }
                default ->
                {
                    requireExisting(existing, name);
                    file.without(name).write();
                    yield "user " + name + " removed from " + path;
                }
            };
            print(out, List.of(text + "; a running daemon reads the file again within seconds"),
                Map.of("file", path.toString(), "user", name, "action", action));
            return SluiceCommand.EXIT_OK;
        }
    }

    private static void requireExisting(final AuthUser existing, final String name) throws CommandException
    {
        if (existing == null)
        {
            throw CommandException.refused("no user " + name + " (sluice user list shows them)");
        }
    }

    private AuthUser newUser(final String name, final InputStream in) throws CommandException, IOException
    {
        final String tenant = options.get("tenant");
        if (!AuthUser.isValidTenant(tenant))
        {
            throw CommandException.usage("--tenant expects 1 to 64 of A-Z a-z 0-9 _ -, not " + tenant);
        }
        try
        {
            final Set<String> domains = options.containsKey("domains") ? UsersFile.domains(options.get("domains")) : Set.of();
            final AuthUser.Rate rate = options.containsKey("rate") ? AuthUser.Rate.parse(options.get("rate")) : null;
            return new AuthUser(name, hash(in), tenant, domains, rate);
        }
        catch (final IllegalArgumentException ex)
        {
            throw CommandException.usage(ex.getMessage());
        }
    }

    /** Reads the password (terminal: twice; else the first line of stdin), hashes it and wipes it. */
    private static PasswordHash hash(final InputStream in) throws CommandException, IOException
    {
        final char[] password = readPassword(in);
        try
        {
            if (password.length < MIN_PASSWORD || password.length > MAX_PASSWORD)
            {
                throw CommandException.usage("a password has " + MIN_PASSWORD + " to " + MAX_PASSWORD + " characters");
            }
            return PasswordHash.of(password, PasswordHash.DEFAULT_ITERATIONS);
        }
        finally
        {
            Arrays.fill(password, '\0');
        }
    }

    private static char[] readPassword(final InputStream in) throws CommandException, IOException
    {
        final Console console = in == System.in ? System.console() : null;
        if (console != null)
        {
            final char[] first = console.readPassword("password: ");
            final char[] again = console.readPassword("again: ");
            if (first == null || again == null || !Arrays.equals(first, again))
            {
                throw CommandException.usage("the two passwords differ");
            }
            Arrays.fill(again, '\0');
            return first;
        }
        final BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        final String line = reader.readLine();
        if (line == null)
        {
            throw CommandException.usage("no password on standard input (one line)");
        }
        return line.toCharArray();
    }

    /** {@code --file}, else {@code auth.usersFile} from {@code --config} or the service's settings file. */
    private Path usersFile() throws CommandException
    {
        if (options.containsKey("file"))
        {
            return Path.of(options.get("file"));
        }
        final Path config = options.containsKey("config") ? Path.of(options.get("config")) : Invocation.DEFAULT_CONFIG;
        final Properties properties = new Properties();
        try (InputStream file = Files.newInputStream(config))
        {
            properties.load(file);
        }
        catch (final IOException ex)
        {
            throw CommandException.usage("cannot read " + config + " for " + AuthContext.USERS_FILE.key() + " (" + ex
                + "); give the users file with --file");
        }
        final String users = properties.getProperty(AuthContext.USERS_FILE.key(), "").trim();
        if (users.isEmpty())
        {
            throw CommandException.usage(config + " sets no " + AuthContext.USERS_FILE.key() + "; set it there (the daemon"
                + " reads it) or give the file with --file");
        }
        return Path.of(users);
    }

    private static UsersFile read(final Path path) throws CommandException, IOException
    {
        try
        {
            return UsersFile.read(path);
        }
        catch (final IllegalArgumentException ex)
        {
            throw CommandException.refused(ex.getMessage() + "; mend that line first");
        }
    }

    private static List<String> list(final UsersFile file)
    {
        final List<String> lines = new ArrayList<>();
        lines.add(String.format("%-32s %-16s %-10s %s", "USER", "TENANT", "RATE", "DOMAINS"));
        for (final AuthUser user : file.users().values().stream().sorted((a, b) -> a.name().compareTo(b.name())).toList())
        {
            lines.add(String.format("%-32s %-16s %-10s %s", user.name(), user.tenant(),
                user.rate() == null ? "-" : user.rate().toString(), user.domains().isEmpty() ? "-" : String.join(",",
                    user.domains())));
        }
        return lines;
    }

    private static List<Map<String, Object>> rows(final UsersFile file)
    {
        final List<Map<String, Object>> rows = new ArrayList<>();
        for (final AuthUser user : file.users().values().stream().sorted((a, b) -> a.name().compareTo(b.name())).toList())
        {
            final Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", user.name());
            row.put("tenant", user.tenant());
            row.put("domains", List.copyOf(user.domains()));
            row.put("rate", user.rate() == null ? null : user.rate().toString());
            rows.add(row);
        }
        return rows;
    }

    private void print(final PrintStream out, final List<String> text, final Map<String, Object> document)
    {
        if (json)
        {
            out.println(Json.compact(document));
        }
        else
        {
            text.forEach(out::println);
        }
    }
}
