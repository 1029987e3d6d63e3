package io.sluice.control.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import io.sluice.control.JmxContext;
import io.sluice.control.LimitsControlMXBean;
import io.sluice.control.SpoolControlMXBean;
import io.sluice.control.TenantsControlMXBean;
import io.sluice.text.Json;

/**
 * {@code sluice}: the operator's shell console for a running daemon, over its local console socket (root and the
 * sluice-admin group, no password) or, with {@code --jmx}, its TLS TCP console with a login. Each subcommand is one
 * or a few MXBean calls; whatever the daemon refuses is shown with the daemon's own message.
 *
 * <p>Exit codes: 0 done; 1 the daemon refused (a malformed CIDR, an unknown block, a role without the right, bad
 * credentials); 2 usage error; 3 cannot reach the daemon (the message says where it tried).
 */
public final class SluiceCommand
{
    public static final int EXIT_OK = 0;
    public static final int EXIT_REFUSED = 1;
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_UNREACHABLE = 3;

    static final String USAGE = String.join(System.lineSeparator(),
        "usage: sluice [options] COMMAND [ARGS]",
        "commands:",
        "  queue [shape]         the backlog like Postfix qshape: pending per lane/route/tenant by age, oldest,",
        "                        drain rate (measured and allowed), ETA, each route's rate, connections, pause",
        "  queue list [FILTER] [--limit N] [--oldest|--newest]   pending messages one per line, like",
        "                        postqueue -j (default limit " + QueueCommands.DEFAULT_LIMIT
            + ", oldest first; says when there are more)",
        "                        FILTER: --tenant T --sender S --recipient R --route R --older-than D",
        "                        --state ready|deferred|held|paused (an address, a domain, or <> for the null sender)",
        "  queue show ID [--body]           one message: envelope, each recipient's state and last reply, size,",
        "                        age, lane, route, hold reason; --body prints its content from the journal",
        "  queue hold ID...|FILTER          keep messages in the spool, never sent until released; kept across",
        "                        restarts",
        "  queue release ID...|FILTER       send messages an operator held",
        "  queue requeue ID...|FILTER       retry deferred messages now (their attempts count stays)",
        "  queue delete ID...|FILTER [--confirm]   delete messages for good, no DSN; --confirm above one message",
        "  limits                default limits per key kind, per-key overrides, blocked networks",
        "  block CIDR [--for D]  refuse a network at connect (554 5.7.1); D like 90s, 30m, 1h, 1h30m, 2d",
        "                        (without --for: until unblocked)",
        "  unblock CIDR          lift a block (exit 1 if the network was not blocked)",
        "  pause                 stop taking new mail: connections get 421 4.3.2, senders retry later",
        "  resume                take new mail again",
        "  top [N]               the N busiest sources by recent volume (default 10), the worst reputations,",
        "                        and the addresses and users with failed SMTP AUTH (backing off or not)",
        "  tenants               each tenant's state (normal, held, paused), recent volume and rejection rates",
        "  hold TENANT [--note TEXT]       keep a tenant's mail in the spool (exit 1 if already held)",
        "  release TENANT        send a held tenant's mail again (exit 1 if it was not held)",
        "  purge TENANT --confirm TENANT   delete a held tenant's pending mail; irreversible, so the",
        "                        confirmation must repeat the tenant's name exactly",
        "  drain pause|resume [--route R | --tenant T | --source ADDR]",
        "                        stop or restart sending upstream: every route, one route, one tenant or",
        "                        one source; the mail stays in the spool; kept across restarts",
        "  retry                 retry every deferred message now instead of at its retry time",
        "  dsns [release [N]]    DSNs deferred over the bounce budget, waiting in the spool; release sends N of",
        "                        them (default all) now, oldest first, whatever the budget",
        "  quarantine [list]     mail kept home, never delivered until released: a demoted network's mail,",
        "                        spoofed mail with the quarantine action; each with its queue id and expiry",
        "  quarantine release ID...|--all   send quarantined messages on, in their own lane",
        "  quarantine delete ID... --confirm  delete quarantined messages for good (journaled PURGED)",
        "  rate ROUTE RATE BURST set a route's egress rate (messages/s) and burst; ends any back-off",
        "  connections ROUTE N   set a route's connection limit",
        "  config                every setting, its effective value and where it came from: default, file,",
        "                        --set or live (changed over JMX, kept in the spool's control.properties)",
        "  config forget KEY     drop KEY's live change so the file's value (or the default) applies again",
        "                        from the next restart (exit 1 for an unknown key or one without a live change)",
        "  spool verify DIR      offline, daemon stopped or not: read the spool folder DIR without writing to it",
        "                        and list its journal files, damaged spans and pending messages (exit 1 if damaged)",
        "  user add NAME --tenant T [--domains D1,D2] [--rate N/min]   a user who may send with SMTP AUTH;",
        "                        the password is asked on the terminal (or read from stdin's first line)",
        "  user passwd NAME      change a user's password      user remove NAME   remove a user",
        "  user list             the users, their tenants, rates and domains",
        "                        user edits auth.usersFile (from --config, or --file FILE) with the daemon",
        "                        running or not; a running daemon reads it again within seconds",
        "options:",
        "  --socket PATH         the daemon's local console socket (default: jmx.socket from " + Invocation.DEFAULT_CONFIG,
        "                        when readable, else " + JmxContext.SERVICE_SOCKET + "); root and the sluice-admin group",
        "  --config FILE         read jmx.socket (or spool.directory) from this settings file",
        "  --jmx HOST:PORT       the daemon's TCP console instead (jmx.remote=true): TLS, and a login with",
        "  --user NAME           a name from the daemon's jmx.passwordFile and jmx.accessFile",
        "  --password-file FILE  NAME's password on the first line (without it: asked on the terminal)",
        "  --truststore FILE     trust the certificates in FILE (PKCS12 or JKS) for the TCP console's TLS",
        "  --truststore-password-file FILE  the trust store's password on the first line",
        "  --ssl                 (implied by --jmx: the TCP console always speaks TLS)",
        "  --json                one JSON document on stdout, for scripts",
        "  --help                this text",
        "exit codes: 0 ok, 1 refused by the daemon, 2 usage error, 3 cannot connect");

