package io.sluice.daemon;

import java.io.IOException;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.sluice.admission.Admission;
import io.sluice.admission.AdmissionContext;
import io.sluice.config.InvalidSettingException;
import io.sluice.ingress.IngressContext;
import io.sluice.ingress.IngressSettings;
import io.sluice.ingress.SmtpServer;
import io.sluice.ingress.SourcePolicy;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolContext;
import io.sluice.spool.SpoolCounter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The appliance process: reads its settings, opens the spool, starts admission and the SMTP listener, and
 * runs until systemd (or Ctrl-C) stops it; then it stops in the reverse order, listener first, so no
 * session is left waiting on a closed spool.
 * Exit codes follow sysexits: 64 for bad arguments, 78 for a bad configuration (nothing in the spool is
 * touched then), 1 for a failure while running.
 */
public final class SluiceDaemon implements AutoCloseable
{
    static final int EXIT_USAGE = 64;
    static final int EXIT_CONFIG = 78;
    static final int EXIT_FAILURE = 1;

    private static final Logger LOG = LoggerFactory.getLogger(SluiceDaemon.class);

    /** How often admission's buckets are written to its state file, so a crash loses at most this much. */
    private static final long ADMISSION_SNAPSHOT_INTERVAL_MS = 5_000;

    private final Spool spool;
    private final Admission admission;
    private final SmtpServer smtp;
    private final ScheduledExecutorService maintenance = Executors.newSingleThreadScheduledExecutor(
        r -> new Thread(r, "sluice-maintenance"));

    private SluiceDaemon(final Configuration configuration)
    {
        spool = Spool.open(configuration.spool());
        Admission startedAdmission = null;
        try
        {
            startedAdmission = Admission.open(configuration.admission(), new SpoolPressureGauge(spool));
            smtp = SmtpServer.start(configuration.ingress(), configuration.sources(), startedAdmission, spool, Clock.systemUTC());
        }
        catch (final RuntimeException ex)
        {
            if (startedAdmission != null)
            {
                startedAdmission.close();
            }
            spool.close();
            throw ex;
        }
        admission = startedAdmission;
        maintenance.scheduleWithFixedDelay(this::snapshotAdmission,
            ADMISSION_SNAPSHOT_INTERVAL_MS, ADMISSION_SNAPSHOT_INTERVAL_MS, TimeUnit.MILLISECONDS);
    }

    private void snapshotAdmission()
    {
        try
        {
            admission.snapshot();
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("admission state snapshot failed; buckets will be rebuilt from zero if the daemon dies now", ex);
        }
    }

    /** Every module's validated context: built whole before anything opens a file or a socket. */
    record Configuration(SpoolContext spool, AdmissionContext admission, IngressContext ingress, SourcePolicy sources)
    {
        static Configuration of(final DaemonSettings settings)
        {
            return new Configuration(SpoolSettings.context(settings), AdmissionSettings.context(settings),
                IngressSettings.context(settings), IngressSettings.policy(settings));
        }
    }

    /** Starts every stage from validated settings. */
    static SluiceDaemon start(final Configuration configuration)
    {
        final SluiceDaemon daemon = new SluiceDaemon(configuration);
        LOG.info("sluice started: spool {} with {} pending messages; SMTP on {}; relay domains {}",
            configuration.spool().directory(), daemon.spool.counters().get(SpoolCounter.PENDING_MESSAGES),
            daemon.smtp.localAddress(), configuration.sources().relayDomains());
        return daemon;
    }

    Spool spool()
    {
        return spool;
    }

    SmtpServer smtp()
    {
        return smtp;
    }

    Admission admission()
    {
        return admission;
    }

    @Override
    public void close()
    {
        smtp.close();
        maintenance.shutdownNow();
        admission.close();
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
        final Configuration configuration;
        try
        {
            settings = DaemonSettings.load(commandLine.configFile(), commandLine.overrides());
            configuration = Configuration.of(settings);
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
        return serve(configuration);
    }

    private static int serve(final Configuration configuration)
    {
        final CountDownLatch stopped = new CountDownLatch(1);
        final SluiceDaemon daemon;
        try
        {
            daemon = start(configuration);
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
