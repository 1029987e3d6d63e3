package io.sluice.benchmarks.flood;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The flood scenario's parameters (issue 7), from the command line, validated in one place: a bad value is refused
 * with the option's name, the value and what is expected, before anything starts.
 *
 * <p>Defaults are the admission issue's scenarios (issue 12, item 8): floods of 20,000 messages from 2,000 sources
 * (in eight /24s), a partner sending 20 msgs/s from 20 addresses in one /24 of its own, an upstream that accepts
 * 200 msgs/s. Nothing here opens a limit of the system under test unless {@code --open-buckets} says so.
 */
public final class ScenarioOptions
{
    static final String USAGE = String.join("\n",
        "usage: FloodScenario [options]",
        "  --systems sluice,postfix     systems to run, in order (default: sluice)",
        "  --scenarios LIST             spoofed, snowshoe, unknown-users, bulk, in the order given (all four)",
        "  --unknown-users N            unknown-users: legitimate messages the upstream refuses 550 5.1.1 (50)",
        "  --unknown-users-flood F      unknown-users: the flood beside them, spoofed, snowshoe or bulk (snowshoe)",
        "  --open-buckets               Sluice: open the network, sender-domain, tenant and global buckets wide (the",
        "                               \"tuned\" comparison; printed in the report as a change from the defaults)",
        "  --flood N                    flood messages (20000)",
        "  --flood-sources K            distinct flood source addresses, 127.64.0.0/10 (2000)",
        "  --flood-networks M           /24 networks the flood sources are spread over (8)",
        "  --flood-sessions S           concurrent flood SMTP sessions (40)",
        "  --legit-sources L            legitimate partner addresses, all in 127.32.0.0/24 (20)",
        "  --legit-rate R               legitimate messages per second, all sources together (20)",
        "  --upstream-rate U            messages per second the upstream sink accepts (200)",
        "  --upstream-burst B           the sink's burst (20)",
        "  --message-bytes N            body size of every message (2048)",
        "  --warmup-seconds S           partner traffic alone before the flood, longer than the /24 burst lasts (30)",
        "  --after-seconds S            legitimate traffic after the backlog is empty (10)",
        "  --max-seconds S              give up waiting for the backlog after S seconds (900)",
        "  --idle-seconds S             stop waiting for the backlog once no verdict reached the upstream for S s (20)",
        "  --protected-domain D         the relay domain the flood spoofs (protected.example)",
        "  --out DIR                    where the report, JSON and charts go (required)",
        "  --daemon-home DIR            the built daemon: sluice-daemon, jvm.options, jars (appliance-daemon/target)",
        "  --sluice-set key=value       extra daemon setting (repeatable)",
        "  --work DIR                   temp folder for spools and Postfix (a real disk; default /var/tmp)",
        "  --seed N                     random seed for the flood's order (1)",
        "  --note TEXT                  a line printed at the top of the report (profile, machine load)");

    private List<String> systems = List.of("sluice");
    private List<Scenario> scenarios = List.of(Scenario.values());
    private Scenario scenario = Scenario.SPOOFED;
    private int unknownUsers = 50;
    private Scenario unknownUsersFlood = Scenario.SNOWSHOE;
    private boolean openBuckets;
    private int idleSeconds = 20;
    private int floodMessages = 20_000;
    private int floodSources = 2_000;
    private int floodNetworks = 8;
    private int floodSessions = 40;
    private int legitSources = 20;
    private double legitRate = 20;
    private double upstreamRate = 200;
    private int upstreamBurst = 20;
    private int messageBytes = 2048;
    private int warmupSeconds = 30;
    private int afterSeconds = 10;
    private int maxSeconds = 900;
    private String protectedDomain = "protected.example";
    private Path out;
    private Path daemonHome = Path.of("appliance-daemon", "target");
    private final List<String> sluiceSettings = new ArrayList<>();
    private Path work = Path.of("/var/tmp");
    private long seed = 1;
    private String note = "";

    /**
     * @param args the command line
     * @return the validated options
     * @throws IllegalArgumentException naming the option, the value and what is expected
     */
    public static ScenarioOptions parse(final String... args)
    {
        final ScenarioOptions options = new ScenarioOptions();
        for (int i = 0; i < args.length; i++)
        {
            final String name = args[i];
            if (name.equals("--open-buckets"))
            {
                options.openBuckets = true;
                continue;
            }
            if (i + 1 >= args.length)
            {
                throw new IllegalArgumentException(name + " needs a value");
            }
            final String value = args[++i];
            options.set(name, value);
        }
        options.validate();
        options.scenario = options.scenarios.get(0);
        return options;
    }