    private static final int DEFAULT_TOP = 10;

    private final DrainSource drainSource;

    SluiceCommand(final DrainSource drainSource)
    {
        this.drainSource = drainSource;
    }

    public static void main(final String[] args)
    {
        final PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        final PrintStream err = new PrintStream(System.err, true, StandardCharsets.UTF_8);
        System.exit(run(args, out, err));
    }

    /** Runs one command line; prints the answer on {@code out}, problems on {@code err}; returns the exit code. */
    public static int run(final String[] args, final PrintStream out, final PrintStream err)
    {
        return run(args, System.in, out, err);
    }

    /** As {@link #run(String[], PrintStream, PrintStream)}, with {@code in} where {@code sluice user} reads a password. */
    public static int run(final String[] args, final InputStream in, final PrintStream out, final PrintStream err)
    {
        if (UserCommands.isUserCommand(args))
        {
            // Offline: edits the users file, never the daemon.
            return UserCommands.run(args, in, out, err);
        }
        return new SluiceCommand(DrainMxBeanSource.INSTANCE).execute(args, out, err);
    }

    int execute(final String[] args, final PrintStream out, final PrintStream err)
    {
        final Invocation invocation;
        try
        {
            invocation = Invocation.parse(args);
        }
        catch (final CommandException ex)
        {
            err.println("sluice: " + ex.getMessage());
            err.println("try: sluice --help");
            return ex.exitCode();
        }
        if (invocation.help())
        {
            out.println(USAGE);
            return EXIT_OK;
        }
        if ("spool".equals(invocation.command()))
        {
            // Offline: reads the folder, never the daemon.
            return SpoolVerifyCommand.run(invocation, out, err);
        }
        try
        {
            checkArguments(invocation);
            try (DaemonClient daemon = DaemonClient.connect(invocation))
            {
                if (QueueCommands.streams(invocation))
                {
                    QueueCommands.list(invocation, daemon, out);
                    return EXIT_OK;
                }
                final Reports.Report report = dispatch(invocation, daemon);
                if (invocation.json())
                {
                    out.println(Json.compact(report.json()));
                }
                else
                {
                    report.text().forEach(out::println);
                }
                return EXIT_OK;
            }
        }
        catch (final CommandException ex)
        {
            err.println("sluice " + invocation.command() + ": " + ex.getMessage());
            if (ex.exitCode() == EXIT_USAGE)
            {
                err.println("try: sluice --help");
            }
            return ex.exitCode();
        }
    }

