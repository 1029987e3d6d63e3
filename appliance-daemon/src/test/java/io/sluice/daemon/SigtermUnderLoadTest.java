package io.sluice.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.sluice.delivery.TestSmtpSink;
import io.sluice.spool.ChildJvm;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolAwait;
import io.sluice.spool.SpoolContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * systemd's stop under load: the real daemon in a child JVM takes mail from eight SMTP sessions sending without
 * pause while it delivers to a real SMTP server ({@link TestSmtpSink}); SIGTERM arrives. The daemon must exit
 * within the unit's {@code TimeoutStopSec} with the status the unit counts as clean (143); every session's last
 * transaction must have got a {@code 250}, a {@code 4xx} or a closed connection, never anything else; and after a
 * restart that drains the spool, every message that got a {@code 250} has arrived at the server, none twice except
 * when the daemon logged the documented case (the connection lost after the end of data, before its reply).
 */
class SigtermUnderLoadTest
{
    /** {@code TimeoutStopSec=} in systemd/sluice.service: after it, systemd sends SIGKILL. */
    private static final long STOP_TIMEOUT_MS = TimeUnit.SECONDS.toMillis(60);
    private static final int SESSIONS = 8;
    private static final Pattern QUEUED = Pattern.compile("^250 2\\.0\\.0 Ok: queued as ([0-9A-F]{16})$");
    private static final Pattern SUBJECT = Pattern.compile("^Subject: (\\S+)\r?$", Pattern.MULTILINE);
    private static final String LOST_REPLY = "after the end of data, before its reply";

    @TempDir
    Path dir;

    /** How one session's last transaction ended. */
    record LastWord(String session, String reply)
    {
    }

