package io.sluice.benchmarks.flood;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

import io.sluice.control.ConsoleSocket;
import io.sluice.control.JmxContext;
import io.sluice.control.JmxServer;

/**
 * The Sluice daemon as the scenario runs it: its own launcher (or any command that starts
 * {@code io.sluice.daemon.SluiceDaemon}), a spool in the work folder, the protected domain relayed to the sink
 * through the {@code default} route at the upstream's rate, and the daemon's defaults for everything else, except
 * where the scenario says otherwise ({@link #scenarioSettings}).
 */
final class SluiceSystem implements SystemUnderTest
{
    private static final String DRAIN_BEAN = "io.sluice:type=Drain";
    /** The shipped {@code drain.routes} default route: 200 msgs/s, burst 20 (the scenario's default upstream). */
    private static final double DEFAULT_ROUTE_RATE = 200;
    private static final int DEFAULT_ROUTE_BURST = 20;

    private final ScenarioOptions options;
    private final List<String> launch;
    private final Path work;
    private Process process;
    private int smtpPort;
    private JMXConnector jmx;
    private List<String> settings = List.of();
    private int sinkPort;

    /**
     * @param launch the command that starts the daemon, before its {@code --set} arguments
     * @param work a fresh folder for its spool and log
     */
    SluiceSystem(final ScenarioOptions options, final List<String> launch, final Path work)
    {
        this.options = options;
        this.launch = launch;
        this.work = work;
    }

    /** The launcher in {@code --daemon-home}, as the README and the systemd unit run it. */
    static List<String> launcher(final Path daemonHome) throws IOException
    {
        final Path script = daemonHome.resolve("sluice-daemon");
        if (!Files.isExecutable(script))
        {
            throw new IOException("no daemon launcher at " + script + "; build with: mvn -B -q -DskipTests package");
        }
        return List.of(script.toAbsolutePath().toString());
    }

    @Override
    public String name()
    {
        return "sluice";
    }

    /**
     * The scenario's configuration: the shipped defaults, plus what a new user must set (the relay domain, and both
     * routes' upstream: the sink), plus this run's ports and folders. Anything beyond that is a change from the
     * defaults and the report prints it: the drain's rate when the upstream's differs from the default route's,
     * {@code --open-buckets} (the network, sender-domain, tenant and global buckets opened wide so that the drain,
     * not admission, faces the flood: the "tuned" comparison), and every {@code --sluice-set}.
     */
    List<String> scenarioSettings(final int sinkPort)
    {
        final List<String> list = new ArrayList<>(plumbing());
        list.addAll(required(sinkPort));
        list.addAll(changedFromDefaults());
        return list;
    }

    private List<String> plumbing()
    {
        return List.of("spool.directory=" + work.resolve("spool"), "smtp.listen=127.0.0.1:" + smtpPort);
    }

    private List<String> required(final int sinkPort)
    {
        return List.of("relay.domains=" + options.protectedDomain(),
            "delivery.route.default.target=smtp://127.0.0.1:" + sinkPort,
            "delivery.route.notifications.target=smtp://127.0.0.1:" + sinkPort);
    }

    /** @return the settings beyond the defaults and the required ones (empty at the defaults) */
    List<String> changedFromDefaults()
    {
        final List<String> list = new ArrayList<>();
        if (options.upstreamRate() != DEFAULT_ROUTE_RATE || options.upstreamBurst() != DEFAULT_ROUTE_BURST)
        {
            list.add("drain.routes=default:" + rate(options.upstreamRate()) + ":" + options.upstreamBurst()
                + ",notifications:20:5");
        }
        if (options.openBuckets())
        {
            for (final String kind : List.of("network", "senderDomain", "tenant", "global"))
            {
                final List<String> metrics = kind.equals("network")
                    ? List.of("ratePerSecond", "burst", "recipientsPerSecond", "recipientBurst", "connectionsPerSecond",
                        "connectionBurst")
                    : kind.equals("senderDomain") ? List.of("ratePerSecond", "burst")
                    : List.of("ratePerSecond", "burst", "recipientsPerSecond", "recipientBurst");
                for (final String metric : metrics)
                {
                    list.add("admission." + kind + "." + metric + "=1000000");
                }
            }
        }
        list.addAll(options.sluiceSettings());
        return list;
    }

    private static String rate(final double rate)
    {
        return rate == Math.rint(rate) ? Long.toString((long)rate) : Double.toString(rate);
    }

