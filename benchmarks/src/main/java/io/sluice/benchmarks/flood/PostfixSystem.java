package io.sluice.benchmarks.flood;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Debian's stock Postfix as the scenario runs it, side by side with Sluice: a private instance
 * ({@code postfix -c DIR}: its own configuration, queue and data folders in the work folder, listening on a free
 * loopback port), relaying the protected domain to the same upstream sink. Stock settings otherwise; no syslog
 * here, so it logs to its own file; no chroot. It never reads or writes the machine's {@code /etc/postfix} and
 * stops through its own configuration folder. Needs root and the {@code postfix} package (the wrapper script
 * {@code benchmarks/flood-vs-postfix.sh} installs it).
 */
final class PostfixSystem implements SystemUnderTest
{
    private static final String MASTER_CF = String.join("\n",
        "127.0.0.1:%d inet n - n - - smtpd",
        "pickup    unix  n       -       n       60      1       pickup",
        "cleanup   unix  n       -       n       -       0       cleanup",
        "qmgr      unix  n       -       n       300     1       qmgr",
        "tlsmgr    unix  -       -       n       1000?   1       tlsmgr",
        "rewrite   unix  -       -       n       -       -       trivial-rewrite",
        "bounce    unix  -       -       n       -       0       bounce",
        "defer     unix  -       -       n       -       0       bounce",
        "trace     unix  -       -       n       -       0       bounce",
        "verify    unix  -       -       n       -       1       verify",
        "flush     unix  n       -       n       1000?   0       flush",
        "proxymap  unix  -       -       n       -       -       proxymap",
        "proxywrite unix -       -       n       -       1       proxymap",
        "smtp      unix  -       -       n       -       -       smtp",
        "relay     unix  -       -       n       -       -       smtp",
        "showq     unix  n       -       n       -       -       showq",
        "error     unix  -       -       n       -       -       error",
        "retry     unix  -       -       n       -       -       error",
        "discard   unix  -       -       n       -       -       discard",
        "local     unix  -       n       n       -       -       local",
        "anvil     unix  -       -       n       -       1       anvil",
        "scache    unix  -       -       n       -       1       scache",
        "postlog   unix-dgram n  -       n       -       1       postlogd",
        "");

    private final ScenarioOptions options;
    private final Path work;
    private final Path conf;
    private final Path queue;
    private int smtpPort;
    private long masterPid;
    private boolean started;
    private String version = "?";

    PostfixSystem(final ScenarioOptions options, final Path work)
    {
        this.options = options;
        this.work = work;
        this.conf = work.resolve("etc");
        this.queue = work.resolve("queue");
    }

    @Override
    public String name()
    {
        return "postfix";
    }

    @Override
    public void start(final int sinkPort) throws IOException, InterruptedException
    {
        Files.createDirectories(conf);
        Files.createDirectories(queue);
        final Path data = Files.createDirectories(work.resolve("data"));
        run("chown", "postfix", data.toString());
        // Postfix's unprivileged daemons must reach the queue below the work folder.
        run("chmod", "755", work.toString(), work.getParent().toString());
        smtpPort = Processes.freePort();
        Files.writeString(conf.resolve("main.cf"), String.join("\n",
            "compatibility_level = 3.6",
            "queue_directory = " + queue,
            "data_directory = " + data,
            "command_directory = " + postconfDefault("command_directory"),
            "daemon_directory = " + postconfDefault("daemon_directory"),
            "shlib_directory = " + postconfDefault("shlib_directory"),
            "meta_directory = " + postconfDefault("meta_directory"),
            "mail_owner = postfix",
            "setgid_group = postdrop",
            "syslog_name = postfix-flood-bench",
            "maillog_file = " + work.resolve("maillog"),
            "myhostname = postfix-bench.invalid",
            "mydomain = invalid",
            "myorigin = $myhostname",
            "mydestination =",
            "inet_interfaces = 127.0.0.1",
            "inet_protocols = ipv4",
            "mynetworks =",
            "relay_domains = " + options.protectedDomain(),
            "relayhost = [127.0.0.1]:" + sinkPort,
            "smtp_dns_support_level = disabled",
            "alias_maps =",
            "alias_database =",
            "local_recipient_maps =",
            "biff = no",
            ""), StandardCharsets.US_ASCII);
        Files.writeString(conf.resolve("master.cf"), String.format(MASTER_CF, smtpPort), StandardCharsets.US_ASCII);
        run("postfix", "-c", conf.toString(), "check");
        started = true;
        run("postfix", "-c", conf.toString(), "start");
        masterPid = Long.parseLong(Files.readString(queue.resolve("pid/master.pid")).trim());
        Processes.awaitGreeting(smtpPort, 60, "Postfix", ProcessHandle.of(masterPid).orElse(null));
        version = output("postconf", "-c", conf.toString(), "-h", "mail_version").trim();
    }

