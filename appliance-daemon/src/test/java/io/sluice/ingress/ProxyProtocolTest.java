package io.sluice.ingress;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketException;
import java.nio.file.Path;
import java.util.List;

import io.sluice.net.Cidr;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.QueueIds;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PROXY protocol v1 and v2 headers set the client address (relay control and the envelope use it); a connection from
 * a proxy that is not trusted is closed without a greeting.
 */
class ProxyProtocolTest
{
    @TempDir
    Path dir;

    private IngressFixture fixture;

    @BeforeEach
    void start()
    {
        fixture = IngressFixture.start(dir, c -> c.proxyProtocol(true).trustedProxies(List.of(Cidr.parse("test", "127.0.0.1"))));
    }

    @AfterEach
    void stop()
    {
        fixture.close();
    }

    @Test
    void shouldTakeTheClientAddressFromAProxyV1Header() throws Exception
    {
        try (SmtpTestClient client = SmtpTestClient.connect(fixture.address(), "127.0.0.1"))
        {
            client.send("PROXY TCP4 192.0.2.9 127.0.0.1 5555 25\r\n");
            expect(client.reply(), "220");
            expect(client.command("EHLO behind.lb"), "250");
            assertThat(client.command("MAIL FROM:<a@outside.test>")).startsWith("250");
            assertThat(client.command("RCPT TO:<x@elsewhere.test>")).as("the real client is not trusted").startsWith("554 5.7.1");
            expect(client.command("RCPT TO:<b@relay.test>"), "250");
            expect(client.command("DATA"), "354");
            client.send("Subject: via proxy\r\n\r\nhi\r\n.\r\n");
            final String reply = expect(client.reply(), "250 2.0.0");
            final PendingMessage pending = fixture.spool().pending(QueueIds.parse(reply.substring(reply.lastIndexOf(' ') + 1)));
            assertThat(pending.envelope().sourceKey()).isEqualTo("192.0.2.9");
        }
    }

    @Test
    void shouldTakeTheClientAddressFromAProxyV2Header() throws Exception
    {
        try (SmtpTestClient client = SmtpTestClient.connect(fixture.address(), "127.0.0.1"))
        {
            client.sendBytes(proxyV2(new byte[] {(byte)198, 51, 100, 23}, new byte[] {127, 0, 0, 1}, 40_000, 25));
            expect(client.reply(), "220");
            assertThat(client.command("EHLO behind.lb")).contains("Hello [198.51.100.23]");
        }
    }

    @Test
    void shouldCloseConnectionsFromAnUntrustedProxyWithoutAGreeting() throws Exception
    {
        try (SmtpTestClient client = SmtpTestClient.connect(fixture.address(), "127.0.0.2"))
        {
            client.send("PROXY TCP4 192.0.2.9 127.0.0.1 5555 25\r\n");
            assertThat(replyOrReset(client)).isNull();
        }
    }

    /**
     * The reply, or null where the server closed the connection: with a close (FIN) or, where the header was still
     * unread in the server's socket when it closed, a reset (RST, as Linux answers a close over unread data). Either
     * way no greeting came.
     */
    private static String replyOrReset(final SmtpTestClient client) throws IOException
    {
        try
        {
            return client.reply();
        }
        catch (final SocketException reset)
        {
            assertThat(reset.getMessage()).contains("reset");
            return null;
        }
    }

    /** A PROXY protocol v2 header for TCP over IPv4 (haproxy's proxy-protocol.txt, section 2.2). */
    private static byte[] proxyV2(final byte[] source, final byte[] destination, final int sourcePort, final int destinationPort)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A});
        out.write(0x21);
        out.write(0x11);
        out.write(0);
        out.write(12);
        out.writeBytes(source);
        out.writeBytes(destination);
        out.write(sourcePort >> 8);
        out.write(sourcePort & 0xFF);
        out.write(destinationPort >> 8);
        out.write(destinationPort & 0xFF);
        return out.toByteArray();
    }
}
