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

    private final ScenarioOptions options;
    private final List<String> launch;
    private final Path work;
    private Process process;
    private int smtpPort;
    private JMXConnector jmx;
    private List<String> settings = List.of();

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
     * The scenario's configuration. The flood is admitted so that the drain, not admission, is what faces it: the
     * network, sender-domain, tenant and global buckets (messages, recipients, connections) are opened wide. With
     * the defaults, the /24, sender-domain and tenant buckets refuse much of such a flood in-session (good for the
     * appliance, but it leaves less backlog to measure the drain with; {@code --sluice-set} puts any of them back).
     * Per-address buckets stay at their defaults: each flood source sends only a few messages, which is what makes
     * a distributed flood hard for per-address limits. Spoof classification stays at its default (the
     * {@code suspect} lane); everything else is the daemon's embedded default.
     */
    List<String> scenarioSettings(final int sinkPort)
    {
        final List<String> list = new ArrayList<>(List.of(
            "spool.directory=" + work.resolve("spool"),
            "smtp.listen=127.0.0.1:" + smtpPort,
            "relay.domains=" + options.protectedDomain(),
            "admission.protectedDomains=" + options.protectedDomain(),
            "drain.routes=default:" + rate(options.upstreamRate()) + ":" + options.upstreamBurst() + ",notifications:20:5",
            "delivery.route.default.target=smtp://127.0.0.1:" + sinkPort,
            "delivery.route.notifications.target=dir:" + work.resolve("notifications")));
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

    @Override
    public Map<String, String> describe()
    {
        final Map<String, String> description = new LinkedHashMap<>();
        description.put("launch", String.join(" ", launch));
        description.put("settings", String.join(" ", settings));
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