    @Override
    public void start(final int sinkPort) throws IOException, InterruptedException
    {
        Files.createDirectories(work);
        smtpPort = Processes.freePort();
        this.sinkPort = sinkPort;
        settings = scenarioSettings(sinkPort);
        final List<String> command = new ArrayList<>(launch);
        for (final String setting : settings)
        {
            command.add("--set");
            command.add(setting);
        }
        final Path log = work.resolve("sluice.log");
        process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Processes.awaitGreeting(smtpPort, 120, "the Sluice daemon (log: " + log + ")", process.toHandle());
        jmx = connectJmx();
    }

    /** The control plane may bind its connector just after SMTP answers: a few tries, then go without. */
    private JMXConnector connectJmx() throws InterruptedException
    {
        // The daemon's local console socket (<spool.directory>/jmx.sock): this harness runs as the daemon's user.
        final Map<String, Object> env = Map.of("com.sun.jndi.rmi.factory.socket",
            new ConsoleSocket.Client(work.resolve("spool").resolve(JmxContext.SOCKET_FILE_NAME)));
        IOException last = null;
        for (int attempt = 0; attempt < 40; attempt++)
        {
            try
            {
                return JMXConnectorFactory.connect(new JMXServiceURL(JmxServer.localServiceUrl()), env);
            }
            catch (final IOException ex)
            {
                last = ex;
                Thread.sleep(250);
            }
        }
        System.err.println("sluice: no JMX view of the drain (" + last + "); the report uses the sink's figures only");
        return null;
    }

    @Override
    public InetSocketAddress smtp()
    {
        return new InetSocketAddress("127.0.0.1", smtpPort);
    }

    @Override
    public long pid()
    {
        return process.pid();
    }

    @Override
    public Map<String, Double> ownView()
    {
        final Map<String, Double> view = new LinkedHashMap<>();
        if (jmx == null)
        {
            return view;
        }
        try
        {
            final MBeanServerConnection connection = jmx.getMBeanServerConnection();
            final ObjectName drain = new ObjectName(DRAIN_BEAN);
            for (final String attribute : List.of("ReadyMessages", "DeferredMessages", "HeldMessages", "PausedMessages",
                "InFlightMessages", "EtaSeconds"))
            {
                view.put(attribute, ((Number)connection.getAttribute(drain, attribute)).doubleValue());
            }
        }
        catch (final Exception ex)
        {
            view.put("jmxError", 1.0);
        }
        return view;
    }

    /**
     * What the daemon still holds at the end, over JMX: the drain's held, paused, deferred and ready mail, the
     * held tenants (containment), and the bounce budget and suppressions. An attribute a build lacks is left out.
     */
    @Override
    public Map<String, String> finalState()
    {
        final Map<String, String> state = new LinkedHashMap<>();
        if (jmx == null)
        {
            return state;
        }
        read(state, DRAIN_BEAN, "HeldMessages", "PausedMessages", "DeferredMessages", "ReadyMessages", "InFlightMessages",
            "QuarantinedMessages");
        read(state, "io.sluice:type=Tenants", "HeldTenants");
        read(state, "io.sluice:type=Bounces", "DsnsSpooled", "Suppressed", "SuppressedByReason", "Budget");
        return state;
    }

    private void read(final Map<String, String> state, final String bean, final String... attributes)
    {
        for (final String attribute : attributes)
        {
            try
            {
                final Object value = jmx.getMBeanServerConnection().getAttribute(new ObjectName(bean), attribute);
                state.put(attribute, value instanceof Object[] array ? String.join("; ", java.util.Arrays.stream(array)
                    .map(String::valueOf).toList()) : String.valueOf(value));
            }
            catch (final Exception ex)
            {
                // This build has no such attribute: nothing to report for it.
            }
        }
    }

    @Override
    public Map<String, String> describe()
    {
        final Map<String, String> description = new LinkedHashMap<>();
        description.put("launch", String.join(" ", launch));
        final List<String> changed = changedFromDefaults();
        description.put(CHANGED, changed.isEmpty() ? "none" : String.join(" ", changed));
        description.put(REQUIRED, String.join(" ", required(sinkPort)));
        description.put(PLUMBING, String.join(" ", plumbing()));
        description.put("log", work.resolve("sluice.log").toString());
        return description;
    }

    /** @return the daemon's log so far (the report quotes refusals and alerts from it when a run fails) */
    Path log()
    {
        return work.resolve("sluice.log");
    }

    @Override
    public void close() throws IOException, InterruptedException
    {
        if (jmx != null)
        {
            try
            {
                jmx.close();
            }
            catch (final IOException ignored)
            {
                // The daemon is going anyway.
            }
        }
        if (process != null)
        {
            Processes.stop(process.toHandle(), 60);
        }
    }
}
