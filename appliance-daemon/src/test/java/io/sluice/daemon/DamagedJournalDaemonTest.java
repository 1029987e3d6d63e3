package io.sluice.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.sluice.spool.ChildJvm;
import io.sluice.spool.JournalDamage;
import io.sluice.spool.QueueIds;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolAwait;
import io.sluice.spool.SpoolContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator scenario end to end: the real daemon takes 600 messages over SMTP with its drain paused, is
 * killed with {@code kill -9}, 4 KiB in the middle of its journal file are overwritten with random bytes, and it
 * starts again with the drain running. Every acknowledged message but the ones whose records the damage touched
 * is delivered, each exactly once, and the start-up log names the damaged span and the messages lost in it.
 */
class DamagedJournalDaemonTest
{
    private static final Pattern SUBJECT = Pattern.compile("Subject: (m\\d+)\r\n");
    private static final int MESSAGES = 600;

    @TempDir
    Path dir;

    @Test
    void shouldDeliverEveryIntactMessageExactlyOnceAfterABadBlock() throws Exception
    {
        final Path spool = dir.resolve("spool");
        final Map<Long, String> acknowledged = new HashMap<>();
        try (ChildJvm daemon = start(spool, "--set", "drain.pausedRoutes=default"))
        {
            send(SmtpCrashTest.smtpAddress(daemon), acknowledged);
            daemon.kill9();
        }
        assertThat(acknowledged).hasSizeGreaterThan(MESSAGES / 2);
        // Chronicle's own reading of the undamaged journal says where each message's records lie.
        final List<JournalDamage.Record> records = JournalDamage.records(spool, new SpoolContext().directory(spool).conclude());
        final JournalDamage.Record middle = records.get(records.size() / 2);
        final Path file = middle.file();
        final long from = middle.position() + 500;
        final byte[] garbage = new byte[4096];
        new Random(22).nextBytes(garbage);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"))
        {
            raf.seek(from);
            raf.write(garbage);
        }
        final Set<String> lost = new TreeSet<>();
        for (final long id : JournalDamage.expected(records, file, from, from + garbage.length).lost())
        {
            lost.add(acknowledged.get(id));
        }
        assertThat(lost).as("the damage takes a few messages").isNotEmpty();
        final Set<String> expected = new TreeSet<>(acknowledged.values());
        expected.removeAll(lost);
        try (ChildJvm daemon = start(spool))
        {
            SmtpCrashTest.smtpAddress(daemon);
            final Path delivered = spool.resolveSibling("delivered").resolve("default");
            SpoolAwait.until(() -> DeliveredFolder.texts(delivered).size() >= expected.size(), 120_000);
            daemon.terminate();
            daemon.waitFor(60_000);
            final List<String> tags = new ArrayList<>();
            for (final String text : DeliveredFolder.texts(delivered))
            {
                final Matcher subject = SUBJECT.matcher(text);
                assertThat(subject.find()).isTrue();
                tags.add(subject.group(1));
            }
            assertThat(tags).as("every intact message delivered exactly once").hasSize(expected.size())
                .doesNotHaveDuplicates();
            assertThat(new TreeSet<>(tags)).isEqualTo(expected);
            final String warning = daemon.lines().stream().filter(l -> l.contains("is damaged at bytes")).findFirst()
                .orElseThrow(() -> new AssertionError("no damage warning in " + daemon.lines()));
            System.out.printf("damaged daemon journal: %d acknowledged, %d delivered once, %d lost to 4 KiB at %d: %s%n",
                acknowledged.size(), tags.size(), lost.size(), from, warning);
        }
        try (Spool reopened = Spool.open(new SpoolContext().directory(spool).diskReserveBytes(64L << 20)))
        {
            assertThat(reopened.pendingCount()).as("nothing left to deliver a second time").isZero();
        }
    }

    private static ChildJvm start(final Path spool, final String... extra) throws IOException
    {
        final List<String> args = new ArrayList<>(SmtpCrashTest.floodableDaemonArgs(spool));
        args.addAll(List.of(extra));
        return ChildJvm.start(SluiceDaemon.class, args.toArray(new String[0]));
    }

    private static void send(final InetSocketAddress address, final Map<Long, String> acknowledged) throws IOException
    {
        try (Socket socket = new Socket())
        {
            socket.connect(address, 10_000);
            socket.setSoTimeout(30_000);
            final BufferedReader in =
                new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            final OutputStream out = socket.getOutputStream();
            in.readLine();
            out.write("HELO damage.test\r\n".getBytes(StandardCharsets.US_ASCII));
            in.readLine();
            for (int n = 0; n < MESSAGES; n++)
            {
                // In lock step: a refused command (admission may tempfail as the paused backlog grows) is skipped, so
                // the message text is never read as commands.
                if (!positive(out, in, "MAIL FROM:<a@outside.test>") || !positive(out, in, "RCPT TO:<b@relay.test>")
                    || !positive(out, in, "DATA"))
                {
                    System.out.println("message m" + n + " refused before its data");
                    out.write("RSET\r\n".getBytes(StandardCharsets.US_ASCII));
                    in.readLine();
                    continue;
                }
                out.write(("Subject: m" + n + "\r\n\r\n" + "x".repeat(2000) + "\r\n.\r\n").getBytes(StandardCharsets.US_ASCII));
                final String reply = in.readLine();
                final Matcher queued = SmtpCrashTest.QUEUED.matcher(reply);
                if (!queued.matches())
                {
                    // Refused, so never promised: the scenario needs acknowledged mail, not all of it.
                    System.out.println("message m" + n + " not acknowledged: " + reply);
                    continue;
                }
                acknowledged.put(QueueIds.parse(queued.group(1)), "m" + n);
            }
        }
    }

    /** @return whether {@code command} was answered 2xx or 3xx. */
    private static boolean positive(final OutputStream out, final BufferedReader in, final String command) throws IOException
    {
        out.write((command + "\r\n").getBytes(StandardCharsets.US_ASCII));
        final String reply = in.readLine();
        return reply != null && (reply.startsWith("2") || reply.startsWith("3"));
    }
}
