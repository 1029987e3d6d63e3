package io.sluice.delivery;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A real SMTP server on a loopback port that a test scripts: plain JDK sockets, one thread per connection, so its
 * behaviour is easy to read and to make bad on purpose.
 *
 * <p>Per recipient, by the address's local part: {@code reject...} gets {@code 550 5.1.1}, {@code policy...}
 * {@code 550 5.7.1}, {@code defer...} {@code 451 4.3.0}, {@code deferonce...} {@code 451 4.3.0} the first time and
 * {@code 250} after, {@code throttle...} {@code 421 4.7.0} and the connection closed; anyone else {@code 250}. A message
 * with a {@code malware...} recipient is taken at RCPT and refused after its data with {@code 554 5.7.1}, as a content
 * scanner refuses a spoofing flood's malware attachments (counted in {@link #contentRejections()}). A sender whose local part
 * starts with {@code refused} gets {@code 550 5.7.1} at MAIL.
 *
 * <p>Per connection and per message, from queues the test fills: {@link #greetings} (e.g. a {@code 421} greeting, after
 * which the connection is closed), {@link #dataActions} (what to do at the end of data: accept, defer, reject, throttle,
 * drop the connection in the middle of the data, drop it after the data without a reply, or answer slowly). Options:
 * {@link #limitRate} a provider's rate enforced by {@code 421 4.7.0} at MAIL, {@link #pipelining} advertised or not,
 * {@link #ehlo} known or not (then only HELO), a delay before every reply.
 *
 * <p>STARTTLS (RFC 3207) with the certificate of {@link #tls} when set (a JDK {@code SSLSocket} over the same
 * connection, then a fresh session), or {@link #tlsGarbage} to answer 220 and then, once the client's handshake
 * begins, clear text instead of the server's part, or {@link #tlsInjection} to send a clear-text reply right behind the
 * 220, in the same packet (the STARTTLS command injection of CVE-2011-0411, mirrored). AUTH PLAIN and LOGIN
 * (RFC 4954) when {@link #authUser} is set, offered in clear and over TLS alike (so a test can see that the client holds
 * its password back), and then required before MAIL ({@code 530 5.7.0}).
 *
 * <p>It records every connection, every command line, every message it accepted (unstuffed, as a real server stores
 * it), and whether a transaction arrived pipelined: when it advertises PIPELINING it waits, before answering MAIL, for
 * the RCPT that a pipelining client has already sent; a client that waits for the MAIL reply sends nothing.
 */
public final class TestSmtpSink implements AutoCloseable
{
    /** What to do at the end of the data. */
    enum DataAction
    {
        ACCEPT, DEFER, REJECT, THROTTLE, DROP_MID_DATA, DROP_AFTER_DATA, SLOW
    }

    /**
     * A message the sink accepted (or took in full before dropping the connection).
     *
     * @param connection the connection's number, from 1
     * @param from       the MAIL FROM address
     * @param recipients the addresses accepted at RCPT
     * @param data       the message after unstuffing, as stored
     * @param replied    false when the sink dropped the connection instead of replying
     * @param tls        true if it came over TLS
     * @param user       the user the client authenticated as, or null
     */
    public record Received(int connection, String from, List<String> recipients, byte[] data, boolean replied, boolean tls,
        String user)
    {
        public String text()
        {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    private static final long PIPELINING_WAIT_MS = 5_000;

    private final ServerSocket server;
    private final Thread acceptor;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger mostOpen = new AtomicInteger();
    private final AtomicInteger pipelined = new AtomicInteger();
    private final AtomicInteger transactions = new AtomicInteger();
    private final AtomicInteger contentRejections = new AtomicInteger();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final List<String> commands = new CopyOnWriteArrayList<>();
    private final Set<String> deferredOnce = ConcurrentHashMap.newKeySet();
    final Queue<String> greetings = new ConcurrentLinkedQueue<>();
    final Queue<DataAction> dataActions = new ConcurrentLinkedQueue<>();
    /** Per MAIL command, before anything else: {@code "drop"} closes the connection, a 421 is sent and then it closes. */
    final Queue<String> mailActions = new ConcurrentLinkedQueue<>();
    volatile boolean pipelining = true;
    volatile boolean ehlo = true;
    volatile boolean smtputf8 = true;
    volatile SSLContext tls;
    volatile boolean tlsGarbage;
    volatile boolean tlsInjection;
    volatile String authUser;
    volatile String authPassword;
    volatile String authMechanisms = "PLAIN LOGIN";
    /** Each AUTH attempt: mechanism, "ok" or "refused", and "tls" or "clear", e.g. {@code "PLAIN ok tls"}. */
    private final List<String> authentications = new CopyOnWriteArrayList<>();
    /** Messages per second the sink takes, as a provider's token bucket ({@link #limitRate}); 0: no limit. */
    private double ratePerSec;
    private double rateBurst;
    private double rateTokens;
    private long rateRefilledAtNanos;
    private final AtomicInteger rateRefusals = new AtomicInteger();
    volatile long replyDelayMs;
    volatile long slowReplyMs = 1_000;
    volatile long maxSize;
    private volatile Consumer<Received> consumer;
    private volatile boolean closed;

    private TestSmtpSink(final int port) throws IOException
    {
        server = new ServerSocket();
        // A sink brought back after an outage binds the port its predecessor had, as a restarted relay does.
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        acceptor = new Thread(this::accept, "sink-accept-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public static TestSmtpSink start() throws IOException
    {
        return new TestSmtpSink(0);
    }

    /** A sink on a given loopback port: the same relay back after an outage (a new sink, with its own records). */
    public static TestSmtpSink startOn(final int port) throws IOException
    {
        return new TestSmtpSink(port);
    }

    /**
     * Closes the sink as a relay that goes down does, but keeps its port bound without listening, so connections to it
     * are refused until {@link DownRelay#comeBack()}. A port merely closed can be handed by the kernel to the next server
     * in the suite that binds port 0, which would then answer in the dead relay's place (it did, once, in CI).
     */
    public DownRelay goDown() throws IOException
    {
        final int port = port();
        close();
        final InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        Socket placeholder = new Socket();
        try
        {
            // Without SO_REUSEADDR no other socket can bind the port at all...
            placeholder.bind(address);
        }
        catch (final BindException timeWait)
        {
            // ...but connections the sink closed first linger in TIME_WAIT and forbid that; with it, only a server that
            // also sets SO_REUSEADDR could take the port. A socket whose bind failed is closed: a new one.
            placeholder.close();
            placeholder = new Socket();
            placeholder.setReuseAddress(true);
            placeholder.bind(address);
        }
        return new DownRelay(placeholder, port);
    }

    /** A relay's port while it is down: bound, not listening. */
    public static final class DownRelay implements AutoCloseable
    {
        private final Socket placeholder;
        private final int port;

        private DownRelay(final Socket placeholder, final int port)
        {
            this.placeholder = placeholder;
            this.port = port;
        }

        /** @return a new sink on the port (with its own records), as the relay restarted. */
        public TestSmtpSink comeBack() throws IOException
        {
            placeholder.close();
            return startOn(port);
        }

        @Override
        public void close() throws IOException
        {
            placeholder.close();
        }
    }

    /**
     * Enforces a rate as a large provider does: a MAIL beyond {@code ratePerSec} (a bucket of {@code burst}) gets
     * {@code 421 4.7.0} and the connection is closed.
     */
    public synchronized void limitRate(final double ratePerSec, final int burst)
    {
        this.ratePerSec = ratePerSec;
        this.rateBurst = burst;
        this.rateTokens = burst;
        this.rateRefilledAtNanos = System.nanoTime();
    }

    /** @return MAIL commands refused with {@code 421 4.7.0} for exceeding {@link #limitRate}. */
    public int rateRefusals()
    {
        return rateRefusals.get();
    }

    private synchronized boolean withinRate()
    {
        if (ratePerSec <= 0)
        {
            return true;
        }
        final long now = System.nanoTime();
        rateTokens = Math.min(rateBurst, rateTokens + (now - rateRefilledAtNanos) * ratePerSec / 1e9);
        rateRefilledAtNanos = now;
        if (rateTokens >= 1)
        {
            rateTokens--;
            return true;
        }
        rateRefusals.incrementAndGet();
        return false;
    }

    public int port()
    {
        return server.getLocalPort();
    }

    /** @return the route target, {@code smtp://127.0.0.1:<port>}. */
    public String target()
    {
        return "smtp://127.0.0.1:" + port();
    }

    public int connections()
    {
        return connections.get();
    }

    /** @return the most connections that were open at the same time. */
    int mostOpenAtOnce()
    {
        return mostOpen.get();
    }

    int pipelinedTransactions()
    {
        return pipelined.get();
    }

    /** @return messages refused after their data for a {@code malware...} recipient. */
    public int contentRejections()
    {
        return contentRejections.get();
    }

    /** @return transactions begun (MAIL received). */
    int transactions()
    {
        return transactions.get();
    }

    /**
     * Hands every accepted message to {@code taker} instead of keeping it, for runs too long to keep them all (a soak):
     * {@link #received()} then stays empty.
     */
    public void handTo(final Consumer<Received> taker)
    {
        consumer = taker;
    }

    private void keep(final Received message)
    {
        final Consumer<Received> taker = consumer;
        if (taker != null)
        {
            taker.accept(message);
        }
        else
        {
            received.add(message);
        }
    }

    public List<Received> received()
    {
        return new ArrayList<>(received);
    }

    List<String> authentications()
    {
        return new ArrayList<>(authentications);
    }

    /** @return every command line received, prefixed with its connection number, e.g. {@code "2 RSET"}. */
    List<String> commands()
    {
        return new ArrayList<>(commands);
    }

    /** @return how many received messages contain {@code marker}. */
    public long copiesOf(final String marker)
    {
        return received.stream().filter(r -> r.text().contains(marker)).count();
    }

    private void accept()
    {
        while (!closed)
        {
            try
            {
                final Socket socket = server.accept();
                final int number = connections.incrementAndGet();
                sockets.add(socket);
                final Thread session = new Thread(() -> serve(socket, number), "sink-session-" + number);
                session.setDaemon(true);
                session.start();
            }
            catch (final IOException ex)
            {
                return;
            }
        }
    }

    private void serve(final Socket socket, final int number)
    {
        mostOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
        try (socket)
        {
            socket.setSoTimeout(60_000);
            // Without it, Nagle holds each pipelined reply until the client's delayed ACK: 40 ms a transaction.
            socket.setTcpNoDelay(true);
            new Session(socket, number).run();
        }
        catch (final IOException ex)
        {
            // The client went away (or the test closed the sink): nothing to record.
        }
        finally
        {
            open.decrementAndGet();
            sockets.remove(socket);
        }
    }

    /** Closes every open connection from the server's side, as a server's idle timeout does. */
    void closeConnections() throws IOException
    {
        for (final Socket socket : sockets)
        {
            socket.close();
        }
    }

    @Override
    public void close() throws IOException
    {
        closed = true;
        server.close();
        // A close while accept() blocks is finished by the accepting thread (the JDK's NioSocketImpl): until that
        // thread has returned, the port still listens and may even hand it one more connection, which would then be
        // served by a sink the test believes closed. So wait for it, then close whatever it took.
        if (Thread.currentThread() != acceptor)
        {
            try
            {
                acceptor.join(10_000);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while the sink on port " + port() + " closed", ex);
            }
            if (acceptor.isAlive())
            {
                throw new IOException("the sink on port " + port() + " still accepts 10 s after its close");
            }
        }
        for (final Socket socket : sockets)
        {
            socket.close();
        }
    }

    /** One connection's dialogue. */
    private final class Session
    {
        private Socket socket;
        private final int number;
        private InputStream in;
        private OutputStream out;
        private boolean secure;
        private String user;
        private final byte[] buffer = new byte[64 * 1024];
        private int start;
        private int end;
        private String from;
        private final List<String> recipients = new ArrayList<>();

        Session(final Socket socket, final int number) throws IOException
        {
            this.socket = socket;
            this.number = number;
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
        }

        void run() throws IOException
        {
            final String greeting = greetings.poll();
            if (greeting != null)
            {
                reply(greeting);
                if (greeting.startsWith("4") || greeting.startsWith("5"))
                {
                    return;
                }
            }
            else
            {
                reply("220 sink.test ESMTP test sink");
            }
            String line;
            while ((line = readLine()) != null)
            {
                commands.add(number + " " + line);
                if (!command(line))
                {
                    return;
                }
            }
        }

        /** @return false when the session is over. */
        private boolean command(final String line) throws IOException
        {
            final String upper = line.toUpperCase(Locale.ROOT);
            if (upper.startsWith("EHLO"))
            {
                if (!ehlo)
                {
                    reply("502 5.5.2 EHLO not implemented");
                    return true;
                }
                final List<String> lines = new ArrayList<>(List.of("250-sink.test", "250-8BITMIME"));
                if ((tls != null || tlsGarbage || tlsInjection) && !secure)
                {
                    lines.add("250-STARTTLS");
                }
                if (authUser != null)
                {
                    lines.add("250-AUTH " + authMechanisms);
                }
                if (smtputf8)
                {
                    lines.add("250-SMTPUTF8");
                }
                if (pipelining)
                {
                    lines.add("250-PIPELINING");
                }
                if (maxSize > 0)
                {
                    lines.add("250-SIZE " + maxSize);
                }
                lines.add("250 ENHANCEDSTATUSCODES");
                reply(String.join("\r\n", lines));
                return true;
            }
            if (upper.startsWith("HELO"))
            {
                reply("250 sink.test");
                return true;
            }
            if (upper.equals("STARTTLS"))
            {
                return startTls();
            }
            if (upper.startsWith("AUTH "))
            {
                return auth(line);
            }
            if (upper.startsWith("MAIL FROM:"))
            {
                if (authUser != null && user == null)
                {
                    reply("530 5.7.0 Authentication required");
                    return true;
                }
                return mail(line);
            }
            if (upper.startsWith("RCPT TO:"))
            {
                return rcpt(line);
            }
            if (upper.equals("DATA"))
            {
                return data();
            }
            if (upper.equals("RSET"))
            {
                from = null;
                recipients.clear();
                reply("250 2.0.0 Ok");
                return true;
            }
            if (upper.equals("QUIT"))
            {
                reply("221 2.0.0 Bye");
                return false;
            }
            if (upper.equals("NOOP"))
            {
                reply("250 2.0.0 Ok");
                return true;
            }
            reply("500 5.5.2 unknown command");
            return true;
        }

        private boolean startTls() throws IOException
        {
            final SSLContext context = tls;
            if (secure || (context == null && !tlsGarbage && !tlsInjection))
            {
                reply("502 5.5.1 STARTTLS not offered");
                return true;
            }
            if (tlsInjection)
            {
                reply("220 2.0.0 Ready to start TLS\r\n250 2.1.0 injected in clear");
                return false;
            }
            reply("220 2.0.0 Ready to start TLS");
            if (tlsGarbage)
            {
                // Wait for the client's hello, so the garbage is read as the server's side of the handshake.
                in.read();
                out.write("this is not a TLS handshake\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                return false;
            }
            final SSLSocket ssl = (SSLSocket)context.getSocketFactory().createSocket(socket,
                socket.getInetAddress().getHostAddress(), socket.getPort(), true);
            ssl.setUseClientMode(false);
            ssl.startHandshake();
            socket = ssl;
            in = ssl.getInputStream();
            out = ssl.getOutputStream();
            start = 0;
            end = 0;
            secure = true;
            from = null;
            recipients.clear();
            return true;
        }

        private boolean auth(final String line) throws IOException
        {
            final String[] words = line.split(" ");
            final String mechanism = words[1].toUpperCase(Locale.ROOT);
            if (authUser == null || user != null || !(" " + authMechanisms + " ").contains(" " + mechanism + " "))
            {
                reply("504 5.5.4 mechanism not available");
                return true;
            }
            final String name;
            final String password;
            if ("PLAIN".equals(mechanism))
            {
                final String[] parts = decode(words.length > 2 ? words[2] : challenge("")).split("\0", -1);
                name = parts.length == 3 ? parts[1] : "";
                password = parts.length == 3 ? parts[2] : "";
            }
            else
            {
                name = decode(challenge("VXNlcm5hbWU6"));
                password = decode(challenge("UGFzc3dvcmQ6"));
            }
            final boolean ok = authUser.equals(name) && authPassword.equals(password);
            authentications.add(mechanism + (ok ? " ok " : " refused ") + (secure ? "tls" : "clear"));
            if (ok)
            {
                user = name;
                reply("235 2.7.0 Authentication successful");
            }
            else
            {
                reply("535 5.7.8 Authentication credentials invalid");
            }
            return true;
        }

        private String challenge(final String text) throws IOException
        {
            reply("334 " + text);
            final String answer = readLine();
            return answer == null ? "" : answer;
        }

        private String decode(final String base64)
        {
            try
            {
                return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
            }
            catch (final IllegalArgumentException ex)
            {
                return "";
            }
        }

        private boolean mail(final String line) throws IOException
        {
            transactions.incrementAndGet();
            if (pipelining && (end > start || awaitMore()))
            {
                pipelined.incrementAndGet();
            }
            final String action = withinRate() ? mailActions.poll() : "421 4.7.0 rate limited, try again later";
            if (action != null)
            {
                if (!"drop".equals(action))
                {
                    reply(action);
                }
                socket.close();
                return false;
            }
            if (from != null)
            {
                // RFC 5321 §4.1.4: a transaction in progress must be ended (data, or RSET) before the next MAIL.
                reply("503 5.5.1 nested MAIL command");
                return true;
            }
            final String address = address(line);
            recipients.clear();
            if (address.startsWith("refused"))
            {
                from = null;
                reply("550 5.7.1 sender refused");
                return true;
            }
            from = address;
            reply("250 2.1.0 Ok");
            return true;
        }

        private boolean rcpt(final String line) throws IOException
        {
            if (from == null)
            {
                reply("503 5.5.1 need MAIL first");
                return true;
            }
            final String address = address(line);
            final String local = address.toLowerCase(Locale.ROOT);
            if (local.startsWith("reject"))
            {
                reply("550 5.1.1 no such user");
            }
            else if (local.startsWith("policy"))
            {
                reply("550 5.7.1 message refused for policy reasons");
            }
            else if (local.startsWith("deferonce") && deferredOnce.add(address))
            {
                reply("451 4.3.0 try again later");
            }
            else if (local.startsWith("defer") && !local.startsWith("deferonce"))
            {
                reply("451 4.3.0 try again later");
            }
            else if (local.startsWith("throttle"))
            {
                reply("421 4.7.0 too many messages, slow down");
                return false;
            }
            else
            {
                recipients.add(address);
                reply("250 2.1.5 Ok");
            }
            return true;
        }

        private boolean data() throws IOException
        {
            if (from == null || recipients.isEmpty())
            {
                reply("554 5.5.1 no valid recipients");
                return true;
            }
            reply("354 End data with <CR><LF>.<CR><LF>");
            final DataAction action = dataActions.poll();
            final ByteArrayOutputStream data = new ByteArrayOutputStream();
            byte[] line;
            while ((line = readLineBytes()) != null)
            {
                if (line.length == 1 && line[0] == '.')
                {
                    break;
                }
                final int skip = line.length > 0 && line[0] == '.' ? 1 : 0;
                data.write(line, skip, line.length - skip);
                data.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
                if (action == DataAction.DROP_MID_DATA)
                {
                    socket.close();
                    return false;
                }
            }
            if (line == null)
            {
                return false;
            }
            final Received message = new Received(number, from, List.copyOf(recipients), data.toByteArray(),
                action != DataAction.DROP_AFTER_DATA, secure, user);
            final boolean malware = recipients.stream().anyMatch(r -> r.toLowerCase(Locale.ROOT).startsWith("malware"));
            from = null;
            recipients.clear();
            if (malware && (action == null || action == DataAction.ACCEPT))
            {
                contentRejections.incrementAndGet();
                reply("554 5.7.1 message refused: malware detected");
                return true;
            }
            switch (action == null ? DataAction.ACCEPT : action)
            {
                case DEFER -> reply("451 4.3.0 queue full, try later");
                case REJECT -> reply("554 5.6.0 message content refused");
                case THROTTLE ->
                {
                    reply("421 4.7.0 rate limited, closing");
                    return false;
                }
                case DROP_AFTER_DATA ->
                {
                    keep(message);
                    socket.close();
                    return false;
                }
                case SLOW ->
                {
                    pause(slowReplyMs);
                    keep(message);
                    reply("250 2.0.0 Ok: queued slowly");
                }
                default ->
                {
                    keep(message);
                    reply("250 2.0.0 Ok: queued");
                }
            }
            return true;
        }

        private String address(final String line)
        {
            final int open = line.indexOf('<');
            final int close = line.indexOf('>', open + 1);
            return open < 0 || close < 0 ? "" : line.substring(open + 1, close);
        }

        private void reply(final String text) throws IOException
        {
            pause(replyDelayMs);
            out.write((text + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        private void pause(final long millis)
        {
            if (millis <= 0)
            {
                return;
            }
            try
            {
                Thread.sleep(millis);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }

        /** @return true if more bytes arrived within the wait: the client sent ahead without waiting for the reply. */
        private boolean awaitMore() throws IOException
        {
            final int timeout = socket.getSoTimeout();
            socket.setSoTimeout((int)PIPELINING_WAIT_MS);
            try
            {
                return fill();
            }
            catch (final SocketTimeoutException ex)
            {
                return false;
            }
            finally
            {
                socket.setSoTimeout(timeout);
            }
        }

        private boolean fill() throws IOException
        {
            if (start > 0)
            {
                System.arraycopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }
            if (end == buffer.length)
            {
                throw new IOException("line longer than the sink's buffer");
            }
            final int read = in.read(buffer, end, buffer.length - end);
            if (read < 0)
            {
                return false;
            }
            end += read;
            return true;
        }

        /** @return the next line without its CRLF, or null at the end of the stream. */
        private String readLine() throws IOException
        {
            final byte[] line = readLineBytes();
            return line == null ? null : new String(line, StandardCharsets.UTF_8);
        }

        private byte[] readLineBytes() throws IOException
        {
            while (true)
            {
                for (int i = start; i + 1 < end; i++)
                {
                    if (buffer[i] == '\r' && buffer[i + 1] == '\n')
                    {
                        final byte[] line = java.util.Arrays.copyOfRange(buffer, start, i);
                        start = i + 2;
                        return line;
                    }
                }
                if (!fill())
                {
                    return null;
                }
            }
        }
    }
}
