package io.sluice.benchmarks.smtp;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import io.sluice.text.Json;

/**
 * A small SMTP load client for the acceptance benchmark: {@code sessions} concurrent SMTP sessions, each on its own
 * platform thread and blocking JDK socket, share {@code messages} messages of {@code size} body bytes, several per
 * connection, and send MAIL, RCPT and DATA pipelined in one write (RFC 2920) when the server advertises PIPELINING.
 * A message counts as accepted only on a {@code 250} to its final dot; anything else is counted as refused and makes
 * the exit status 1, so a run that silently fails never prints a rate. Latency is per message, from writing MAIL to
 * reading the final reply.
 *
 * <p>Only JDK classes, so it runs straight from source without a build, against any SMTP server:
 * <pre>
 * java benchmarks/src/main/java/io/sluice/benchmarks/smtp/AcceptanceLoadClient.java \
 *     --server 127.0.0.1:2525 --sessions 20 --messages 20000 --size 4096 --to rcpt@bench.example
 * </pre>
 * It prints one JSON object on stdout: messages, accepted, refused, seconds, msgsPerSecond, latency p50/p99/max in
 * milliseconds, and the first refusal seen. {@code --warmup N} first sends N messages that are not measured (JIT).
 * {@code --tls} starts TLS (STARTTLS) on every connection and reports the handshakes' cost; {@code --per-connection N}
 * opens a new connection after N messages, so the cost of connecting (and of the handshake) shows in the rate.
 */
public final class AcceptanceLoadClient
{
    private static final byte[] CRLF = {'\r', '\n'};

    private final InetSocketAddress server;
    private final int sessions;
    private final int size;
    private final String from;
    private final String to;
    private final String helo;
    private final byte[] body;

    /** Null for clear text; with {@code --tls}, STARTTLS on every connection. */
    private final SSLContext tls;
    /** Messages sent over one connection before it is closed and another opened ({@code --per-connection}). */
    private final int perConnection;
    private final AtomicInteger connections = new AtomicInteger();
    private final Queue<Long> handshakes = new ConcurrentLinkedQueue<>();

    private AcceptanceLoadClient(final InetSocketAddress server, final int sessions, final int size, final String from,
        final String to, final String helo, final boolean tls, final int perConnection)
    {
        this.tls = tls ? AnyCertificate.trusted() : null;
        this.perConnection = perConnection;
        this.server = server;
        this.sessions = sessions;
        this.size = size;
        this.from = from;
        this.to = to;
        this.helo = helo;
        this.body = body(size);
    }

    /** Body lines of 78 characters plus CRLF, exactly {@code size} bytes, never starting with a dot. */
    static byte[] body(final int size)
    {
        final byte[] bytes = new byte[size];
        int column = 0;
        for (int i = 0; i < size; i++)
        {
            final boolean lineEnd = column == 78 || i >= size - 2;
            if (lineEnd && i <= size - 2)
            {
                bytes[i] = '\r';
                bytes[i + 1] = '\n';
                i++;
                column = 0;
                continue;
            }
            bytes[i] = (byte)('a' + (i % 26));
            column++;
        }
        return bytes;
    }

    /** Outcome of one run: counts, wall time and per-message latencies in nanoseconds. */
    record Result(int messages, int accepted, int refused, long nanos, long[] latencies, String firstRefusal)
    {
        double msgsPerSecond()
        {
            return accepted / (nanos / 1e9);
        }

        double percentileMillis(final double percentile)
        {
            if (latencies.length == 0)
            {
                return Double.NaN;
            }
            final long[] sorted = latencies.clone();
            Arrays.sort(sorted);
            final int index = (int)Math.min(sorted.length - 1, Math.ceil(percentile / 100.0 * sorted.length) - 1);
            return sorted[Math.max(0, index)] / 1e6;
        }

        /** @param connectionFigures how many connections, with or without TLS, and the handshakes' cost. */
        String toJson(final int sessions, final int size, final Map<String, Object> connectionFigures)
        {
            // Fixed decimals: acceptance-vs-postfix.sh reads "seconds" and "latencyMs" with sed, in this form.
            final Map<String, Object> latency = new LinkedHashMap<>();
            latency.put("p50", Json.fixed(percentileMillis(50), 3));
            latency.put("p99", Json.fixed(percentileMillis(99), 3));
            latency.put("max", Json.fixed(percentileMillis(100), 3));
            final Map<String, Object> json = new LinkedHashMap<>();
            json.put("client", "AcceptanceLoadClient");
            json.put("sessions", sessions);
            json.put("messageBytes", size);
            json.put("messages", messages);
            json.put("accepted", accepted);
            json.put("refused", refused);
            json.put("seconds", Json.fixed(nanos / 1e9, 3));
            json.put("msgsPerSecond", Json.fixed(msgsPerSecond(), 1));
            json.put("latencyMs", latency);
            json.putAll(connectionFigures);
            json.put("firstRefusal", firstRefusal);
            return Json.compact(json);
        }
    }

