package io.sluice.daemon;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The daemon's arguments: {@code [--config FILE] [--set key=value]... [--check-config]}.
 *
 * @param configFile  the configuration file, or null for the embedded defaults
 * @param overrides   {@code --set} values in the order given
 * @param checkOnly   validate the configuration and exit (the unit's ExecStartPre)
 * @param help        print usage and exit
 */
record CommandLine(Path configFile, Map<String, String> overrides, boolean checkOnly, boolean help)
{
    static final String USAGE = String.join(System.lineSeparator(),
        "usage: sluice-daemon [--config FILE] [--set key=value]... [--check-config]",
        "  --config FILE    settings file (properties); without it the embedded defaults are used",
        "  --set key=value  override one setting; may be repeated; wins over the file",
        "  --check-config   validate the settings, print the effective ones, and exit",
        "  --help           this text");

    /** @throws IllegalArgumentException with a message saying which argument is wrong. */
    static CommandLine parse(final String... args)
    {
        Path config = null;
        final Map<String, String> overrides = new LinkedHashMap<>();
        boolean check = false;
        boolean help = false;
        for (int i = 0; i < args.length; i++)
        {
            final String arg = args[i];
            switch (arg)
            {
                case "--config" -> config = Path.of(value(args, ++i, arg));
                case "--set" ->
                {
                    final String pair = value(args, ++i, arg);
                    final int eq = pair.indexOf('=');
                    if (eq <= 0)
                    {
                        throw new IllegalArgumentException("--set expects key=value, got: " + pair);
                    }
                    overrides.put(pair.substring(0, eq).trim(), pair.substring(eq + 1));
                }
                case "--check-config" -> check = true;
                case "--help", "-h" -> help = true;
                default -> throw new IllegalArgumentException("unknown argument: " + arg);
            }
        }
        return new CommandLine(config, overrides, check, help);
    }

    private static String value(final String[] args, final int index, final String option)
    {
        if (index >= args.length)
        {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[index];
    }
}