    private static String postconfDefault(final String name) throws IOException, InterruptedException
    {
        return output("postconf", "-dh", name).trim();
    }

    private static void run(final String... command) throws IOException, InterruptedException
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0)
        {
            throw new IOException(String.join(" ", command) + " failed: " + output.trim());
        }
    }

    private static String output(final String... command) throws IOException, InterruptedException
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        process.waitFor();
        return output;
    }

    @Override
    public InetSocketAddress smtp()
    {
        return new InetSocketAddress("127.0.0.1", smtpPort);
    }

    @Override
    public long pid()
    {
        return masterPid;
    }

    /** Queue files per queue: what Postfix itself holds, as {@code qshape} would count it. */
    @Override
    public Map<String, Double> ownView()
    {
        final Map<String, Double> view = new LinkedHashMap<>();
        for (final String name : List.of("maildrop", "incoming", "active", "deferred", "hold"))
        {
            view.put(name, (double)countFiles(queue.resolve(name)));
        }
        return view;
    }

    private static long countFiles(final Path folder)
    {
        if (!Files.isDirectory(folder))
        {
            return 0;
        }
        try (Stream<Path> files = Files.walk(folder))
        {
            return files.filter(Files::isRegularFile).count();
        }
        catch (final IOException | java.io.UncheckedIOException ex)
        {
            return -1; // A file moved between queues while counting; the next sample counts again.
        }
    }

    /** The queue files left at the end: mail Postfix still holds (its bounces included). */
    @Override
    public Map<String, String> finalState()
    {
        final Map<String, String> state = new LinkedHashMap<>();
        ownView().forEach((queueName, files) -> state.put(queueName, Long.toString(files.longValue())));
        return state;
    }

    @Override
    public Map<String, String> describe()
    {
        final Map<String, String> description = new LinkedHashMap<>();
        description.put("version", version);
        description.put(SystemUnderTest.REQUIRED, "relay_domains=" + options.protectedDomain() + " relayhost=the sink");
        description.put(SystemUnderTest.CHANGED, "mynetworks= (empty: stock trusts the host's own networks, and every"
            + " source here is on loopback; the benchmark's clients stand for Internet senders)");
        description.put(SystemUnderTest.PLUMBING, "private instance (postfix -c): own queue_directory, data_directory,"
            + " maillog_file, master.cf on a free loopback port, no chroot, smtp_dns_support_level=disabled,"
            + " mydestination empty");
        description.put("maillog", work.resolve("maillog").toString());
        return description;
    }

    @Override
    public void close() throws IOException, InterruptedException
    {
        if (!started)
        {
            return;
        }
        started = false;
        try
        {
            run("timeout", "30", "postfix", "-c", conf.toString(), "stop");
        }
        catch (final IOException ex)
        {
            System.err.println("postfix stop: " + ex.getMessage());
        }
        ProcessHandle.of(masterPid).ifPresent(master ->
        {
            try
            {
                Processes.stop(master, 20);
            }
            catch (final InterruptedException interrupted)
            {
                Thread.currentThread().interrupt();
            }
        });
    }
}
