package io.sluice.benchmarks.flood;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** The scenario's upstream over a real socket: its verdicts and what it tells the ledger. */
class UpstreamSinkTest
{
    private final ScenarioOptions options = ScenarioOptions.parse("--out", "/tmp/unused", "--flood", "10");
    private final FloodTraffic traffic = new FloodTraffic(options);
    private final Ledger ledger = new Ledger(System.nanoTime(), 10);

    @Test
    void shouldRejectTheFloodsMarkerTakeLegitimateMailCountBouncesAndSpotASecondCopy() throws Exception
    {
        ledger.legitMessage(0);
        try (UpstreamSink sink = new UpstreamSink(0, 1_000, 10, ledger);
            SmtpClientSession session = SmtpClientSession.connect(InetAddress.getLoopbackAddress(),
                new InetSocketAddress("127.0.0.1", sink.port())))
        {
            assertThat(session.reply().code()).isEqualTo(220);
            assertThat(session.command("EHLO relay.test").text()).contains("PIPELINING");

            assertThat(send(session, "v@protected.example", traffic.floodMessage(3))).isEqualTo(554);
            assertThat(send(session, "sender0@partner.example", traffic.legitMessage(0, 0))).isEqualTo(250);
            assertThat(send(session, "", traffic.floodMessage(4))).as("a DSN quoting a flood message").isEqualTo(250);
            assertThat(send(session, "v@protected.example", traffic.floodMessage(3))).isEqualTo(554);
            session.quit();
        }

        assertThat(ledger.floodRejectedUpstream()).isEqualTo(1);
        assertThat(ledger.floodFinalAt(3)).isNotEqualTo(Ledger.NEVER);
        assertThat(ledger.floodFinalAt(4)).as("a bounce is not the message it quotes").isEqualTo(Ledger.NEVER);
        assertThat(ledger.legitMessages().iterator().next().finalCode()).isEqualTo(250);
        assertThat(ledger.bounces()).isEqualTo(1);
        assertThat(ledger.duplicates()).isEqualTo(1);
        assertThat(ledger.unknownArrivals()).isZero();
    }

    /**
     * A pipelined group's replies leave together, as an MTA sends them: flushed reply by reply on a Nagle socket, the
     * second waited for the client's delayed ACK of the first (40 ms a transaction on Linux).
     */
    @Test
    void shouldAnswerAPipelinedGroupInOneWrite() throws Exception
    {
        try (UpstreamSink sink = new UpstreamSink(0, 1_000, 10, ledger);
            Socket socket = new Socket(InetAddress.getLoopbackAddress(), sink.port()))
        {
            socket.setSoTimeout(10_000);
            final InputStream in = socket.getInputStream();
            final OutputStream out = socket.getOutputStream();
            assertThat(readReplies(in, 1)).startsWith("220 ");
            out.write("EHLO relay.test\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(readReplies(in, 5)).contains("PIPELINING");

            out.write("MAIL FROM:<a@partner.example>\r\nRCPT TO:<b@protected.example>\r\nDATA\r\n"
                .getBytes(StandardCharsets.US_ASCII));
            final byte[] buffer = new byte[1024];
            final String firstRead = new String(buffer, 0, in.read(buffer), StandardCharsets.US_ASCII);

            assertThat(firstRead).isEqualTo("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n");
            out.write(".\r\nQUIT\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(readReplies(in, 2)).startsWith("250 ").contains("\r\n221 ");
        }
    }

    /** Reads until {@code lines} reply lines have come. */
    private static String readReplies(final InputStream in, final int lines) throws Exception
    {
        final StringBuilder text = new StringBuilder();
        int seen = 0;
        int b;
        while (seen < lines && (b = in.read()) != -1)
        {
            text.append((char)b);
            seen += b == '\n' ? 1 : 0;
        }
        return text.toString();
    }

    private static int send(final SmtpClientSession session, final String from, final byte[] content) throws Exception
    {
        assertThat(session.command("MAIL FROM:<" + from + ">").code()).isEqualTo(250);
        assertThat(session.command("RCPT TO:<rcpt@protected.example>").code()).isEqualTo(250);
        return session.data(content).code();
    }
}
