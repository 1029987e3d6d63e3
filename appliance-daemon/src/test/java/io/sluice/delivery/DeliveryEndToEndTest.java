package io.sluice.delivery;

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
import java.util.List;

import io.sluice.spool.Disposition;
import io.sluice.spool.MutableClock;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.SpoolAwait;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole way in one process: a client speaks SMTP to the listener, admission lets it in, the spool journals it, the
 * drain schedules it and delivery hands it to a real SMTP server on loopback. And the same after a restart in the
 * middle of a drain: the journal says what was delivered, and only the rest goes out.
 */
class DeliveryEndToEndTest
{
    @TempDir
    Path dir;

    private TestSmtpSink sink;

    @BeforeEach
    void startSink() throws IOException
    {
        sink = TestSmtpSink.start();
    }

    @AfterEach
    void stopSink() throws IOException
    {
        sink.close();
    }

    private static String body(final String tag)
    {
        return "Subject: " + tag + "\r\n\r\nfirst line\r\n.a line that starts with a dot\r\n.\r\nlast line";
    }

    @Test
    void shouldCarryMailFromTheSmtpListenerThroughSpoolAndDrainToTheUpstream() throws Exception
    {
        try (DeliveryHarness harness = DeliveryHarness.in(dir).target("default", sink.target()).withIngress().start())
        {
            final List<String> tags = List.of("e2e-0", "e2e-1", "e2e-2");
            final List<String> replies = send(harness.smtp.localAddress(), tags);
            assertThat(replies).allMatch(r -> r.startsWith("250 2.0.0"));

            SpoolAwait.until(() -> sink.received().size() == 3);
            for (final String tag : tags)
            {
                assertThat(sink.copiesOf("Subject: " + tag)).isEqualTo(1);
            }
            for (final TestSmtpSink.Received received : sink.received())
            {
                final String tag = received.text().substring(received.text().indexOf("Subject: ") + 9).split("\r\n")[0];
                assertThat(received.text()).as("as the listener stored it: trace header, then the message, dots intact")
                    .startsWith("Received: from client.test").contains("by sluice.test (Sluice) with ESMTP id ")
                    .endsWith(body(tag) + "\r\n");
                assertThat(received.recipients()).containsExactly("user@relay.test");
            }
            SpoolAwait.until(() -> harness.spool.pendingCount() == 0);
            assertThat(harness.journaled.values()).allMatch(PendingMessage::isFinished)
                .allMatch(m -> m.recipients().get(0).disposition() == Disposition.DELIVERED);
        }
    }

    @Test
    void shouldResumeADrainAfterARestartWithoutSendingAgainWhatWasDelivered() throws Exception
    {
        final MutableClock clock = new MutableClock(System.currentTimeMillis());
        final List<String> tags = new ArrayList<>();
        for (int i = 0; i < 20; i++)
        {
            tags.add("restart-" + i);
        }
        // The route's bucket holds 5 tokens and the clock stands still: the drain stops after 5, mid-backlog.
        try (DeliveryHarness before = DeliveryHarness.in(dir).clock(clock).target("default", sink.target())
            .drain(d -> d.routes("default:1:5,notifications:100:100")).withIngress().start())
        {
            assertThat(send(before.smtp.localAddress(), tags)).hasSize(20).allMatch(r -> r.startsWith("250 2.0.0"));
            SpoolAwait.until(() -> before.journaled.values().stream().filter(PendingMessage::isFinished).count() == 5
                && before.delivery.inFlight() == 0);
            assertThat(sink.received()).hasSize(5);
            assertThat(before.spool.pendingCount()).isEqualTo(15);
        }

        try (DeliveryHarness after = DeliveryHarness.in(dir).clock(clock).target("default", sink.target()).start())
        {
            assertThat(after.journaled).as("loaded from the journal").hasSize(15);
            SpoolAwait.until(() -> after.spool.pendingCount() == 0 && sink.received().size() >= 20);
        }
        for (final String tag : tags)
        {
            assertThat(sink.copiesOf("Subject: " + tag + "\r\n")).as(tag + " exactly once").isEqualTo(1);
        }
        assertThat(sink.received()).hasSize(20);
    }

    /** One SMTP session from 127.0.0.1 (a trusted source), one message per tag; returns the replies to the data. */
    private static List<String> send(final InetSocketAddress server, final List<String> tags) throws IOException
    {
        final List<String> replies = new ArrayList<>();
        try (Socket socket = new Socket())
        {
            socket.connect(server, 10_000);
            socket.setSoTimeout(15_000);
            final BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            final OutputStream out = socket.getOutputStream();
            expect(in.readLine(), "220");
            out.write("EHLO client.test\r\n".getBytes(StandardCharsets.US_ASCII));
            String line;
            do
            {
                line = in.readLine();
                expect(line, "250");
            }
            while (line.charAt(3) == '-');
            for (final String tag : tags)
            {
                final String envelope = "MAIL FROM:<sender@client.test>\r\nRCPT TO:<user@relay.test>\r\nDATA\r\n";
                out.write(envelope.getBytes(StandardCharsets.US_ASCII));
                expect(in.readLine(), "250");
                expect(in.readLine(), "250");
                expect(in.readLine(), "354");
                final String stuffed = body(tag).replace("\r\n.", "\r\n..");
                out.write((stuffed + "\r\n.\r\n").getBytes(StandardCharsets.US_ASCII));
                replies.add(in.readLine());
            }
            out.write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        return replies;
    }

    private static void expect(final String line, final String prefix)
    {
        if (line == null || !line.startsWith(prefix))
        {
            throw new AssertionError("expected " + prefix + " but got " + line);
        }
    }
}
