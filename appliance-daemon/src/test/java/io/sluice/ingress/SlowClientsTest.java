package io.sluice.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.sun.management.UnixOperatingSystemMXBean;
import io.sluice.spool.CiRequirement;
import io.sluice.spool.SpoolAwait;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 5,000 connections that hold the server's attention and send nothing useful, each from its own 127.1.x.y address (so
 * the per-address cap does not refuse them; the test admits them all, which is what it is about): half of them idle
 * after the greeting, half sending one byte of a command now and then. Meanwhile a legitimate client must still get its
 * {@code 250} for a whole transaction. Its time to {@code 250} is printed (the target is under a second); the
 * assertion is only that it completes, within a generous hang-detection timeout, since wall-clock bounds flake.
 */
class SlowClientsTest
{
    private static final int SLOW_CLIENTS = 5_000;
    private static final int ROUNDS = 5;
    private static final int HANG_MS = 30_000;
    private static final byte[] DRIP = "EHLO drip.test".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    private IngressFixture server;
    private final List<SocketChannel> slow = new ArrayList<>();

    @AfterEach
    void closeAll() throws IOException
    {
        for (final SocketChannel channel : slow)
        {
            channel.close();
        }
        if (server != null)
        {
            server.close();
        }
    }

    @Test
    void shouldAnswerALegitimateClientWhile5000SlowConnectionsAreOpen() throws Exception
    {
        final long fdLimit =
            ((UnixOperatingSystemMXBean)ManagementFactory.getOperatingSystemMXBean()).getMaxFileDescriptorCount();
        CiRequirement.requireOnCi(fdLimit >= 2 * SLOW_CLIENTS + 2_000,
            "needs ~" + (2 * SLOW_CLIENTS + 2_000) + " file descriptors (both ends in this JVM); ulimit -n is " + fdLimit);
        server = IngressFixture.start(dir, ingress -> ingress.maxConnections(SLOW_CLIENTS + 100), SmtpFuzzTest::unlimited);

        final long openStarted = System.nanoTime();
        try (Selector selector = Selector.open())
        {
            for (int i = 0; i < SLOW_CLIENTS; i++)
            {
                final SocketChannel channel = SocketChannel.open();
                slow.add(channel);
                channel.bind(new InetSocketAddress(InetAddress.getByName("127.1." + i / 200 + "." + (1 + i % 200)), 0));
                channel.connect(server.address());
                channel.configureBlocking(false);
                channel.register(selector, SelectionKey.OP_READ, new StringBuilder());
            }
            final int greeted = awaitGreetings(selector);
            assertThat(greeted).as("every slow connection admitted (220)").isEqualTo(SLOW_CLIENTS);
        }
        assertThat(server.server().openConnections()).isEqualTo(SLOW_CLIENTS);
        final double openSeconds = (System.nanoTime() - openStarted) / 1e9;

        final List<Double> millis = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++)
        {
            drip(round);
            millis.add(legitimateTransactionMillis());
        }
        // The legitimate client's last connection may not be closed on the server's side yet: wait for that, then
        // every one of the slow ones must still be open.
        SpoolAwait.until(() -> server.server().openConnections() <= SLOW_CLIENTS, 10_000);
        assertThat(server.server().openConnections()).as("the slow ones are still there").isEqualTo(SLOW_CLIENTS);
        System.out.printf("Slow clients: %d connections open (%.1f s to open and greet), half dripping a byte per round;"
                + " a legitimate client's time to 250 over %d transactions: %s ms (max %.1f ms)%n", SLOW_CLIENTS, openSeconds,
            ROUNDS, millis.stream().map(m -> String.format("%.1f", m)).toList(),
            millis.stream().mapToDouble(Double::doubleValue).max().orElseThrow());
    }

    /** @return how many connections got a 220 greeting (reads until all have, or the timeout). */
    private static int awaitGreetings(final Selector selector) throws IOException
    {
        final ByteBuffer buffer = ByteBuffer.allocate(512);
        int greeted = 0;
        final long deadline = System.nanoTime() + HANG_MS * 1_000_000L;
        while (greeted < SLOW_CLIENTS && System.nanoTime() < deadline)
        {
            selector.select(1_000);
            for (final SelectionKey key : selector.selectedKeys())
            {
                buffer.clear();
                if (((SocketChannel)key.channel()).read(buffer) <= 0)
                {
                    continue;
                }
                final StringBuilder seen = (StringBuilder)key.attachment();
                seen.append(new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII));
                if (seen.indexOf("\r\n") >= 0)
                {
                    assertThat(seen.toString()).startsWith("220 ");
                    greeted++;
                    key.cancel();
                }
            }
            selector.selectedKeys().clear();
        }
        return greeted;
    }

    /** Every other connection sends the next byte of an EHLO it never finishes. */
    private void drip(final int round) throws IOException
    {
        for (int i = 0; i < slow.size(); i += 2)
        {
            slow.get(i).write(ByteBuffer.wrap(DRIP, round % DRIP.length, 1));
        }
    }

    /** @return milliseconds from connect to the 250 for a whole transaction from an outside address of its own. */
    private double legitimateTransactionMillis() throws IOException
    {
        final long started = System.nanoTime();
        try (SmtpTestClient client = SmtpTestClient.connect(server.address(), "127.2.0.1"))
        {
            client.setTimeoutMillis(HANG_MS);
            SmtpTestClient.expect(client.reply(), "220");
            SmtpTestClient.expect(client.command("EHLO legit.test"), "250");
            final String reply = client.sendMessage("legit@outside.test", "user@relay.test", "Subject: legit\r\n\r\nhello");
            final double millis = (System.nanoTime() - started) / 1e6;
            assertThat(reply).startsWith("250 2.0.0 Ok: queued as");
            SmtpTestClient.expect(client.command("QUIT"), "221");
            return millis;
        }
    }
}
