package io.sluice.benchmarks.flood;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The upstream relay of the scenario, on loopback: it takes mail at a configured rate and no faster (the reply to
 * each message's final dot waits for its slot, as a provider's relay that accepts N messages per second does),
 * rejects the flood's malware marker with {@code 554 5.7.1} as a provider's content scan would, refuses the
 * unknown users ({@link FloodTraffic#UNKNOWN_USER_PREFIX}) with {@code 550 5.1.1} at RCPT as a provider that knows
 * its mailboxes would, accepts bounces (null sender) and counts them by recipient, and tells the {@link Ledger}
 * when each message arrived.
 *
 * <p>Thread per connection: the systems under test open tens of connections, not thousands.
 *
 * <p>Replies go out as a real MTA sends them (Postfix's smtpd does the same): on a socket without Nagle's delay, and
 * flushed only once no command is waiting in the input, so the replies to a pipelined group (RFC 2920: MAIL, RCPT,
 * DATA) leave in one segment. Before, each reply was flushed on its own on a Nagle socket: the second reply of a group
 * waited for the client's delayed ACK of the first (40 ms on Linux), and a client with ten connections got ~190
 * messages a second through, whatever the configured rate (the 53 s per 10,000 of cpu-per-message.sh's delivery).
 */
public final class UpstreamSink implements AutoCloseable
{
    private final ServerSocket server;
    private final Ledger ledger;
    private final Pacer pacer;
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private volatile boolean closed;

    /**
     * @param port the port on 127.0.0.1, 0 for any
     * @param ratePerSecond messages per second it accepts
     * @param burst messages it takes back to back after a quiet spell
     */
    public UpstreamSink(final int port, final double ratePerSecond, final int burst, final Ledger ledger) throws IOException
    {
        this.server = new ServerSocket();
        this.server.setReuseAddress(true);
        this.server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 256);
        this.ledger = ledger;
        this.pacer = new Pacer(ratePerSecond, burst);
        this.acceptor = new Thread(this::acceptLoop, "upstream-sink-acceptor");
        this.acceptor.setDaemon(true);
        this.acceptor.start();
    }

    public int port()
    {
        return server.getLocalPort();
    }

    private void acceptLoop()
    {
        while (!closed)
        {
            try
            {
                final Socket socket = server.accept();
                connections.add(socket);
                final Thread session = new Thread(() -> serve(socket), "upstream-sink-" + socket.getPort());
                session.setDaemon(true);
                session.start();
            }
            catch (final IOException ex)
            {
                if (!closed)
                {
                    System.err.println("upstream sink: accept failed: " + ex);
                }
            }
        }
    }

    private void serve(final Socket socket)
    {
        try (socket)
        {
            socket.setSoTimeout((int)TimeUnit.MINUTES.toMillis(10));
            socket.setTcpNoDelay(true);
            final InputStream in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
            final OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 4096);
            reply(in, out, "220 upstream.invalid ESMTP flood scenario sink");
            String sender = null;
            final List<String> recipients = new ArrayList<>();
            String line;
            while ((line = readLine(in)) != null)
            {
                final String verb = (line.length() >= 4 ? line.substring(0, 4) : line).toUpperCase(Locale.ROOT);
                switch (verb)
                {
                    case "EHLO" -> reply(in, out, "250-upstream.invalid\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
                        + "250-SIZE 104857600\r\n250 ENHANCEDSTATUSCODES");
                    case "HELO" -> reply(in, out, "250 upstream.invalid");
                    case "MAIL" ->
                    {
                        sender = between(line, '<', '>');
                        recipients.clear();
                        reply(in, out, "250 2.1.0 Ok");
                    }
                    case "RCPT" -> reply(in, out, recipient(sender, between(line, '<', '>'), recipients));
                    case "DATA" ->
                    {
                        if (recipients.isEmpty())
                        {
                            reply(in, out, "554 5.5.1 Error: no valid recipients");
                            continue;
                        }
                        reply(in, out, "354 End data with <CR><LF>.<CR><LF>");
                        final Message message = readMessage(in);
                        if (message == null)
                        {
                            return;
                        }
                        pacer.acquire();
                        reply(in, out, verdict(sender, recipients, message));
                        sender = null;
                        recipients.clear();
                    }
                    case "RSET" ->
                    {
                        sender = null;
                        recipients.clear();
                        reply(in, out, "250 2.0.0 Ok");
                    }
                    case "NOOP" -> reply(in, out, "250 2.0.0 Ok");
                    case "QUIT" ->
                    {
                        reply(in, out, "221 2.0.0 Bye");
                        out.flush();
                        return;
                    }
                    default -> reply(in, out, "502 5.5.2 Command not recognized");
                }
            }
        }
        catch (final IOException ex)
        {
            if (!closed)
            {
                System.err.println("upstream sink: session ended: " + ex);
            }
        }
        finally
        {
            connections.remove(socket);
        }
    }

    /**
     * RCPT: an unknown user is refused {@code 550 5.1.1}, and for a real sender that is the verdict on the legitimate
     * message named in the address (a probe from the null sender is only answered); anyone else is taken.
     */
    private String recipient(final String sender, final String address, final List<String> recipients)
    {
        final String local = address.toLowerCase(Locale.ROOT);
        if (local.startsWith(FloodTraffic.UNKNOWN_USER_PREFIX))
        {
            if (sender != null && !sender.isEmpty())
            {
                final int at = local.indexOf('@');
                try
                {
                    ledger.unknownUserRefused(Integer.parseInt(local.substring(FloodTraffic.UNKNOWN_USER_PREFIX.length(),
                        at < 0 ? local.length() : at)), ledger.now());
                }
                catch (final NumberFormatException ex)
                {
                    ledger.arrived(null, 550, ledger.now());
                }
            }
            return "550 5.1.1 <" + address + ">: Recipient address rejected: User unknown";
        }
        recipients.add(address);
        return "250 2.1.5 Ok";
    }

    private String verdict(final String sender, final List<String> recipients, final Message message)
    {
        final long at = ledger.now();
        if (sender != null && sender.isEmpty())
        {
            ledger.bounce(recipients);
            return "250 2.0.0 Ok: bounce taken";
        }
        if (message.malware)
        {
            ledger.arrived(message.id, 554, at);
            return "554 5.7.1 Rejected: malware detected";
        }
        ledger.arrived(message.id, 250, at);
        return "250 2.0.0 Ok: queued";
    }

    /** Reads to the final dot; only the header section is looked at. */
    private static Message readMessage(final InputStream in) throws IOException
    {
        boolean inHeaders = true;
        String id = null;
        boolean malware = false;
        String line;
        while ((line = readLine(in)) != null)
        {
            if (line.equals("."))
            {
                return new Message(id, malware);
            }
            if (inHeaders)
            {
                if (line.isEmpty())
                {
                    inHeaders = false;
                }
                else if (id == null && startsWithIgnoreCase(line, FloodTraffic.ID_HEADER + ":"))
                {
                    id = line.substring(FloodTraffic.ID_HEADER.length() + 1).trim();
                }
                else if (startsWithIgnoreCase(line, FloodTraffic.MALWARE_HEADER + ":"))
                {
                    malware = true;
                }
            }
        }
        return null;
    }

    private static boolean startsWithIgnoreCase(final String line, final String prefix)
    {
        return line.regionMatches(true, 0, prefix, 0, prefix.length());
    }

    private static String between(final String line, final char open, final char close)
    {
        final int from = line.indexOf(open);
        final int to = line.indexOf(close, from + 1);
        return from >= 0 && to > from ? line.substring(from + 1, to) : "";
    }

    /** Writes a reply; flushes it unless more input is already waiting (a pipelined command whose reply can join it). */
    private static void reply(final InputStream in, final OutputStream out, final String text) throws IOException
    {
        out.write((text + "\r\n").getBytes(StandardCharsets.US_ASCII));
        if (in.available() == 0)
        {
            out.flush();
        }
    }

    private static String readLine(final InputStream in) throws IOException
    {
        final ByteArrayOutputStream line = new ByteArrayOutputStream(100);
        int b;
        while ((b = in.read()) != -1)
        {
            if (b == '\n')
            {
                final byte[] bytes = line.toByteArray();
                final int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
            }
            line.write(b);
        }
        return null;
    }

    @Override
    public void close() throws IOException
    {
        closed = true;
        server.close();
        for (final Socket socket : connections)
        {
            socket.close();
        }
    }

    private record Message(String id, boolean malware)
    {
    }

    /**
     * Generic cell rate algorithm: one message every 1/rate seconds, up to {@code burst} early after a quiet spell.
     * Callers wait their turn in the lock, so the upstream's rate holds however many connections press on it.
     */
    static final class Pacer
    {
        private final long intervalNanos;
        private final long toleranceNanos;
        private long theoreticalArrival;

        Pacer(final double ratePerSecond, final int burst)
        {
            this.intervalNanos = Math.max(1, (long)(1e9 / ratePerSecond));
            this.toleranceNanos = intervalNanos * Math.max(0, burst - 1);
            this.theoreticalArrival = System.nanoTime();
        }

        synchronized void acquire()
        {
            final long now = System.nanoTime();
            final long earliest = theoreticalArrival - toleranceNanos;
            if (now < earliest)
            {
                long wait;
                while ((wait = earliest - System.nanoTime()) > 0)
                {
                    LockSupport.parkNanos(wait);
                }
            }
            theoreticalArrival = Math.max(theoreticalArrival, System.nanoTime()) + intervalNanos;
        }
    }
}
