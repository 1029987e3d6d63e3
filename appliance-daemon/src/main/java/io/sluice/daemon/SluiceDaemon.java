package io.sluice.daemon;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import io.sluice.config.InvalidSettingException;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolContext;
import io.sluice.spool.SpoolCounter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The appliance process: reads its settings, opens the spool and runs until systemd (or Ctrl-C) stops it.
 * Exit codes follow sysexits: 64 for bad arguments, 78 for a bad configuration (nothing in the spool is
 * touched then), 1 for a failure while running.
 */
public final class SluiceDaemon implements AutoCloseable
{
    static final int EXIT_USAGE = 64;
    static final int EXIT_CONFIG = 78;
    static final int EXIT_FAILURE = 1;

    private static final Logger LOG = LoggerFactory.getLogger(SluiceDaemon.class);

    private final Spool spool;

    private SluiceDaemon(final SpoolContext spoolContext)
    {
        spool = Spool.open(spoolContext);
    }

    /** Starts every stage from validated settings. */
    static SluiceDaemon start(final DaemonSettings settings)
    {
        final SluiceDaemon daemon = new SluiceDaemon(SpoolSettings.context(settings));
        LOG.info("sluice started: spool {} with {} pending messages", settings.string(SpoolContext.DIRECTORY),
            daemon.spool.counters().get(SpoolCounter.PENDING_MESSAGES));
        return daemon;
    }

    Spool spool()
    {
        return spool;
    }

    @Override
    public void close()
    {
        spool.close();
        LOG.info("sluice stopped");
    }

    public static void main(final String[] args)
    {
        final int exit = run(args);
        if (exit != 0)
        {
            System.exit(exit);
        }
    }

    static int run(final String... args)
    {
        final CommandLine commandLine;
        try
        {
            commandLine = CommandLine.parse(args);
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("sluice: " + ex.getMessage());
            System.err.println(CommandLine.USAGE);
            return EXIT_USAGE;
        }
        if (commandLine.help())
        {
            System.out.println(CommandLine.USAGE);
            return 0;
        }
        final DaemonSettings settings;
        try
        {
            settings = DaemonSettings.load(commandLine.configFile(), commandLine.overrides());
            // Validate every module's context before anything opens a file.
            SpoolSettings.context(settings);
        }
        catch (final InvalidSettingException ex)
        {
            System.err.println("sluice: invalid configuration: " + ex.getMessage());
            return EXIT_CONFIG;
        }
        catch (final IOException ex)
        {
            System.err.println("sluice: cannot read configuration: " + ex.getMessage());
            return EXIT_CONFIG;
        }
        if (commandLine.checkOnly())
        {
            for (final Map.Entry<String, String> entry : settings.all().entrySet())
            {
                System.out.println(entry.getKey() + "=" + entry.getValue());
            }
            System.out.println("sluice: configuration OK");
            return 0;
        }
        return serve(settings);
    }

    private static int serve(final DaemonSettings settings)
    {
        final CountDownLatch stopped = new CountDownLatch(1);
        final SluiceDaemon daemon;
        try
        {
            daemon = start(settings);
        }
        catch (final RuntimeException ex)
        {
            LOG.error("sluice failed to start", ex);
            return EXIT_FAILURE;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            daemon.close();
            stopped.countDown();
        }, "sluice-shutdown"));
        try
        {
            stopped.await();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
