package io.sluice.ingress;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Locale;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The listener on each transport, over real sockets: native epoll where the daemon ships its library (Linux x86-64,
 * where it must load, or the daemon would silently run the costlier NIO), and NIO, the fallback everywhere else: a
 * message queued with its queue id, and a pipelined transaction answered in order.
 */
class IngressTransportTest
{
    @TempDir
    Path dir;

    @Test
    void shouldRunNativeEpollWhereItsLibraryShips()
    {
        final boolean shipped = System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux")
            && "amd64".equals(System.getProperty("os.arch"));
        assertThat(IngressTransport.available())
            .as("native epoll unavailable: %s", IngressTransport.whyNotNative())
            .isEqualTo(shipped ? IngressTransport.EPOLL : IngressTransport.NIO);
    }

    @Test
    void shouldTakeMailOnTheNativeTransport() throws Exception
    {
        takeMail(IngressTransport.available());
    }

    @Test
    void shouldTakeMailOnNio() throws Exception
    {
        takeMail(IngressTransport.NIO);
    }

    private void takeMail(final IngressTransport transport) throws Exception
    {
        try (IngressFixture fixture = IngressFixture.startOn(dir.resolve(transport.name()), transport))
        {
            assertThat(fixture.server().transport()).isEqualTo(transport);
            try (SmtpTestClient client = SmtpTestClient.connect(fixture.address(), "127.0.0.9"))
            {
                expect(client.reply(), "220 sluice.test");
                expect(client.command("EHLO client.example"), "250");
                final String queued = client.sendMessage("alice@outside.test", "bob@relay.test", "Subject: one\r\n\r\nHi.");
                assertThat(queued).matches("250 2\\.0\\.0 Ok: queued as [0-9A-F]{16}");
                client.send("MAIL FROM:<ann@outside.test>\r\nRCPT TO:<carl@relay.test>\r\nDATA\r\n");
                expect(client.reply(), "250 2.1.0");
                expect(client.reply(), "250 2.1.5");
                expect(client.reply(), "354");
                expect(client.command("Subject: two\r\n\r\nHi again.\r\n."), "250 2.0.0");
                expect(client.command("QUIT"), "221");
            }
            assertThat(fixture.spool().pendingCount()).isEqualTo(2);
        }
    }
}
