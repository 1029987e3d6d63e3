package io.sluice.daemon;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/** systemd's side of {@code NOTIFY_SOCKET}: a bound Unix datagram socket that reads one notification at a time. */
final class FakeSystemd implements AutoCloseable
{
    private final AFUNIXDatagramSocket socket;

    FakeSystemd(final AFUNIXSocketAddress address) throws IOException
    {
        socket = AFUNIXDatagramSocket.newInstance();
        socket.bind(address);
    }

    /** @return the next datagram's text, or null if none arrives within {@code timeoutMs}. */
    String next(final int timeoutMs) throws IOException
    {
        final byte[] buffer = new byte[4096];
        final DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        socket.setSoTimeout(timeoutMs);
        try
        {
            socket.receive(packet);
        }
        catch (final SocketTimeoutException ex)
        {
            return null;
        }
        return new String(packet.getData(), 0, packet.getLength(), StandardCharsets.UTF_8);
    }

    String next() throws IOException
    {
        return next(10_000);
    }

    /** @return the next datagram that does not start with {@code prefix} (skips keep-alives), or null after the timeout. */
    String nextNotStartingWith(final String prefix, final int timeoutMs) throws IOException
    {
        final long deadline = System.currentTimeMillis() + timeoutMs;
        while (true)
        {
            final long left = deadline - System.currentTimeMillis();
            if (left <= 0)
            {
                return null;
            }
            final String message = next((int)left);
            if (message == null || !message.startsWith(prefix))
            {
                return message;
            }
        }
    }

    @Override
    public void close()
    {
        socket.close();
    }
}