    /** Usage errors before any connection: a script learns of its typo even while the daemon is down. */
    private static void checkArguments(final Invocation invocation) throws CommandException
    {
        switch (invocation.command())
        {
            case "limits", "pause", "resume", "tenants", "retry" -> invocation.expectAtMost(0);
            case "queue" -> QueueCommands.check(invocation);
            case "block", "unblock" ->
            {
                invocation.operand(0, "a network, e.g. 198.51.100.0/24");
                invocation.expectAtMost(1);
            }
            case "top" ->
            {
                invocation.expectAtMost(1);
                topCount(invocation);
            }
            case "hold", "release" ->
            {
                invocation.operand(0, "a tenant name");
                invocation.expectAtMost(1);
            }
            case "purge" ->
            {
                final String tenant = invocation.operand(0, "a tenant name");
                invocation.expectAtMost(1);
                if (invocation.option("confirm") == null)
                {
                    throw CommandException.usage("purge deletes " + tenant + "'s pending mail for good: confirm with --confirm "
                        + tenant);
                }
            }
            case "drain" -> DrainCommands.check(invocation);
            case "dsns" -> BounceCommands.check(invocation);
            case "quarantine" -> QuarantineCommands.check(invocation);
            case "config" -> ConfigCommands.check(invocation);
            case "rate" ->
            {
                invocation.operand(2, "a route, a rate in messages per second and a burst, e.g. rate default 100 10");
                invocation.expectAtMost(3);
                DrainCommands.rate(invocation);
            }
            case "connections" ->
            {
                invocation.operand(1, "a route and a connection limit, e.g. connections default 5");
                invocation.expectAtMost(2);
                DrainCommands.connections(invocation);
            }
            default -> throw CommandException.usage("unknown command: " + invocation.command());
        }
    }

    private Reports.Report dispatch(final Invocation invocation, final DaemonClient daemon) throws CommandException
    {
        switch (invocation.command())
        {
            case "queue":
                return "shape".equals(QueueCommands.action(invocation)) ? Reports.queue(daemon, drainSource)
                    : QueueCommands.run(invocation, daemon);
            case "limits":
                return Reports.limits(daemon);
            case "block":
            {
                final LimitsControlMXBean limits = daemon.limits();
                final String cidr = invocation.operands().get(0);
                final long seconds = invocation.blockFor() == null ? 0 : invocation.blockFor().toSeconds();
                return Reports.blocked(daemon.call(() -> limits.block(cidr, seconds)));
            }
            case "unblock":
            {
                final LimitsControlMXBean limits = daemon.limits();
                final String cidr = invocation.operands().get(0);
                if (!daemon.call(() -> limits.unblock(cidr)))
                {
                    throw CommandException.refused(cidr + " was not blocked (sluice limits lists the blocks as blocked)");
                }
                return new Reports.Report(List.of("unblocked " + cidr), Map.of("unblocked", cidr));
            }
            case "pause":
                return ingress(daemon, true);
            case "resume":
                return ingress(daemon, false);
            case "top":
            {
                final LimitsControlMXBean limits = daemon.limits();
                final int count = topCount(invocation);
                return Reports.top(daemon.call(() -> limits.topSources(count)),
                    daemon.call(() -> limits.worstReputations(count)), daemon.call(() -> limits.authFailures(count)));
            }
            case "tenants":
            {
                final TenantsControlMXBean tenants = daemon.tenants();
                return Reports.tenants(daemon.call(tenants::getTenantTable));
            }
            case "hold", "release", "purge":
                return TenantCommands.run(invocation, daemon);
            case "drain", "retry", "rate", "connections":
                return DrainCommands.run(invocation, daemon);
            case "dsns":
                return BounceCommands.run(invocation, daemon);
            case "quarantine":
                return QuarantineCommands.run(invocation, daemon);
            case "config":
                return ConfigCommands.run(invocation, daemon);
            default:
                throw CommandException.usage("unknown command: " + invocation.command());
        }
    }

    private static Reports.Report ingress(final DaemonClient daemon, final boolean pause) throws CommandException
    {
        final SpoolControlMXBean spool = daemon.spool();
        daemon.call(() ->
        {
            if (pause)
            {
                spool.pauseIngress();
            }
            else
            {
                spool.resumeIngress();
            }
            return null;
        });
        final boolean paused = daemon.call(spool::isIngressPaused);
        final String text = paused
            ? "ingress paused: new connections get 421 4.3.2 and senders retry later (sluice resume to undo)"
            : "ingress running: taking new mail";
        return new Reports.Report(List.of(text), Map.of("ingressPaused", paused));
    }

    private static int topCount(final Invocation invocation) throws CommandException
    {
        if (invocation.operands().isEmpty())
        {
            return DEFAULT_TOP;
        }
        final String text = invocation.operands().get(0);
        try
        {
            final int count = Integer.parseInt(text);
            if (count >= 1 && count <= 10_000)
            {
                return count;
            }
        }
        catch (final NumberFormatException ex)
        {
            // reported below
        }
        throw CommandException.usage("top expects a count from 1 to 10000, got: " + text);
    }
}
