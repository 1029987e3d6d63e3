package io.sluice.benchmarks.throttle;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A provider's relay on loopback that enforces a rate, either as large providers do, refusing a MAIL beyond its
 * token bucket with {@code 421 4.7.0} and closing the connection, or by delaying the reply to each message's final dot
 * until its slot (first come, first served). Thread per connection. Records when each message was accepted.
 */
final class ThrottlingRelay implements AutoCloseable
{
    /** How the relay enforces its rate. */
    enum Enforcement
    {
        REFUSE, DELAY
    }

    private final ServerSocket server;
    private final Enforcement enforcement;
    private final double ratePerSec;
    private final double burst;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    final ConcurrentLinkedQueue<Long> acceptedAtNanos = new ConcurrentLinkedQueue<>();
    final AtomicLong accepted = new AtomicLong();
    final AtomicLong refused = new AtomicLong();
    private double tokens;
    private long refilledAtNanos = System.nanoTime();
    private long nextSlotNanos;
    private volatile boolean closed;

    ThrottlingRelay(final Enforcement enforcement, final double ratePerSec, final int burst) throws IOException
    {
        this.enforcement = enforcement;
        this.ratePerSec = ratePerSec;
        this.burst = burst;
        this.tokens = burst;
        server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
        acceptor = new Thread(this::acceptLoop, "throttling-relay");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port()
    {
        return server.getLocalPort();
    }

    private synchronized boolean admit()
    {
        final long now = System.nanoTime();
        tokens = Math.min(burst, tokens + (now - refilledAtNanos) * ratePerSec / 1e9);
        refilledAtNanos = now;
        if (tokens >= 1)
        {
            tokens--;
            return true;
        }
        return false;
    }

    /** @return when the reply to this message may go: the relay's next slot. */
    private synchronized long slot()
    {
        nextSlotNanos = Math.max(nextSlotNanos + (long)(1e9 / ratePerSec), System.nanoTime());
        return nextSlotNanos;
    }

    private void acceptLoop()
    {
        while (!closed)
        {
            try
            {
                final Socket socket = server.accept();
                sockets.add(socket);
                final Thread thread = new Thread(() -> serve(socket), "throttling-relay-conn");
                thread.setDaemon(true);
                thread.start();
            }
            catch (final IOException ex)
            {
                return;
            }
        }
    }

    private void serve(final Socket socket)
    {
        try (socket;
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = socket.getOutputStream())
        {
            reply(out, "220 relay.test ESMTP");
            String line;
            while ((line = in.readLine()) != null)
            {
                final String verb = line.length() >= 4 ? line.substring(0, 4).toUpperCase(java.util.Locale.ROOT) : line;
                switch (verb)
                {
                    case "EHLO" -> reply(out, "250-relay.test\r\n250 8BITMIME");
                    case "HELO" -> reply(out, "250 relay.test");
                    case "MAIL" ->
                    {
                        if (enforcement == Enforcement.REFUSE && !admit())
                        {
                            refused.incrementAndGet();
                            reply(out, "421 4.7.0 rate limited, try again later");
                            return;
                        }
                        reply(out, "250 2.1.0 Ok");
                    }
                    case "RCPT" -> reply(out, "250 2.1.5 Ok");
                    case "DATA" ->
                    {
                        reply(out, "354 go ahead");
                        while ((line = in.readLine()) != null && !".".equals(line))
                        {
                            // the content is not kept
                        }
                        if (enforcement == Enforcement.DELAY)
                        {
                            final long due = slot();
                            long wait;
                            while ((wait = due - System.nanoTime()) > 0)
                            {
                                Thread.sleep(wait / 1_000_000, (int)(wait % 1_000_000));
                            }
                        }
                        accepted.incrementAndGet();
                        acceptedAtNanos.add(System.nanoTime());
                        reply(out, "250 2.0.0 Ok: queued");
                    }
                    case "RSET", "NOOP" -> reply(out, "250 2.0.0 Ok");
                    case "QUIT" ->
                    {
                        reply(out, "221 2.0.0 Bye");
                        return;
                    }
                    default -> reply(out, "502 5.5.2 command not recognized");
                }
            }
        }
        catch (final IOException ex)
        {
            // the client went away
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        finally
        {
            sockets.remove(socket);
        }
    }

    private static void reply(final OutputStream out, final String text) throws IOException
    {
        out.write((text + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    @Override
    public void close() throws IOException
    {
        closed = true;
        server.close();
        for (final Socket socket : sockets)
        {
            socket.close();
        }
    }
}
