package io.sluice.benchmarks.flood;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The flood scenario's parameters (issue 7), from the command line, validated in one place: a bad value is refused
 * with the option's name, the value and what is expected, before anything starts.
 *
 * <p>Defaults are the scenario: a flood of 20,000 spoofed messages from 2,000 sources (in eight /24s), 20
 * legitimate sources sending 20 msgs/s between them, an upstream that accepts 200 msgs/s.
 */
public final class ScenarioOptions
{
    static final String USAGE = String.join("\n",
        "usage: FloodScenario [options]",
        "  --systems sluice,postfix     systems to run, in order (default: sluice)",
        "  --flood N                    spoofed flood messages (20000)",
        "  --flood-sources K            distinct flood source addresses, 127.64.0.0/10 (2000)",
        "  --flood-networks M           /24 networks the flood sources are spread over (8)",
        "  --flood-sessions S           concurrent flood SMTP sessions (40)",
        "  --legit-sources L            legitimate sources, one /24 each (20)",
        "  --legit-rate R               legitimate messages per second, all sources together (20)",
        "  --upstream-rate U            messages per second the upstream sink accepts (200)",
        "  --upstream-burst B           the sink's burst (20)",
        "  --message-bytes N            body size of every message (2048)",
        "  --warmup-seconds S           legitimate traffic alone before the flood (10)",
        "  --after-seconds S            legitimate traffic after the backlog is empty (10)",
        "  --max-seconds S              give up waiting for the backlog after S seconds (900)",
        "  --protected-domain D         the relay domain the flood spoofs (protected.example)",
        "  --out DIR                    where the report, JSON and charts go (required)",
        "  --daemon-home DIR            the built daemon: sluice-daemon, jvm.options, jars (appliance-daemon/target)",
        "  --sluice-set key=value       extra daemon setting (repeatable)",
        "  --work DIR                   temp folder for spools and Postfix (a real disk; default /var/tmp)",
        "  --seed N                     random seed for the flood's order (1)");

    private List<String> systems = List.of("sluice");
    private int floodMessages = 20_000;
    private int floodSources = 2_000;
    private int floodNetworks = 8;
    private int floodSessions = 40;
    private int legitSources = 20;
    private double legitRate = 20;
    private double upstreamRate = 200;
    private int upstreamBurst = 20;
    private int messageBytes = 2048;
    private int warmupSeconds = 10;
    private int afterSeconds = 10;
    private int maxSeconds = 900;
    private String protectedDomain = "protected.example";
    private Path out;
    private Path daemonHome = Path.of("appliance-daemon", "target");
    private final List<String> sluiceSettings = new ArrayList<>();
    private Path work = Path.of("/var/tmp");
    private long seed = 1;

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
            if (i + 1 >= args.length)
            {
                throw new IllegalArgumentException(name + " needs a value");
            }
            final String value = args[++i];
            options.set(name, value);
        }
        options.validate();
        return options;
    }

    private void set(final String name, final String value)
    {
        switch (name)
        {
            case "--systems" -> systems = List.of(value.toLowerCase(Locale.ROOT).split(","));
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
        if (legitSources > 256)
        {
            throw new IllegalArgumentException("--legit-sources " + legitSources + ": expected at most 256");
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
}
