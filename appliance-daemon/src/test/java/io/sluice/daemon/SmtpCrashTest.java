package io.sluice.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.sluice.delivery.TestSmtpSink;
import io.sluice.spool.ChildJvm;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.QueueIds;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolAwait;
import io.sluice.spool.SpoolContext;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end over SMTP: the real daemon, in a child JVM, takes mail from eight concurrent sessions and is
 * killed with {@code kill -9} mid-flood. First three times delivering into the maildir beside the spool: every message
 * that got a {@code 250} must be in the spool afterwards, with its bytes, exactly once, or already delivered. Then in a
 * crash loop while it also delivers over SMTP to a real loopback server ({@link TestSmtpSink}), 5 kills (50 under
 * {@code -Plong}) at random moments: after the last restart every acknowledged message reaches the sink with its bytes,
 * and the only duplicates are the at-least-once case, at most one per delivery connection per kill.
 */
class SmtpCrashTest
{
    static final Pattern QUEUED = Pattern.compile("^250 2\\.0\\.0 Ok: queued as ([0-9A-F]{16})$");
    private static final Pattern SUBJECT = Pattern.compile("Subject: (r\\d+s\\d+-\\d+)\r\n");
    private static final int SENDERS = 8;
    /** Delivery connections of the default route: each can lose one reply per kill, the at-least-once case. */
    private static final int DELIVERY_CONNECTIONS = 4;
    private static final String BODY = "x".repeat(2000);
    /**
     * Each round kills after between these many {@code 250}s (the upper bound exclusive): at least two per session on
     * average, so every round has acknowledged messages to check and the loop's "more than 5 per kill" holds; at most a
     * couple of hundred 2 kB messages, so a round's flood stays about as short as the old 0.5-2.5 s window.
     */
    private static final int MIN_ACKS_BEFORE_KILL = 2 * SENDERS;
    private static final int MAX_ACKS_BEFORE_KILL = 200;

    @TempDir
    Path dir;

    @Test
    void shouldKeepEveryMessageAcknowledgedWith250ThroughKill9() throws Exception
    {
        final Path spool = dir.resolve("spool");
        final Map<Long, String> acknowledged = new ConcurrentHashMap<>();
        for (int round = 0; round < 3; round++)
        {
            try (ChildJvm daemon = ChildJvm.start(SluiceDaemon.class,
                "--set", "spool.directory=" + spool, "--set", "smtp.listen=127.0.0.1:0",
                "--set", "jmx.enabled=false", "--set", "relay.domains=relay.test",
                "--set", "admission.ip.burst=1000000", "--set", "admission.ip.ratePerSecond=100000",
                "--set", "admission.network.burst=1000000", "--set", "admission.network.ratePerSecond=100000"))
            {
                floodAndKill(daemon, smtpAddress(daemon), round, acknowledged);
            }
            verify(spool, acknowledged, round);
        }
        System.out.printf("SMTP crash test: 3 kills, %d messages acknowledged with 250, all present%n", acknowledged.size());
        assertThat(acknowledged).as("the daemon acknowledged mail before being killed").hasSizeGreaterThan(30);
    }

    @Test
    void shouldDeliverEveryAcknowledgedMessageThroughFiveKill9sWithBoundedDuplicates() throws Exception
    {
        crashLoopWithDelivery(5);
    }

    @Test
    @Tag("long")
    void shouldDeliverEveryAcknowledgedMessageThroughFiftyKill9sWithBoundedDuplicates() throws Exception
    {
        crashLoopWithDelivery(Integer.getInteger("sluice.crash.kills", 50));
    }

    private void crashLoopWithDelivery(final int kills) throws Exception
    {
        final Path spool = dir.resolve("spool");
        final Map<Long, String> acknowledged = new ConcurrentHashMap<>();
        final long started = System.nanoTime();
        try (TestSmtpSink sink = TestSmtpSink.start())
        {
            for (int round = 0; round < kills; round++)
            {
                try (ChildJvm daemon = startDaemon(spool, sink))
                {
                    floodAndKill(daemon, smtpAddress(daemon), round, acknowledged);
                }
            }
            // The last restart: no more load and no more kills; let it drain.
            try (ChildJvm daemon = startDaemon(spool, sink))
            {
                smtpAddress(daemon);
                final Set<String> tags = new HashSet<>(acknowledged.values());
                try
                {
                    SpoolAwait.until(() -> deliveredTags(sink).containsAll(tags), 180_000);
                }
                catch (final AssertionError notDrained)
                {
                    final Set<String> missing = new HashSet<>(tags);
                    missing.removeAll(deliveredTags(sink));
                    throw new AssertionError("not delivered after the last restart: " + missing + "; daemon said: "
                        + daemon.lines().stream().filter(l -> !l.contains("maillog")).toList(), notDrained);
                }
                daemon.terminate();
                assertThat(daemon.waitFor(60_000)).as("clean stop after the drain").isIn(0, 143);
            }
            report(kills, acknowledged, sink, spool, started);
        }
    }