    private void set(final String name, final String value)
    {
        switch (name)
        {
            case "--systems" -> systems = List.of(value.toLowerCase(Locale.ROOT).split(","));
            case "--scenarios" -> scenarios = scenarios(name, value);
            case "--unknown-users" -> unknownUsers = integer(name, value);
            case "--unknown-users-flood" -> unknownUsersFlood = Scenario.of(name, value);
            case "--idle-seconds" -> idleSeconds = integer(name, value);
            case "--flood" -> floodMessages = integer(name, value);
            case "--flood-sources" -> floodSources = integer(name, value);
            case "--flood-networks" -> floodNetworks = integer(name, value);
            case "--flood-sessions" -> floodSessions = integer(name, value);
            case "--legit-sources" -> legitSources = integer(name, value);
            case "--legit-rate" -> legitRate = decimal(name, value);
            case "--upstream-rate" -> upstreamRate = decimal(name, value);
            case "--upstream-burst" -> upstreamBurst = integer(name, value);
            case "--message-bytes" -> messageBytes = integer(name, value);
            case "--warmup-seconds" -> warmupSeconds = integer(name, value);
            case "--after-seconds" -> afterSeconds = integer(name, value);
            case "--max-seconds" -> maxSeconds = integer(name, value);
            case "--protected-domain" -> protectedDomain = value.toLowerCase(Locale.ROOT);
            case "--out" -> out = Path.of(value);
            case "--daemon-home" -> daemonHome = Path.of(value);
            case "--sluice-set" -> sluiceSettings.add(setting(name, value));
            case "--work" -> work = Path.of(value);
            case "--seed" -> seed = integer(name, value);
            case "--note" -> note = value;
            default -> throw new IllegalArgumentException("unknown option " + name);
        }
    }

    private void validate()
    {
        for (final String system : systems)
        {
            if (!system.equals("sluice") && !system.equals("postfix"))
            {
                throw new IllegalArgumentException("--systems " + String.join(",", systems)
                    + ": expected sluice and/or postfix");
            }
        }
        if (unknownUsersFlood == Scenario.UNKNOWN_USERS)
        {
            throw new IllegalArgumentException("--unknown-users-flood unknown-users: expected spoofed, snowshoe or bulk");
        }
        atLeast("--unknown-users", unknownUsers, 0);
        atLeast("--idle-seconds", idleSeconds, 1);
        atLeast("--flood", floodMessages, 0);
        atLeast("--flood-sources", floodSources, 1);
        atLeast("--flood-networks", floodNetworks, 1);
        atLeast("--flood-sessions", floodSessions, 1);
        atLeast("--legit-sources", legitSources, 1);
        atLeast("--upstream-burst", upstreamBurst, 1);
        atLeast("--message-bytes", messageBytes, 64);
        atLeast("--warmup-seconds", warmupSeconds, 0);
        atLeast("--after-seconds", afterSeconds, 0);
        atLeast("--max-seconds", maxSeconds, 1);
        if (floodNetworks > 4096)
        {
            throw new IllegalArgumentException("--flood-networks " + floodNetworks + ": expected at most 4096");
        }
        if (floodSources > floodNetworks * FloodTraffic.HOSTS_PER_NETWORK)
        {
            throw new IllegalArgumentException("--flood-sources " + floodSources + ": expected at most "
                + FloodTraffic.HOSTS_PER_NETWORK + " per network, " + floodNetworks * FloodTraffic.HOSTS_PER_NETWORK
                + " over --flood-networks " + floodNetworks);
        }
        if (legitSources > FloodTraffic.HOSTS_PER_NETWORK)
        {
            throw new IllegalArgumentException("--legit-sources " + legitSources + ": expected at most "
                + FloodTraffic.HOSTS_PER_NETWORK + " (one /24)");
        }
        if (!(legitRate > 0) || !(upstreamRate > 0))
        {
            throw new IllegalArgumentException("--legit-rate " + legitRate + " / --upstream-rate " + upstreamRate
                + ": expected rates above 0");
        }
        if (out == null)
        {
            throw new IllegalArgumentException("--out is required: the folder for the report");
        }
    }

