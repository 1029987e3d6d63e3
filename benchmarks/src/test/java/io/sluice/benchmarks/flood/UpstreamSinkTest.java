package io.sluice.benchmarks.flood;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;

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

    private static int send(final SmtpClientSession session, final String from, final byte[] content) throws Exception
    {
        assertThat(session.command("MAIL FROM:<" + from + ">").code()).isEqualTo(250);
        assertThat(session.command("RCPT TO:<rcpt@protected.example>").code()).isEqualTo(250);
        return session.data(content).code();
    }
}
