package io.sluice.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.management.remote.JMXConnector;

import io.sluice.control.ConsoleClient;
import io.sluice.delivery.TestSmtpSink;
import io.sluice.spool.ChildJvm;
import io.sluice.spool.SpoolAwait;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A soak: the daemon in a child JVM takes a steady SMTP rate for {@code -Dsluice.soak.minutes} (30 by default) and
 * delivers it to a real SMTP sink. Every {@code -Dsluice.soak.sampleSeconds} (30) it samples the child's heap right
 * after a GC (over its own JMX connector), its open file descriptors ({@code /proc/<pid>/fd}) and the disk the spool
 * takes ({@code du}); the journal rolls every five minutes, so retention has files to delete. Asserts: heap flat (the
 * last third's highest after-GC sample within 50 % + 16 MiB of the first third's), file descriptors bounded (the last
 * third's highest within 50 of the first third's), disk bounded (never above {@link #DISK_BOUND_KIB}), every message
 * offered acknowledged (each step answered {@code 250}/{@code 250}/{@code 354}/{@code 250}, no session cut: anything else
 * is recorded and fails the run), the offered rate kept (at least 95 % of the schedule's messages offered: a soak that
 * fell behind did not soak at its rate), and every message acknowledged with 250 delivered. Prints every sample.
 */
@Tag("long")
class SoakTest
{
    private static final Pattern QUEUED = Pattern.compile("^250 2\\.0\\.0 Ok: queued as [0-9A-F]{16}$");
    private static final Pattern SUBJECT = Pattern.compile("Subject: (soak-\\d+-\\d+)\r\n");
    private static final int MESSAGES_PER_SECOND = 40;
    /** Sessions sharing the rate: one lock-step session alone is bound by the msync of each message. */
    private static final int SENDERS = 4;
    /**
     * Messages a session sends before the default smtp.maxCommandsPerSession (10,000) may end it: HELO and three
     * commands a message. A 421 any earlier is a failure.
     */
    private static final int MESSAGES_BEFORE_COMMAND_LIMIT = (10_000 - 1) / 3 - 1;
    private static final String BODY = "soak line of a steady message\r\n".repeat(64);
    /** Five-minute journal files of 16 MiB blocks: a few are live at any time, old ones are deleted. */
    private static final long DISK_BOUND_KIB = 512 * 1024;

    @TempDir
    Path dir;

    /** One sample of the child. */
    private record Sample(double minute, long heapAfterGcBytes, long openFds, long spoolKib, long acknowledged, long delivered)
    {
        @Override
        public String toString()
        {
            return String.format("%6.1f min  heap after GC %6.1f MiB  fds %4d  spool %7d KiB  acked %7d  delivered %7d", minute,
                heapAfterGcBytes / 1048576.0, openFds, spoolKib, acknowledged, delivered);
        }
    }

    @Test
    void shouldKeepHeapFdsAndDiskFlatAtASteadyRate() throws Exception
    {
        final double minutes = Double.parseDouble(System.getProperty("sluice.soak.minutes", "30"));
        final long sampleMs = Long.getLong("sluice.soak.sampleSeconds", 30) * 1000;
        final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        final Set<String> offered = ConcurrentHashMap.newKeySet();
        final List<String> failures = new CopyOnWriteArrayList<>();
        final AtomicInteger closedByServer = new AtomicInteger();
        final Set<String> delivered = ConcurrentHashMap.newKeySet();
        final Path spool = dir.resolve("spool");
        final List<Sample> samples = new ArrayList<>();
        try (TestSmtpSink sink = TestSmtpSink.start(); ChildJvm daemon = startDaemon(spool, sink))
        {
            sink.handTo(received ->
            {
                final Matcher tag = SUBJECT.matcher(received.text());
                if (tag.find())
                {
                    delivered.add(tag.group(1));
                }
            });
            final InetSocketAddress smtp = smtpAddress(daemon);
            final AtomicBoolean running = new AtomicBoolean(true);
            final List<Thread> senders = new ArrayList<>();
            for (int s = 0; s < SENDERS; s++)
            {
                final String prefix = "soak-" + s + "-";
                final Ledger ledger = new Ledger(offered, acknowledged, failures, closedByServer);
                final Thread sender = new Thread(() -> sendSteadily(smtp, prefix, running, ledger), prefix);
                sender.start();
                senders.add(sender);
            }
            final long started = System.nanoTime();
            try (JMXConnector jmx = ConsoleClient.connect(ConsoleClient.socketOf(spool)))
            {
                final MemoryMXBean memory = ManagementFactory.newPlatformMXBeanProxy(jmx.getMBeanServerConnection(),
                    ManagementFactory.MEMORY_MXBEAN_NAME, MemoryMXBean.class);
                final long end = started + (long)(minutes * 60e9);
                while (System.nanoTime() < end)
                {
                    Thread.sleep(Math.min(sampleMs, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
                    memory.gc();
                    final Sample sample = new Sample((System.nanoTime() - started) / 60e9,
                        memory.getHeapMemoryUsage().getUsed(), openFds(daemon.pid()), diskKib(spool), acknowledged.size(),
                        delivered.size());
                    samples.add(sample);
                    System.out.println("soak sample: " + sample);
                }
            }
            running.set(false);
            for (final Thread sender : senders)
            {
                sender.join(30_000);
            }
            SpoolAwait.until(() -> delivered.containsAll(acknowledged), 120_000);
        }
        System.out.println("soak: sessions the daemon closed with 421 between transactions (smtp.maxCommandsPerSession), "
            + "the message then sent again on a new one: " + closedByServer.get());
        assertThat(failures).as("every message offered is acknowledged, no session cut").isEmpty();
        assertThat(acknowledged).as("offered and acknowledged").isEqualTo(offered);
        verdict(samples, acknowledged.size(), minutes);
    }

    /** What the senders offered, what got its 250, and every other reply or cut session. */
    private record Ledger(Set<String> offered, Set<String> acknowledged, List<String> failures,
        AtomicInteger closedByServer)
    {
    }

    private static void verdict(final List<Sample> samples, final long acknowledged, final double minutes)
    {
        assertThat(samples).as("at least three samples").hasSizeGreaterThanOrEqualTo(3);
        final int third = Math.max(1, samples.size() / 3);
        final List<Sample> first = samples.subList(0, third);
        final List<Sample> last = samples.subList(samples.size() - third, samples.size());
        final long firstHeap = first.stream().mapToLong(Sample::heapAfterGcBytes).max().orElseThrow();
        final long lastHeap = last.stream().mapToLong(Sample::heapAfterGcBytes).max().orElseThrow();
        final long firstFds = first.stream().mapToLong(Sample::openFds).max().orElseThrow();
        final long lastFds = last.stream().mapToLong(Sample::openFds).max().orElseThrow();
        final long maxDisk = samples.stream().mapToLong(Sample::spoolKib).max().orElseThrow();
        System.out.printf("Soak: %.1f min, %d msg/s offered (%.1f acknowledged), %d samples, %d messages acknowledged and all"
                + " delivered; heap after GC max %.1f MiB in the first third, %.1f MiB in the last; fds max %d then %d; spool at"
                + " most %d KiB%n", minutes, MESSAGES_PER_SECOND, acknowledged / (minutes * 60), samples.size(), acknowledged,
            firstHeap / 1048576.0, lastHeap / 1048576.0, firstFds, lastFds, maxDisk);
        assertThat(acknowledged).as("the rate was offered (%d msg/s for %.1f min) and all of it acknowledged",
            MESSAGES_PER_SECOND, minutes).isGreaterThanOrEqualTo((long)(minutes * 60 * MESSAGES_PER_SECOND * 0.95));
        assertThat(lastHeap).as("heap flat").isLessThanOrEqualTo(firstHeap * 3 / 2 + (16L << 20));
        assertThat(lastFds).as("file descriptors bounded").isLessThanOrEqualTo(firstFds + 50);
        assertThat(maxDisk).as("disk bounded: retention deletes delivered journal files").isLessThanOrEqualTo(DISK_BOUND_KIB);
    }

    /** One session from the trusted 127.0.0.1 at its share of the rate, on a fixed schedule; reconnects if cut. */
    private static void sendSteadily(final InetSocketAddress smtp, final String prefix, final AtomicBoolean running,
        final Ledger ledger)
    {
        final long periodNanos = 1_000_000_000L * SENDERS / MESSAGES_PER_SECOND;
        long next = System.nanoTime();
        int n = 0;
        while (running.get())
        {
            int inSession = 0;
            try (Socket socket = new Socket())
            {
                socket.connect(smtp, 10_000);
                socket.setSoTimeout(30_000);
                final BufferedReader in =
                    new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
                final OutputStream out = socket.getOutputStream();
                in.readLine();
                out.write("HELO soak.test\r\n".getBytes(StandardCharsets.US_ASCII));
                in.readLine();
                while (running.get())
                {
                    final long wait = next - System.nanoTime();
                    if (wait > 0)
                    {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    next += periodNanos;
                    final String tag = prefix + n++;
                    ledger.offered().add(tag);
                    out.write(("MAIL FROM:<soak@outside.test>\r\nRCPT TO:<user@relay.test>\r\nDATA\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                    final String replies = in.readLine() + " / " + in.readLine() + " / " + in.readLine();
                    if (replies.startsWith("421 ") && inSession >= MESSAGES_BEFORE_COMMAND_LIMIT)
                    {
                        // The daemon ends a long session between transactions once it has sent the default
                        // smtp.maxCommandsPerSession (10,000: three a message here), with the 421 RFC 5321 section 3.8
                        // allows; an MTA then sends the message again on a new session, and so does this client.
                        ledger.offered().remove(tag);
                        n--;
                        ledger.closedByServer().incrementAndGet();
                        break;
                    }
                    if (!replies.matches("250 .* / 250 .* / 354 .*"))
                    {
                        ledger.failures().add(tag + ": " + replies);
                        break;
                    }
                    out.write(("Subject: " + tag + "\r\n\r\n" + BODY + ".\r\n").getBytes(StandardCharsets.US_ASCII));
                    final String reply = in.readLine();
                    inSession++;
                    if (reply != null && QUEUED.matcher(reply).matches())
                    {
                        ledger.acknowledged().add(tag);
                    }
                    else
                    {
                        ledger.failures().add(tag + ": " + reply);
                    }
                }
            }
            catch (final IOException ex)
            {
                // Cut off: counted as a failure (the daemon should never drop a steady client), then a new session.
                ledger.failures().add(prefix + n + ": session cut: " + ex);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static long openFds(final long pid) throws IOException
    {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd")))
        {
            return fds.count();
        }
    }

    /** @return the disk blocks the spool directory takes, in KiB, as {@code du} counts them (sparse files honestly). */
    private static long diskKib(final Path spool) throws IOException, InterruptedException
    {
        final Process du = new ProcessBuilder("du", "-sk", spool.toString()).redirectErrorStream(true).start();
        final String out = new String(du.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        du.waitFor();
        return Long.parseLong(out.trim().split("\\s+")[0]);
    }

    private static ChildJvm startDaemon(final Path spool, final TestSmtpSink sink) throws IOException
    {
        return ChildJvm.start(SluiceDaemon.class,
            "--set", "spool.directory=" + spool, "--set", "smtp.listen=127.0.0.1:0", "--set", "spool.rollCycle=FIVE_MINUTELY",
            // The heap is sampled after a GC the test asks for over the console: a platform operation, diagnostics only.
            "--set", "jmx.diagnostics=true", "--set", "relay.domains=relay.test",
            "--set", "admission.ip.burst=1000000", "--set", "admission.ip.ratePerSecond=100000",
            "--set", "admission.network.burst=1000000", "--set", "admission.network.ratePerSecond=100000",
            "--set", "admission.senderDomain.burst=1000000", "--set", "admission.senderDomain.ratePerSecond=100000",
            "--set", "admission.tenant.burst=1000000", "--set", "admission.tenant.ratePerSecond=100000",
            // One source sends it all: without these its recipient buckets (20/s per address) would refuse half of it.
            "--set", "admission.ip.recipientsPerSecond=100000", "--set", "admission.network.recipientsPerSecond=100000",
            "--set", "admission.tenant.recipientsPerSecond=100000",
            "--set", "containment.exemptTenants=default",
            "--set", "delivery.route.default.target=" + sink.target());
    }

    private static InetSocketAddress smtpAddress(final ChildJvm daemon)
    {
        SpoolAwait.until(() -> daemon.lines().stream().anyMatch(l -> l.contains("sluice started")) || !daemon.isAlive(),
            60_000);
        final String started = daemon.lines().stream().filter(l -> l.contains("sluice started")).findFirst()
            .orElseThrow(() -> new AssertionError("the daemon did not start: " + daemon.lines()));
        final Matcher port = Pattern.compile("SMTP on /127\\.0\\.0\\.1:(\\d+)").matcher(started);
        assertThat(port.find()).isTrue();
        return new InetSocketAddress("127.0.0.1", Integer.parseInt(port.group(1)));
    }
}