    private void report(final int kills, final Map<Long, String> acknowledged, final TestSmtpSink sink, final Path spoolDir,
        final long started) throws IOException
    {
        final Map<String, Integer> copies = new HashMap<>();
        for (final TestSmtpSink.Received received : sink.received())
        {
            final Matcher tag = SUBJECT.matcher(received.text());
            assertThat(tag.find()).as("a message the test sent: %s", received.text()).isTrue();
            assertThat(received.text()).as("bytes of %s", tag.group(1))
                .contains("Subject: " + tag.group(1) + "\r\n\r\n" + BODY + "\r\n");
            copies.merge(tag.group(1), 1, Integer::sum);
        }
        final Set<String> acked = new HashSet<>(acknowledged.values());
        final int duplicates = copies.values().stream().mapToInt(n -> n - 1).sum();
        final long unacknowledged = copies.keySet().stream().filter(t -> !acked.contains(t)).count();
        System.out.printf("SMTP crash loop with delivery: %d kills survived, %d messages acknowledged with 250, %d of them"
                + " delivered to the sink, %d duplicates at the sink (bound %d = kills x %d connections), %d delivered"
                + " whose 250 the kill took, %.1f s%n", kills, acked.size(), copies.keySet().stream().filter(acked::contains)
                .count(), duplicates, kills * DELIVERY_CONNECTIONS, DELIVERY_CONNECTIONS, unacknowledged,
            (System.nanoTime() - started) / 1e9);
        assertThat(acked).as("the daemon acknowledged mail between kills").hasSizeGreaterThan(kills * 5);
        assertThat(copies.keySet()).as("every acknowledged message delivered").containsAll(acked);
        assertThat(duplicates).as("at-least-once: only replies lost in flight on a delivery connection at a kill")
            .isLessThanOrEqualTo(kills * DELIVERY_CONNECTIONS);
        assertThat(unacknowledged).as("at most one message per session lost its 250 at each kill")
            .isLessThanOrEqualTo((long)kills * SENDERS);
        try (Spool spool = Spool.open(new SpoolContext().directory(spoolDir).diskReserveBytes(64L << 20)))
        {
            assertThat(spool.pendingCount()).as("every message journaled final after the drain").isZero();
        }
    }

    private static Set<String> deliveredTags(final TestSmtpSink sink)
    {
        final Set<String> tags = new HashSet<>();
        for (final TestSmtpSink.Received received : sink.received())
        {
            final Matcher tag = SUBJECT.matcher(received.text());
            if (tag.find())
            {
                tags.add(tag.group(1));
            }
        }
        return tags;
    }

    private static ChildJvm startDaemon(final Path spool, final TestSmtpSink sink) throws IOException
    {
        final List<String> args = new ArrayList<>(floodableDaemonArgs(spool));
        args.addAll(List.of(
            "--set", "drain.routes=default:2000:200,notifications:20:5",
            "--set", "delivery.route.default.target=" + sink.target(),
            "--set", "delivery.route.default.maxConnections=" + DELIVERY_CONNECTIONS));
        return ChildJvm.start(SluiceDaemon.class, args.toArray(new String[0]));
    }

    /**
     * The daemon's arguments for a test that floods it from one address on purpose: a spool in {@code spool}, SMTP on a
     * free loopback port, no console, and the address, network, sender-domain and tenant buckets opened.
     */
    static List<String> floodableDaemonArgs(final Path spool)
    {
        return List.of(
            "--set", "spool.directory=" + spool, "--set", "smtp.listen=127.0.0.1:0",
            "--set", "jmx.enabled=false", "--set", "relay.domains=relay.test",
            "--set", "admission.ip.burst=1000000", "--set", "admission.ip.ratePerSecond=100000",
            "--set", "admission.network.burst=1000000", "--set", "admission.network.ratePerSecond=100000",
            "--set", "admission.senderDomain.burst=1000000", "--set", "admission.senderDomain.ratePerSecond=100000",
            "--set", "admission.tenant.burst=1000000", "--set", "admission.tenant.ratePerSecond=100000",
            // The flood is the test's own load, not abuse: containment would rightly hold the tenant otherwise.
            "--set", "containment.exemptTenants=default");
    }

    /** Waits for the start line and returns the SMTP address it names. */
    static InetSocketAddress smtpAddress(final ChildJvm daemon) throws IOException
    {
        SpoolAwait.until(() -> daemon.lines().stream().anyMatch(l -> l.contains("sluice started")) || !daemon.isAlive(),
            60_000);
        final String started = daemon.lines().stream().filter(l -> l.contains("sluice started")).findFirst()
            .orElseThrow(() -> new AssertionError("the daemon did not start: " + daemon.lines()));
        final Matcher port = Pattern.compile("SMTP on /127\\.0\\.0\\.1:(\\d+)").matcher(started);
        assertThat(port.find()).isTrue();
        return new InetSocketAddress("127.0.0.1", Integer.parseInt(port.group(1)));
    }