    private static List<Scenario> scenarios(final String name, final String value)
    {
        final List<Scenario> list = new ArrayList<>();
        for (final String label : value.split(","))
        {
            final Scenario scenario = Scenario.of(name, label);
            if (!list.contains(scenario))
            {
                list.add(scenario);
            }
        }
        return List.copyOf(list);
    }

    /** @return these options for one scenario of the list: what its run generates and reports */
    ScenarioOptions forScenario(final Scenario which)
    {
        final ScenarioOptions copy = new ScenarioOptions();
        copy.systems = systems;
        copy.scenarios = scenarios;
        copy.scenario = which;
        copy.unknownUsers = unknownUsers;
        copy.unknownUsersFlood = unknownUsersFlood;
        copy.openBuckets = openBuckets;
        copy.idleSeconds = idleSeconds;
        copy.floodMessages = floodMessages;
        copy.floodSources = floodSources;
        copy.floodNetworks = floodNetworks;
        copy.floodSessions = floodSessions;
        copy.legitSources = legitSources;
        copy.legitRate = legitRate;
        copy.upstreamRate = upstreamRate;
        copy.upstreamBurst = upstreamBurst;
        copy.messageBytes = messageBytes;
        copy.warmupSeconds = warmupSeconds;
        copy.afterSeconds = afterSeconds;
        copy.maxSeconds = maxSeconds;
        copy.protectedDomain = protectedDomain;
        copy.out = out;
        copy.daemonHome = daemonHome;
        copy.sluiceSettings.addAll(sluiceSettings);
        copy.work = work;
        copy.seed = seed;
        copy.note = note;
        return copy;
    }

    private static void atLeast(final String name, final long value, final long minimum)
    {
        if (value < minimum)
        {
            throw new IllegalArgumentException(name + " " + value + ": expected at least " + minimum);
        }
    }

    private static int integer(final String name, final String value)
    {
        try
        {
            return Integer.parseInt(value.replace("_", ""));
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(name + " " + value + ": expected a whole number");
        }
    }

    private static double decimal(final String name, final String value)
    {
        try
        {
            return Double.parseDouble(value);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(name + " " + value + ": expected a number");
        }
    }

    private static String setting(final String name, final String value)
    {
        if (value.indexOf('=') <= 0)
        {
            throw new IllegalArgumentException(name + " " + value + ": expected key=value");
        }
        return value;
    }

    public List<String> systems()
    {
        return systems;
    }

    public List<Scenario> scenarios()
    {
        return scenarios;
    }

    /** @return the scenario these options describe (the first of {@code --scenarios} until {@link #forScenario}) */
    public Scenario scenario()
    {
        return scenario;
    }

    /** @return the flood this scenario sends: spoofed, snowshoe or bulk */
    public Scenario floodKind()
    {
        return scenario == Scenario.UNKNOWN_USERS ? unknownUsersFlood : scenario;
    }

    /** @return legitimate messages to recipients the upstream refuses in this scenario (0 but in unknown-users) */
    public int unknownUserMessages()
    {
        return scenario == Scenario.UNKNOWN_USERS ? unknownUsers : 0;
    }

    public boolean openBuckets()
    {
        return openBuckets;
    }

    public int idleSeconds()
    {
        return idleSeconds;
    }

    public int floodMessages()
    {
        return floodMessages;
    }

    public int floodSources()
    {
        return floodSources;
    }

    public int floodNetworks()
    {
        return floodNetworks;
    }

    public int floodSessions()
    {
        return floodSessions;
    }

    public int legitSources()
    {
        return legitSources;
    }

    public double legitRate()
    {
        return legitRate;
    }

    public double upstreamRate()
    {
        return upstreamRate;
    }

    public int upstreamBurst()
    {
        return upstreamBurst;
    }

    public int messageBytes()
    {
        return messageBytes;
    }

    public int warmupSeconds()
    {
        return warmupSeconds;
    }

    public int afterSeconds()
    {
        return afterSeconds;
    }

    public int maxSeconds()
    {
        return maxSeconds;
    }

    public String protectedDomain()
    {
        return protectedDomain;
    }

    public Path out()
    {
        return out;
    }

    public Path daemonHome()
    {
        return daemonHome;
    }

    public List<String> sluiceSettings()
    {
        return sluiceSettings;
    }

    public Path work()
    {
        return work;
    }

    public long seed()
    {
        return seed;
    }

    public String note()
    {
        return note;
    }
}
