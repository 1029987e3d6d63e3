package io.sluice.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.sluice.admission.AdmissionContext;
import io.sluice.admission.KeyKind;
import io.sluice.admission.ReputationSettings;
import io.sluice.admission.SourceClass;
import io.sluice.admission.Traffic;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.QueueIds;
import io.sluice.spool.Spool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hostile-SMTP fuzzer against one real server (real spool, real admission, real sockets): {@link FuzzSessions}
 * generates sessions of pipelined steps from a seed, each sent whole from one of several loopback addresses, then
 * {@code QUIT}. After each session:
 * <ul>
 *   <li>the server answered and closed the connection within {@link #HANG_MS} (no worker hung on it);</li>
 *   <li>the reply after every {@code 354} answers the data (queued, or refused as a whole): what follows DATA is data,
 *   never commands, however the bytes were grouped into reads;</li>
 *   <li>the spool grew by exactly the number of {@code 250 ... queued as} replies: nothing stored unacknowledged,
 *   nothing acknowledged unstored, never two messages for one DATA;</li>
 *   <li>each acknowledged message, after the server's {@code Received:} header, is exactly the unstuffed data of a
 *   DATA the client sent ({@link DataRegions}), each region used once and in order, with no bare CR or LF, and never
 *   the smuggled half of a smuggling attempt;</li>
 *   <li>each acknowledged message's stored envelope names a sender and recipients the client sent in that session;</li>
 *   <li>in a well-formed session ({@link FuzzSessions.Session#clean()}: pipelined and split at random, every command
 *   valid), every reply is the one RFC 5321 requires: {@code 250} to MAIL and each RCPT, {@code 354} to DATA,
 *   {@code 250 ... queued as} to its end, and each stored message has exactly the transaction's sender, recipients (in
 *   order) and content. The only exception is a reply naming a limit this test configured ({@link #CONFIGURED_LIMIT}:
 *   the connection limits, the spool's disk reserve); those are counted, and may be at most 1 % of the well-formed
 *   transactions;</li>
 *   <li>every {@link #PROBE_EVERY} sessions (and at the end), two well-formed transactions, one per event loop, still
 *   get their {@code 250}.</li>
 * </ul>
 * {@code -Dsluice.fuzz.sessions=N} sets the count (3,000 by default, 100,000 under {@code -Plong});
 * {@code -Dsluice.fuzz.seed=S} replays a run; a failure names the seed, the session's index and its steps.
 */
class SmtpFuzzTest
{
    private static final Pattern QUEUED = Pattern.compile("^250 2\\.0\\.0 Ok: queued as ([0-9A-F]{16})$");
    /** What may follow a 354: the message queued or refused whole, or the connection closed with a 421. */
    private static final Pattern END_OF_DATA =
        Pattern.compile("^(250 2\\.0\\.0 Ok: queued as|554 5\\.6\\.0|552 5\\.3\\.4|45[12] 4\\.|421 4\\.).*");
    /** Replies to a well-formed session that name a limit this test set (IngressFixture's disk reserve included). */
    private static final Pattern CONFIGURED_LIMIT = Pattern.compile(
        "^(421 4\\.7\\.0 Too many connections|452 4\\.3\\.1 Insufficient system storage).*");
    private static final int HANG_MS = 30_000;
    private static final int PROBE_EVERY = 50;
    private static final byte[] TRAILER = "\r\n.\r\nQUIT\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] QUIT = "QUIT\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RECEIVED_END = ";\r\n\t".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    private IngressFixture server;
    private long sessions;
    private long acknowledged;
    private long refusedData;
    private long probes;
    private long bytesSent;
    private long cleanTransactions;
    private long cleanLimited;

    @AfterEach
    void stopServer()
    {
        if (server != null)
        {
            server.close();
        }
    }

    /**
     * Every bucket off, the class buckets of each source class too, and the backlog watermarks out of reach: the fuzzer
     * tests the protocol, and admission's own tests cover its refusals. The fixture has no drain, so its backlog only
     * grows: at the shipped 100,000-message high watermark a 100,000-session run met {@code 452 4.3.1 System busy} in a
     * well-formed session, a limit this test had not set. The spool's disk reserve stays (a configured limit, counted).
     */
    static AdmissionContext unlimited(final AdmissionContext admission)
    {
        admission.backlogHardLimit(1_000_000_000L).backlogHighWatermark(1_000_000_000L).backlogLowWatermark(900_000_000L);
        for (final SourceClass sourceClass : ReputationSettings.bucketClasses())
        {
            for (final KeyKind kind : ReputationSettings.bucketKinds())
            {
                admission.reputation().ratePerSecond(sourceClass, kind, 0);
            }
        }
        for (final KeyKind kind : KeyKind.values())
        {
            for (final Traffic traffic : Traffic.values())
            {
                if (kind.limits(traffic))
                {
                    admission.ratePerSecond(kind, traffic, 0);
                }
            }
        }
        return admission;
    }

    @Test
    void shouldNeverLoseSplitOrInventAMessageNorHangWhateverTheClientSends() throws Exception
    {
        server = IngressFixture.start(dir,
            ingress -> ingress.maxConnectionsPerIp(1_000).maxConnections(10_000).maxMessageBytes(256 * 1024)
                .maxBadCommands(20),
            SmtpFuzzTest::unlimited);
        final int count = Integer.getInteger("sluice.fuzz.sessions", 3_000);
        final long seed = Long.getLong("sluice.fuzz.seed", System.nanoTime());
        final FuzzSessions generator = new FuzzSessions(seed);
        final long started = System.nanoTime();
        for (int i = 0; i < count; i++)
        {
            final FuzzSessions.Session session = generator.next();
            try
            {
                check(session);
            }
            catch (final AssertionError | IOException ex)
            {
                throw new AssertionError("session " + i + " of seed " + seed + " (replay: -Dsluice.fuzz.seed=" + seed
                    + ") from " + session.source() + ": " + session.steps(), ex);
            }
        }
        probe();
        probe();
        System.out.printf("SMTP fuzzer: %d sessions (seed %d), %,d bytes sent, %d messages acknowledged and verified in the"
                + " spool, %d DATA refused (554 5.6.0 / 552 5.3.4), %d well-formed transactions (%d met a configured limit),"
                + " %d probes answered 250, %.1f s%n", sessions, seed, bytesSent, acknowledged, refusedData, cleanTransactions,
            cleanLimited, probes, (System.nanoTime() - started) / 1e9);
        assertThat(sessions).isEqualTo(count);
        assertThat(cleanTransactions).as("the generator makes well-formed sessions").isGreaterThan(count / 10);
        assertThat(cleanLimited).as("well-formed transactions refused by a configured limit (seed %d)", seed)
            .isLessThanOrEqualTo(cleanTransactions / 100);
    }

    private void check(final FuzzSessions.Session session) throws IOException
    {
        if (session.clean())
        {
            checkClean(session);
            return;
        }
        final byte[] sent = concat(session.bytes(), TRAILER);
        final Spool spool = server.spool();
        final int before = spool.pendingCount();
        final List<String> replies = converse(session.source(), sent, session.writes());
        final List<Long> queued = new ArrayList<>();
        for (int r = 0; r < replies.size(); r++)
        {
            final String reply = replies.get(r);
            if (reply.startsWith("354"))
            {
                assertThat(r + 1 < replies.size() ? replies.get(r + 1) : "(nothing)")
                    .as("the reply after 354 answers the data; replies %s", replies).matches(END_OF_DATA);
            }
            final Matcher matcher = QUEUED.matcher(reply);
            if (matcher.matches())
            {
                queued.add(QueueIds.parse(matcher.group(1)));
            }
            else if (reply.startsWith("554 5.6.0") || reply.startsWith("552 5.3.4"))
            {
                refusedData++;
            }
        }
        assertThat(replies).as("the server closed after QUIT or an error").last()
            .matches(last -> last.startsWith("221") || last.startsWith("421"), "221 or 421");
        assertThat(spool.pendingCount() - before).as("messages stored == 250s to end of data; replies %s", replies)
            .isEqualTo(queued.size());
        verifyStored(sent, queued);
        counted(sent, queued);
    }

    private void counted(final byte[] sent, final List<Long> queued) throws IOException
    {
        acknowledged += queued.size();
        bytesSent += sent.length;
        if (++sessions % PROBE_EVERY == 0)
        {
            probe();
            probe();
        }
    }

    /**
     * A well-formed session: every reply as RFC 5321 requires, each acknowledged message stored with exactly its
     * transaction's envelope and content; a reply naming a configured limit ends the exact comparison and is counted.
     */
    private void checkClean(final FuzzSessions.Session session) throws IOException
    {
        final byte[] sent = concat(session.bytes(), QUIT);
        final int before = server.spool().pendingCount();
        final List<String> replies = converse(session.source(), sent, session.writes());
        final List<String> expected = session.expected();
        final List<Long> queued = new ArrayList<>();
        boolean limited = false;
        for (int r = 0; r < Math.max(replies.size(), expected.size()) && !limited; r++)
        {
            final String reply = r < replies.size() ? replies.get(r) : "(nothing)";
            if (CONFIGURED_LIMIT.matcher(reply).matches())
            {
                limited = true;
                continue;
            }
            assertThat(r).as("more replies than commands: %s", replies).isLessThan(expected.size());
            assertThat(reply).as("reply %d to a well-formed session; replies %s", r, replies).startsWith(expected.get(r));
            final Matcher matcher = QUEUED.matcher(reply);
            if (matcher.matches())
            {
                queued.add(QueueIds.parse(matcher.group(1)));
            }
        }
        cleanTransactions += session.transactions().size();
        if (limited)
        {
            cleanLimited += session.transactions().size() - queued.size();
        }
        else
        {
            assertThat(queued).as("every well-formed transaction acknowledged").hasSameSizeAs(session.transactions());
        }
        assertThat(server.spool().pendingCount() - before).as("messages stored == 250s; replies %s", replies)
            .isEqualTo(queued.size());
        for (int i = 0; i < queued.size(); i++)
        {
            final FuzzSessions.Transaction transaction = session.transactions().get(i);
            final PendingMessage stored = server.spool().pending(queued.get(i));
            assertThat(stored).as("acknowledged %s is pending", QueueIds.format(queued.get(i))).isNotNull();
            assertThat(stored.envelope().sender()).as("stored sender").isEqualTo(transaction.sender());
            assertThat(stored.envelope().recipients()).as("stored recipients").isEqualTo(transaction.recipients());
            assertThat(new String(withoutTraceHeader(server.spool().readContent(queued.get(i))), StandardCharsets.US_ASCII))
                .as("stored content").isEqualTo(transaction.content());
        }
        counted(sent, queued);
    }

    /** Each acknowledged message is one DATA the client sent, byte for byte, in order, and never a smuggled half. */
    private void verifyStored(final byte[] sent, final List<Long> queued) throws IOException
    {
        final List<DataRegions.Region> regions = DataRegions.of(sent);
        final String text = new String(sent, StandardCharsets.UTF_8);
        int next = 0;
        for (final long id : queued)
        {
            final PendingMessage stored = server.spool().pending(id);
            assertThat(stored).as("acknowledged %s is pending", QueueIds.format(id)).isNotNull();
            // Source routes are dropped from stored paths (RFC 5321 §4.1.1.3), so the address is looked for, not the path.
            assertThat(text).as("the stored sender was sent").contains(stored.envelope().sender());
            for (final String recipient : stored.envelope().recipients())
            {
                assertThat(text).as("the stored recipient was sent").contains(recipient);
            }
            final byte[] content = withoutTraceHeader(server.spool().readContent(id));
            final String shown = new String(content, StandardCharsets.ISO_8859_1);
            assertThat(DataRegions.hasBareNewline(content)).as("bare CR/LF stored: %s", shown).isFalse();
            assertThat(shown).as("the smuggled half became a message").doesNotStartWith(FuzzSessions.SMUGGLED);
            final int match = DataRegions.find(regions, next, content);
            assertThat(match).as("stored content is no DATA the client sent (after region %d): %s", next, shown)
                .isGreaterThanOrEqualTo(0);
            next = match + 1;
        }
    }

    private static byte[] withoutTraceHeader(final ByteBuffer stored)
    {
        final byte[] bytes = new byte[stored.remaining()];
        stored.get(bytes);
        assertThat(new String(bytes, 0, Math.min(bytes.length, 15), StandardCharsets.US_ASCII)).isEqualTo("Received: from ");
        int at = -1;
        for (int i = 0; i + RECEIVED_END.length <= bytes.length && at < 0; i++)
        {
            if (Arrays.equals(bytes, i, i + RECEIVED_END.length, RECEIVED_END, 0, RECEIVED_END.length))
            {
                at = i + RECEIVED_END.length;
            }
        }
        assertThat(at).as("trace header ends with its date").isPositive();
        for (int i = at; i + 1 < bytes.length; i++)
        {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n')
            {
                return Arrays.copyOfRange(bytes, i + 2, bytes.length);
            }
        }
        throw new AssertionError("trace header without an end");
    }

    /**
     * Sends everything pipelined, without waiting for the greeting, in {@code writes} pieces a millisecond apart (so some
     * bytes arrive while an earlier message is still being appended), then reads replies until the server closes.
     */
    private List<String> converse(final String source, final byte[] sent, final int writes) throws IOException
    {
        try (Socket socket = new Socket())
        {
            socket.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
            socket.connect(server.address(), 10_000);
            socket.setSoTimeout(HANG_MS);
            try
            {
                final int piece = sent.length / writes + 1;
                for (int from = 0; from < sent.length; from += piece)
                {
                    if (from > 0)
                    {
                        pause();
                    }
                    socket.getOutputStream().write(sent, from, Math.min(piece, sent.length - from));
                    socket.getOutputStream().flush();
                }
            }
            catch (final IOException closedEarly)
            {
                // The server closed first (too many errors): its replies are still there to read.
            }
            final ByteArrayOutputStream received = new ByteArrayOutputStream();
            final InputStream in = socket.getInputStream();
            final byte[] buffer = new byte[8192];
            try
            {
                int read;
                while ((read = in.read(buffer)) >= 0)
                {
                    received.write(buffer, 0, read);
                }
            }
            catch (final SocketTimeoutException hung)
            {
                throw new AssertionError("no end of session within " + HANG_MS + " ms; replies so far: " + received, hung);
            }
            catch (final IOException reset)
            {
                // A reset after the server closed with our bytes unread: what arrived before it counts.
            }
            final List<String> lines = new ArrayList<>();
            for (final String line : received.toString(StandardCharsets.UTF_8).split("\r\n"))
            {
                if (!line.isEmpty() && (line.length() < 4 || line.charAt(3) != '-'))
                {
                    lines.add(line);
                }
            }
            return lines;
        }
    }

    /** A well-formed, lock-step transaction from the trusted address must still get its 250. */
    private void probe() throws IOException
    {
        try (SmtpTestClient client = SmtpTestClient.connect(server.address(), "127.0.0.1"))
        {
            client.setTimeoutMillis(HANG_MS);
            SmtpTestClient.expect(client.reply(), "220");
            SmtpTestClient.expect(client.command("EHLO probe.test"), "250");
            final String reply = client.sendMessage("probe@probe.test", "probe@relay.test", "Subject: probe\r\n\r\nprobe");
            assertThat(reply).as("probe after %d sessions", sessions).startsWith("250 2.0.0 Ok: queued as");
            SmtpTestClient.expect(client.command("QUIT"), "221");
        }
        probes++;
    }

    private static void pause()
    {
        try
        {
            Thread.sleep(1);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private static byte[] concat(final byte[] first, final byte[] second)
    {
        final byte[] both = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }
}
