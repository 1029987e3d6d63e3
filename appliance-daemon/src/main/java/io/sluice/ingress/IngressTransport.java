package io.sluice.ingress;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;

/**
 * The SMTP listener's transport: Linux's native epoll where Netty's native library loads, the JDK's NIO elsewhere.
 *
 * <p>Why native: with a client that connects for each message (Postfix's smtp-source, many MTAs' one-shot
 * deliveries), the JDK's NIO made, per accepted message and beside the dialogue's reads and writes, three
 * {@code getsockopt}, three {@code fcntl}, two {@code getsockname} and two {@code epoll_ctl} calls (strace of the daemon
 * on the 2-core VM, session 5). Netty's epoll transport accepts with {@code accept4} (the socket comes non-blocking),
 * keeps the addresses it was given and is edge-triggered. NIO stays the fallback (another CPU, a {@code /tmp} that
 * cannot map the library, or Netty's own {@code -Dio.netty.transport.noNative=true}); the daemon logs which one it runs.
 */
enum IngressTransport
{
    EPOLL
    {
        @Override
        IoHandlerFactory ioHandlerFactory()
        {
            return EpollIoHandler.newFactory();
        }

        @Override
        Class<? extends ServerChannel> serverChannel()
        {
            return EpollServerSocketChannel.class;
        }
    },
    NIO
    {
        @Override
        IoHandlerFactory ioHandlerFactory()
        {
            return NioIoHandler.newFactory();
        }

        @Override
        Class<? extends ServerChannel> serverChannel()
        {
            return NioServerSocketChannel.class;
        }
    };

    /** @return how the listener's log line names it. */
    String label()
    {
        return this == EPOLL ? "native epoll" : "NIO";
    }

    /** @return native epoll if it loads here, else NIO. */
    static IngressTransport available()
    {
        return Epoll.isAvailable() ? EPOLL : NIO;
    }

    /** @return why native epoll does not load here, or null if it does. */
    static Throwable whyNotNative()
    {
        return Epoll.unavailabilityCause();
    }

    /** @return the event loops' I/O handler. */
    abstract IoHandlerFactory ioHandlerFactory();

    /** @return the listening channel's class, matching {@link #ioHandlerFactory()}. */
    abstract Class<? extends ServerChannel> serverChannel();
}