    @Test
    void shouldStopCleanlyOnSigtermUnderLoadLosingNothingAcknowledgedAndSendingNothingTwice() throws Exception
    {
        final Map<String, String> acknowledged = new ConcurrentHashMap<>();
        final Queue<LastWord> lastWords = new ConcurrentLinkedQueue<>();
        final List<String> daemonLines = new ArrayList<>();
        try (TestSmtpSink sink = TestSmtpSink.start())
        {
            final long stopMillis;
            try (ChildJvm daemon = startDaemon(sink))
            {
                final InetSocketAddress smtp = smtpAddress(daemon);
                final AtomicBoolean stop = new AtomicBoolean();
                final List<Thread> senders = new ArrayList<>();
                for (int s = 0; s < SESSIONS; s++)
                {
                    final String session = "s" + s;
                    final Thread sender = new Thread(() -> send(smtp, session, acknowledged, lastWords, stop), session);
                    sender.start();
                    senders.add(sender);
                }
                SpoolAwait.until(() -> acknowledged.size() >= 200 && !sink.received().isEmpty(), 60_000);

                final long termAt = System.nanoTime();
                daemon.terminate();
                final int exit = daemon.waitFor(STOP_TIMEOUT_MS);
                stopMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - termAt);
                assertThat(exit).as("exit status after SIGTERM (-1: still running after TimeoutStopSec)").isEqualTo(143);
                stop.set(true);
                for (final Thread sender : senders)
                {
                    sender.join(30_000);
                    assertThat(sender.isAlive()).as("%s ended with the daemon", sender.getName()).isFalse();
                }
                daemonLines.addAll(daemon.lines());
                assertThat(daemonLines).anyMatch(l -> l.contains("sluice stopped"));
            }
            assertThat(lastWords).as("each session's last word").hasSize(SESSIONS)
                .allSatisfy(w -> assertThat(w.reply()).as(w.session()).matches("^(250 .*|4\\d\\d .*|closed)$"));

            // Started again, it sends whatever the journal says is still undelivered.
            try (ChildJvm daemon = startDaemon(sink))
            {
                smtpAddress(daemon);
                SpoolAwait.until(() -> delivered(sink).keySet().containsAll(acknowledged.values()), 120_000);
                daemon.terminate();
                assertThat(daemon.waitFor(STOP_TIMEOUT_MS)).isEqualTo(143);
                daemonLines.addAll(daemon.lines());
            }
            try (Spool spool = Spool.open(new SpoolContext().directory(dir.resolve("spool")).diskReserveBytes(64L << 20)))
            {
                assertThat(spool.pendingCount()).as("the restarted daemon drained the spool").isZero();
            }

            final Map<String, Integer> copies = delivered(sink);
            final long twice = copies.values().stream().filter(n -> n > 1).count();
            final long lostReplies = daemonLines.stream().filter(l -> l.contains(LOST_REPLY)).count();
            System.out.printf("SIGTERM under load: %d messages acknowledged with 250, %d delivered, stop took %d ms; "
                + "last words %s; %d delivered twice, %d replies lost after the data%n", acknowledged.size(), copies.size(),
                stopMillis, summary(lastWords), twice, lostReplies);
            assertThat(copies.keySet()).as("every message acknowledged with 250 was delivered")
                .containsAll(acknowledged.values());
            assertThat(twice).as("messages delivered twice: only where a reply was lost after the data")
                .isLessThanOrEqualTo(lostReplies);
        }
    }

    private ChildJvm startDaemon(final TestSmtpSink sink) throws IOException
    {
        return ChildJvm.start(SluiceDaemon.class,
            "--set", "spool.directory=" + dir.resolve("spool"), "--set", "smtp.listen=127.0.0.1:0",
            "--set", "jmx.enabled=false", "--set", "relay.domains=relay.test",
            "--set", "admission.ip.burst=1000000", "--set", "admission.ip.ratePerSecond=100000",
            "--set", "admission.network.burst=1000000", "--set", "admission.network.ratePerSecond=100000",
            "--set", "drain.routes=default:2000:200,notifications:20:5",
            "--set", "delivery.route.default.target=" + sink.target());
    }

    private static InetSocketAddress smtpAddress(final ChildJvm daemon)
    {
        SpoolAwait.until(() -> daemon.lines().stream().anyMatch(l -> l.contains("sluice started")) || !daemon.isAlive(), 60_000);
        final String started = daemon.lines().stream().filter(l -> l.contains("sluice started")).findFirst().orElseThrow();
        final Matcher port = Pattern.compile("SMTP on /127\\.0\\.0\\.1:(\\d+)").matcher(started);
        assertThat(port.find()).as(started).isTrue();
        return new InetSocketAddress("127.0.0.1", Integer.parseInt(port.group(1)));
    }

    /** @return each message's tag (its Subject) and how many copies the sink took. */
    private static Map<String, Integer> delivered(final TestSmtpSink sink)
    {
        final Map<String, Integer> copies = new HashMap<>();
        for (final TestSmtpSink.Received received : sink.received())
        {
            final Matcher subject = SUBJECT.matcher(received.text());
            if (subject.find())
            {
                copies.merge(subject.group(1), 1, Integer::sum);
            }
        }
        return copies;
    }

    private static String summary(final Queue<LastWord> lastWords)
    {
        final Map<String, Integer> kinds = new HashMap<>();
        for (final LastWord word : lastWords)
        {
            kinds.merge(word.reply().length() > 3 ? word.reply().substring(0, 3) : word.reply(), 1, Integer::sum);
        }
        return kinds.toString();
    }

    /**
     * One SMTP session sending until the daemon goes away: MAIL, RCPT and DATA pipelined, then the message. Its last
     * word is the reply that ended the session (a {@code 4xx}, or {@code closed}), or the last {@code 250} if the test
     * stopped it.
     */
    private static void send(final InetSocketAddress address, final String session, final Map<String, String> acknowledged,
        final Queue<LastWord> lastWords, final AtomicBoolean stop)
    {
        String last = "closed";
        try (Socket socket = new Socket())
        {
            socket.connect(address, 10_000);
            socket.setSoTimeout(60_000);
            final BufferedReader in =
                new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            final OutputStream out = socket.getOutputStream();
            last = read(in);
            out.write("HELO load.test\r\n".getBytes(StandardCharsets.US_ASCII));
            last = read(in);
            for (int n = 0; !stop.get() && last.startsWith("2"); n++)
            {
                final String tag = session + "-" + n;
                out.write("MAIL FROM:<a@outside.test>\r\nRCPT TO:<b@relay.test>\r\nDATA\r\n".getBytes(StandardCharsets.US_ASCII));
                last = read(in);
                if (!last.startsWith("250"))
                {
                    break;
                }
                last = read(in);
                if (!last.startsWith("250"))
                {
                    break;
                }
                last = read(in);
                if (!last.startsWith("354"))
                {
                    break;
                }
                out.write(("Subject: " + tag + "\r\n\r\n" + "x".repeat(2000) + "\r\n.\r\n").getBytes(StandardCharsets.US_ASCII));
                last = read(in);
                final Matcher queued = QUEUED.matcher(last);
                if (queued.matches())
                {
                    acknowledged.put(queued.group(1), tag);
                }
            }
        }
        catch (final IOException gone)
        {
            // The daemon closed the connection (or reset it) mid-dialogue: only replies already read count.
            last = "closed";
        }
        lastWords.add(new LastWord(session, last));
    }

    private static String read(final BufferedReader in) throws IOException
    {
        final String line = in.readLine();
        if (line == null)
        {
            throw new IOException("closed");
        }
        return line;
    }
}
