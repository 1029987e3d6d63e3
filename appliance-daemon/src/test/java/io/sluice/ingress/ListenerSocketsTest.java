package io.sluice.ingress;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The listening sockets (issue 21): each event loop serves the connections it accepted itself, every accepted
 * connection has TCP_NODELAY (from Netty's socket config, not set a second time), and a port already taken is still
 * refused with a message naming the address although the loops' sockets share their port with SO_REUSEPORT.
 */
class ListenerSocketsTest
{
    @TempDir
    Path dir;

    @Test
    void shouldServeEachConnectionOnTheLoopThatAcceptedItWithNoDelay() throws Exception
    {
        try (IngressFixture fixture = IngressFixture.start(dir, c -> c.eventLoopThreads(2)))
        {
            final List<SmtpTestClient> clients = new ArrayList<>();
            try
            {
                // Sources and ports vary, so the kernel spreads these over the loops' sockets.
                for (int i = 1; i <= 16; i++)
                {
                    final SmtpTestClient client = SmtpTestClient.connect(fixture.address(), "127.0.0.1");
                    clients.add(client);
                    expect(client.reply(), "220 ");
                }
                final List<Channel> sessions = fixture.server().openSessions();
                assertThat(sessions).hasSize(16);
                for (final Channel session : sessions)
                {
                    assertThat(session.eventLoop()).isSameAs(session.parent().eventLoop());
                    assertThat(session.config().getOption(ChannelOption.TCP_NODELAY)).isTrue();
                }
                // Every loop's socket listens on the one address the server reports.
                assertThat(sessions).allSatisfy(session ->
                    assertThat(((InetSocketAddress)session.localAddress()).getPort()).isEqualTo(fixture.address().getPort()));
            }
            finally
            {
                for (final SmtpTestClient client : clients)
                {
                    client.close();
                }
            }
        }
    }

    @Test
    void shouldRefuseAPortTakenByAnotherSocketOrAnotherServer() throws Exception
    {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress()))
        {
            final InetSocketAddress address = new InetSocketAddress("127.0.0.1", taken.getLocalPort());
            assertThatThrownBy(() -> IngressFixture.start(dir.resolve("plain"), c -> c.listen(address)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("cannot listen on " + address);
        }
        try (IngressFixture first = IngressFixture.start(dir.resolve("first"), c -> c.eventLoopThreads(2)))
        {
            // A second daemon of the same user would share the port through SO_REUSEPORT if nothing refused it.
            final InetSocketAddress address = first.address();
            assertThatThrownBy(() -> IngressFixture.start(dir.resolve("second"), c -> c.listen(address)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("cannot listen on " + address);
        }
    }
}