    /** Sends {@code messages} messages over {@code sessions} concurrent sessions and waits for all of them. */
    Result run(final int messages) throws InterruptedException
    {
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger accepted = new AtomicInteger();
        final AtomicInteger refused = new AtomicInteger();
        final AtomicReference<String> firstRefusal = new AtomicReference<>();
        final long[] latencies = new long[messages];
        final CountDownLatch start = new CountDownLatch(1);
        final List<Thread> threads = new ArrayList<>();
        for (int s = 0; s < sessions; s++)
        {
            final Thread thread = new Thread(() ->
            {
                try
                {
                    start.await();
                    session(messages, next, accepted, refused, firstRefusal, latencies);
                }
                catch (final IOException | RuntimeException ex)
                {
                    firstRefusal.compareAndSet(null, "session failed: " + ex);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }, "smtp-session-" + s);
            threads.add(thread);
            thread.start();
        }
        final long started = System.nanoTime();
        start.countDown();
        for (final Thread thread : threads)
        {
            thread.join();
        }
        final long nanos = System.nanoTime() - started;
        final int done = accepted.get();
        final long[] measured = new long[Math.min(messages, next.get())];
        System.arraycopy(latencies, 0, measured, 0, measured.length);
        final long[] acceptedLatencies = Arrays.stream(measured).filter(l -> l > 0).toArray();
        return new Result(messages, done, messages - done, nanos, acceptedLatencies,
            refused.get() > 0 || done < messages ? firstRefusal.get() : null);
    }

    private void session(final int messages, final AtomicInteger next, final AtomicInteger accepted,
        final AtomicInteger refused, final AtomicReference<String> firstRefusal, final long[] latencies) throws IOException
    {
        int index = next.getAndIncrement();
        while (index < messages)
        {
            try (Socket socket = new Socket())
            {
                socket.setTcpNoDelay(true);
                socket.connect(server, 10_000);
                socket.setSoTimeout(30_000);
                InputStream in = new BufferedInputStream(socket.getInputStream(), 8192);
                OutputStream out = new BufferedOutputStream(socket.getOutputStream(), size + 1024);
                expect(in, 220, "greeting");
                String ehlo = ehlo(in, out);
                if (tls != null)
                {
                    // Handshake cost: from writing STARTTLS to the handshake done, as a client pays it per connection.
                    final long started = System.nanoTime();
                    send(out, "STARTTLS");
                    out.flush();
                    expect(in, 220, "STARTTLS");
                    final SSLSocket secured = (SSLSocket)tls.getSocketFactory()
                        .createSocket(socket, server.getHostString(), server.getPort(), true);
                    secured.startHandshake();
                    handshakes.add(System.nanoTime() - started);
                    in = new BufferedInputStream(secured.getInputStream(), 8192);
                    out = new BufferedOutputStream(secured.getOutputStream(), size + 1024);
                    ehlo = ehlo(in, out);
                }
                connections.incrementAndGet();
                final boolean pipelining = ehlo.toUpperCase(Locale.ROOT).contains("PIPELINING");
                for (int sent = 0; index < messages && sent < perConnection; sent++)
                {
                    final long started = System.nanoTime();
                    final String refusal = transaction(in, out, pipelining, index);
                    if (refusal == null)
                    {
                        latencies[index] = Math.max(1, System.nanoTime() - started);
                        accepted.incrementAndGet();
                    }
                    else
                    {
                        refused.incrementAndGet();
                        firstRefusal.compareAndSet(null, refusal);
                        send(out, "RSET");
                        out.flush();
                        readReply(in);
                    }
                    index = next.getAndIncrement();
                }
                send(out, "QUIT");
                out.flush();
                readReply(in);
            }
        }
    }

    /** The run's connections: TLS or not, messages per connection, count, and STARTTLS handshake p50/p99/max. */
    Map<String, Object> connectionFigures()
    {
        final Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("tls", tls != null);
        figures.put("perConnection", perConnection == Integer.MAX_VALUE ? "all" : perConnection);
        figures.put("connections", connections.get());
        if (tls != null)
        {
            final Result timings = new Result(0, 0, 0, 1, handshakes.stream().mapToLong(Long::longValue).toArray(), null);
            final Map<String, Object> handshake = new LinkedHashMap<>();
            handshake.put("p50", Json.fixed(timings.percentileMillis(50), 3));
            handshake.put("p99", Json.fixed(timings.percentileMillis(99), 3));
            handshake.put("max", Json.fixed(timings.percentileMillis(100), 3));
            figures.put("handshakeMs", handshake);
        }
        return figures;
    }

    private String ehlo(final InputStream in, final OutputStream out) throws IOException
    {
        send(out, "EHLO " + helo);
        out.flush();
        return expect(in, 250, "EHLO");
    }

    /** @return null when the message was accepted with 250, else the refusing reply. */
    private String transaction(final InputStream in, final OutputStream out, final boolean pipelining, final int index)
        throws IOException
    {
        final String[] commands = {"MAIL FROM:<" + from + ">", "RCPT TO:<" + to + ">", "DATA"};
        final int[] expected = {250, 250, 354};
        final String[] replies = new String[commands.length];
        if (pipelining)
        {
            for (final String command : commands)
            {
                send(out, command);
            }
            out.flush();
            for (int i = 0; i < commands.length; i++)
            {
                replies[i] = readReply(in);
            }
        }
        else
        {
            for (int i = 0; i < commands.length; i++)
            {
                send(out, commands[i]);
                out.flush();
                replies[i] = readReply(in);
                if (code(replies[i]) != expected[i])
                {
                    break;
                }
            }
        }
        for (int i = 0; i < commands.length; i++)
        {
            if (replies[i] == null || code(replies[i]) != expected[i])
            {
                // With DATA refused after a pipelined RCPT failure nothing more is sent for this message.
                return replies[i] == null ? "no reply to " + commands[i] : commands[i] + " -> " + replies[i];
            }
        }
        send(out, "Message-ID: <" + index + "." + System.nanoTime() + "@acceptance.bench>");
        send(out, "From: <" + from + ">");
        send(out, "To: <" + to + ">");
        send(out, "Subject: acceptance benchmark " + index);
        out.write(CRLF);
        out.write(body);
        send(out, ".");
        out.flush();
        final String reply = readReply(in);
        return code(reply) == 250 ? null : "end of data -> " + reply;
    }

    private static void send(final OutputStream out, final String line) throws IOException
    {
        out.write(line.getBytes(StandardCharsets.US_ASCII));
        out.write(CRLF);
    }

    private static String expect(final InputStream in, final int code, final String what) throws IOException
    {
        final String reply = readReply(in);
        if (code(reply) != code)
        {
            throw new IOException(what + ": expected " + code + ", got " + reply);
        }
        return reply;
    }

    private static int code(final String reply)
    {
        return reply.length() >= 3 && Character.isDigit(reply.charAt(0)) ? Integer.parseInt(reply.substring(0, 3)) : -1;
    }

    /** Reads one reply, all lines of a multi-line one joined with newlines. */
    private static String readReply(final InputStream in) throws IOException
    {
        final StringBuilder reply = new StringBuilder();
        while (true)
        {
            final String line = readLine(in);
            reply.append(line);
            if (line.length() < 4 || line.charAt(3) != '-')
            {
                return reply.toString();
            }
            reply.append('\n');
        }
    }

    private static String readLine(final InputStream in) throws IOException
    {
        final ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        int b;
        while ((b = in.read()) != '\n')
        {
            if (b < 0)
            {
                throw new IOException("connection closed by the server");
            }
            if (b != '\r')
            {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.US_ASCII);
    }

    private static InetSocketAddress address(final String hostPort)
    {
        final int colon = hostPort.lastIndexOf(':');
        if (colon < 0)
        {
            throw new IllegalArgumentException("--server wants host:port, got " + hostPort);
        }
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    public static void main(final String[] args) throws InterruptedException
    {
        String server = null;
        int sessions = 20;
        int messages = 20_000;
        int warmup = 0;
        int size = 4096;
        String from = "bench@source.example";
        String to = "rcpt@bench.example";
        String helo = "acceptance-client.example";
        boolean tls = false;
        int perConnection = Integer.MAX_VALUE;
        for (int i = 0; i < args.length; i++)
        {
            final String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--server" -> server = value;
                case "--sessions" -> sessions = Integer.parseInt(value);
                case "--messages" -> messages = Integer.parseInt(value);
                case "--warmup" -> warmup = Integer.parseInt(value);
                case "--size" -> size = Integer.parseInt(value);
                case "--from" -> from = value;
                case "--to" -> to = value;
                case "--helo" -> helo = value;
                case "--per-connection" -> perConnection = Integer.parseInt(value);
                case "--tls" ->
                {
                    tls = true;
                    i--;
                }
                default -> usage("unknown option " + args[i]);
            }
            i++;
        }
        if (server == null || sessions < 1 || messages < 1 || size < 2 || warmup < 0 || perConnection < 1)
        {
            usage("--server is required; sessions, messages and size must be positive");
        }
        final AcceptanceLoadClient client =
            new AcceptanceLoadClient(address(server), sessions, size, from, to, helo, tls, perConnection);
        if (warmup > 0)
        {
            final Result warm = client.run(warmup);
            if (warm.refused() > 0)
            {
                System.out.println(warm.toJson(sessions, size, client.connectionFigures()));
                System.err.println("acceptance client: warm-up refused " + warm.refused() + ": " + warm.firstRefusal());
                System.exit(1);
            }
        }
        client.connections.set(0);
        client.handshakes.clear();
        final Result result = client.run(messages);
        System.out.println(result.toJson(sessions, size, client.connectionFigures()));
        if (result.refused() > 0)
        {
            System.err.println("acceptance client: " + result.refused() + " of " + messages + " not accepted; first: "
                + result.firstRefusal());
            System.exit(1);
        }
    }

    private static void usage(final String problem)
    {
        System.err.println("acceptance client: " + problem);
        System.err.println("usage: AcceptanceLoadClient --server HOST:PORT [--sessions 20] [--messages 20000] [--warmup 0]"
            + " [--size 4096] [--from ADDR] [--to ADDR] [--helo NAME] [--per-connection N] [--tls]");
        System.exit(64);
    }
}