    /**
     * Floods the daemon from {@link #SENDERS} sessions and kills it with {@code kill -9} once a random number of
     * {@code 250}s has come back in this round, with the sessions still sending. The kill moment is counted in
     * acknowledged messages, not in time since "sluice started": on a loaded machine a freshly started daemon JVM can
     * take seconds to answer its first command, and a kill before any {@code 250} would prove nothing.
     */
    private static void floodAndKill(final ChildJvm daemon, final InetSocketAddress address, final int round,
        final Map<Long, String> acknowledged) throws IOException, InterruptedException
    {
        final AtomicInteger acknowledgedThisRound = new AtomicInteger();
        final int acksBeforeKill = ThreadLocalRandom.current().nextInt(MIN_ACKS_BEFORE_KILL, MAX_ACKS_BEFORE_KILL);
        final List<Thread> senders = new ArrayList<>();
        for (int s = 0; s < SENDERS; s++)
        {
            final String prefix = "r" + round + "s" + s;
            final Thread sender = new Thread(() -> send(address, prefix, (id, tag) ->
            {
                acknowledged.put(id, tag);
                acknowledgedThisRound.incrementAndGet();
            }), prefix);
            sender.start();
            senders.add(sender);
        }
        try
        {
            SpoolAwait.until(() -> acknowledgedThisRound.get() >= acksBeforeKill || !daemon.isAlive()
                || senders.stream().noneMatch(Thread::isAlive), 180_000);
        }
        catch (final AssertionError tooSlow)
        {
            throw new AssertionError("round " + round + ": " + acknowledgedThisRound.get() + " of " + acksBeforeKill
                + " messages acknowledged before the kill", tooSlow);
        }
        assertThat(daemon.isAlive()).as("round %d: the daemon died by itself: %s", round, daemon.lines()).isTrue();
        assertThat(acknowledgedThisRound.get()).as("round %d: every session ended before the kill", round)
            .isGreaterThanOrEqualTo(acksBeforeKill);
        daemon.kill9();
        for (final Thread sender : senders)
        {
            sender.join(30_000);
        }
    }

    private static void send(final InetSocketAddress address, final String prefix, final BiConsumer<Long, String> acknowledged)
    {
        try (Socket socket = new Socket())
        {
            socket.connect(address, 10_000);
            socket.setSoTimeout(30_000);
            final BufferedReader in =
                new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            final OutputStream out = socket.getOutputStream();
            in.readLine();
            out.write("HELO crash.test\r\n".getBytes(StandardCharsets.US_ASCII));
            in.readLine();
            for (int n = 0; ; n++)
            {
                final String tag = prefix + "-" + n;
                out.write("MAIL FROM:<a@outside.test>\r\nRCPT TO:<b@relay.test>\r\nDATA\r\n".getBytes(StandardCharsets.US_ASCII));
                if (in.readLine() == null || in.readLine() == null || in.readLine() == null)
                {
                    return;
                }
                out.write(("Subject: " + tag + "\r\n\r\n" + BODY + "\r\n.\r\n").getBytes(StandardCharsets.US_ASCII));
                final String reply = in.readLine();
                if (reply == null)
                {
                    return;
                }
                final Matcher queued = QUEUED.matcher(reply);
                if (queued.matches())
                {
                    acknowledged.accept(QueueIds.parse(queued.group(1)), tag);
                }
            }
        }
        catch (final IOException killed)
        {
            // The daemon was killed mid-dialogue: only replies already read count.
        }
    }

    private static void verify(final Path spoolDir, final Map<Long, String> acknowledged, final int round) throws IOException
    {
        try (Spool spool = Spool.open(new SpoolContext().directory(spoolDir).diskReserveBytes(64L << 20)))
        {
            for (final Map.Entry<Long, String> entry : acknowledged.entrySet())
            {
                final PendingMessage pending = spool.pending(entry.getKey());
                final Path delivered = spoolDir.resolveSibling("delivered").resolve("default").resolve("new")
                    .resolve(QueueIds.format(entry.getKey()) + "-r0.eml");
                assertThat(pending != null || Files.exists(delivered))
                    .as("round %d: %s acknowledged but neither pending nor delivered", round, entry.getValue()).isTrue();
                final String content = pending != null
                    ? StandardCharsets.US_ASCII.decode(spool.readContent(entry.getKey())).toString()
                    : Files.readString(delivered, StandardCharsets.US_ASCII);
                assertThat(content).as("round %d: bytes of %s", round, entry.getValue())
                    .contains("Subject: " + entry.getValue() + "\r\n\r\n" + "x".repeat(2000) + "\r\n");
            }
            final long distinct = spool.pendingMessages().stream().map(PendingMessage::messageId).distinct().count();
            assertThat(distinct).isEqualTo(spool.pendingCount());
        }
    }
}
