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
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.sluice.spool.ChildJvm;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.QueueIds;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolAwait;
import io.sluice.spool.SpoolContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end over SMTP: the real daemon, in a child JVM, takes mail from eight concurrent sessions and is
 * killed with {@code kill -9} mid-flood, three times. Every message that got a {@code 250} must be in the
 * spool afterwards, with its bytes, exactly once, or already delivered by the default route into the maildir
 * beside the spool.
 */
class SmtpCrashTest
{
    private static final Pattern QUEUED = Pattern.compile("^250 2\\.0\\.0 Ok: queued as ([0-9A-F]{16})$");

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
                SpoolAwait.until(() -> daemon.lines().stream().anyMatch(l -> l.contains("sluice started")) || !daemon.isAlive(),
                    60_000);
                final String started =
                    daemon.lines().stream().filter(l -> l.contains("sluice started")).findFirst().orElseThrow();
                final Matcher port = Pattern.compile("SMTP on /127\\.0\\.0\\.1:(\\d+)").matcher(started);
                assertThat(port.find()).isTrue();
                final InetSocketAddress address = new InetSocketAddress("127.0.0.1", Integer.parseInt(port.group(1)));
                final List<Thread> senders = new ArrayList<>();
                for (int s = 0; s < 8; s++)
                {
                    final String prefix = "r" + round + "s" + s;
                    final Thread sender = new Thread(() -> send(address, prefix, acknowledged), prefix);
                    sender.start();
                    senders.add(sender);
                }
                Thread.sleep(ThreadLocalRandom.current().nextInt(500, 2_000));
                daemon.kill9();
                for (final Thread sender : senders)
                {
                    sender.join(30_000);
                }
            }
            verify(spool, acknowledged, round);
        }
        System.out.printf("SMTP crash test: 3 kills, %d messages acknowledged with 250, all present%n", acknowledged.size());
        assertThat(acknowledged).as("the daemon acknowledged mail before being killed").hasSizeGreaterThan(30);
    }

    private static void send(final InetSocketAddress address, final String prefix, final Map<Long, String> acknowledged)
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
                out.write(("Subject: " + tag + "\r\n\r\n" + "x".repeat(2000) + "\r\n.\r\n").getBytes(StandardCharsets.US_ASCII));
                final String reply = in.readLine();
                if (reply == null)
                {
                    return;
                }
                final Matcher queued = QUEUED.matcher(reply);
                if (queued.matches())
                {
                    acknowledged.put(QueueIds.parse(queued.group(1)), tag);
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
