package io.sluice.ingress;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;

/**
 * A deliberately plain SMTP client over a JDK socket: it writes exactly the bytes a test gives it (so it
 * can misbehave on purpose) and reads replies, joining multi-line replies into one string.
 */
public final class SmtpTestClient implements AutoCloseable
{
    private Socket socket;
    private InputStream in;
    private OutputStream out;

    private SmtpTestClient(final Socket socket) throws IOException
    {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /** Connects from {@code localAddress} (any 127.x.y.z on Linux), so one test can look like many sources. */
    public static SmtpTestClient connect(final InetSocketAddress server, final String localAddress) throws IOException
    {
        final Socket socket = new Socket();
        socket.setSoTimeout(15_000);
        socket.bind(new InetSocketAddress(InetAddress.getByName(localAddress), 0));
        socket.connect(server, 10_000);
        return new SmtpTestClient(socket);
    }

    public static SmtpTestClient connect(final InetSocketAddress server) throws IOException
    {
        return connect(server, "127.0.0.1");
    }

    /** Connects to an implicit-TLS listener (RFC 8314): the handshake first, then the greeting can be read. */
    public static SmtpTestClient connectTls(final InetSocketAddress server, final SSLContext tls) throws IOException
    {
        final SmtpTestClient client = connect(server);
        client.handshake(server, tls);
        return client;
    }

    /**
     * STARTTLS (RFC 3207): sends it, expects {@code 220}, then handshakes trusting what {@code tls} trusts; the session
     * continues encrypted.
     *
     * @return the TLS session, e.g. to see which certificate the server presented.
     */
    public SSLSession startTls(final SSLContext tls) throws IOException
    {
        expect(command("STARTTLS"), "220");
        return handshake((InetSocketAddress)socket.getRemoteSocketAddress(), tls);
    }

    private SSLSession handshake(final InetSocketAddress server, final SSLContext tls) throws IOException
    {
        final SSLSocket secured = (SSLSocket)tls.getSocketFactory()
            .createSocket(socket, server.getAddress().getHostAddress(), server.getPort(), true);
        secured.setUseClientMode(true);
        secured.startHandshake();
        socket = secured;
        in = secured.getInputStream();
        out = secured.getOutputStream();
        return secured.getSession();
    }

    public void send(final String raw) throws IOException
    {
        out.write(raw.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    void sendBytes(final byte[] raw) throws IOException
    {
        out.write(raw);
        out.flush();
    }

    /** Sends one command line with CRLF and returns its reply. */
    public String command(final String line) throws IOException
    {
        send(line + "\r\n");
        return reply();
    }

    /** @return the next reply (all its lines, joined by newlines), or null if the server closed the connection. */
    public String reply() throws IOException
    {
        final List<String> lines = new ArrayList<>();
        while (true)
        {
            final String line = readLine();
            if (line == null)
            {
                return lines.isEmpty() ? null : String.join("\n", lines);
            }
            lines.add(line);
            if (line.length() < 4 || line.charAt(3) != '-')
            {
                return String.join("\n", lines);
            }
        }
    }

    private String readLine() throws IOException
    {
        final StringBuilder line = new StringBuilder();
        while (true)
        {
            final int b = in.read();
            if (b < 0)
            {
                return line.length() == 0 ? null : line.toString();
            }
            if (b == '\n')
            {
                final int end = line.length() > 0 && line.charAt(line.length() - 1) == '\r' ? line.length() - 1 : line.length();
                return line.substring(0, end);
            }
            line.append((char)b);
        }
    }

    /** @return true if the server closed the connection (reads end of stream within the socket timeout). */
    boolean isClosedByServer() throws IOException
    {
        try
        {
            return in.read() < 0;
        }
        catch (final SocketTimeoutException ex)
        {
            return false;
        }
        catch (final IOException ex)
        {
            return true;
        }
    }

    /** EHLO, MAIL, RCPT and DATA for one message; returns the final reply. */
    public String sendMessage(final String from, final String to, final String body) throws IOException
    {
        expect(command("MAIL FROM:<" + from + ">"), "250");
        expect(command("RCPT TO:<" + to + ">"), "250");
        expect(command("DATA"), "354");
        send(body + "\r\n.\r\n");
        return reply();
    }

    public static String expect(final String reply, final String prefix)
    {
        if (reply == null || !reply.startsWith(prefix))
        {
            throw new AssertionError("expected a reply starting " + prefix + " but got: " + reply);
        }
        return reply;
    }

    /** @return the /24 this client connects from, e.g. {@code 127.1.3}. */
    String localNetwork()
    {
        final String address = socket.getLocalAddress().getHostAddress();
        return address.substring(0, address.lastIndexOf('.'));
    }

    void setTimeoutMillis(final int millis) throws IOException
    {
        socket.setSoTimeout(millis);
    }

    @Override
    public void close() throws IOException
    {
        socket.close();
    }
}
