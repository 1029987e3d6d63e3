package io.sluice.benchmarks.flood;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * One blocking SMTP client session from a chosen local address (how one loopback box looks like thousands of
 * sources), in lock step as a plain MTA or a spam bot would talk: no pipelining, so every reply is attributed to
 * its command.
 */
final class SmtpClientSession implements AutoCloseable
{
    private static final int TIMEOUT_MS = 120_000;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private SmtpClientSession(final Socket socket) throws IOException
    {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream(), 4096);
        this.out = new BufferedOutputStream(socket.getOutputStream(), 16 * 1024);
    }

    /** Connects from {@code local} (any port) to {@code server}; the greeting is the caller's to read. */
    static SmtpClientSession connect(final InetAddress local, final InetSocketAddress server) throws IOException
    {
        final Socket socket = new Socket();
        try
        {
            socket.setSoTimeout(TIMEOUT_MS);
            socket.setTcpNoDelay(true);
            socket.bind(new InetSocketAddress(local, 0));
            socket.connect(server, TIMEOUT_MS);
            return new SmtpClientSession(socket);
        }
        catch (final IOException ex)
        {
            socket.close();
            throw ex;
        }
    }

    Reply reply() throws IOException
    {
        final StringBuilder text = new StringBuilder();
        while (true)
        {
            final String line = readLine();
            if (line == null)
            {
                return Reply.CONNECTION_CLOSED;
            }
            if (line.length() < 3)
            {
                return new Reply(0, "malformed reply: " + line);
            }
            if (text.length() > 0)
            {
                text.append(" | ");
            }
            text.append(line.length() > 4 ? line.substring(4) : "");
            if (line.length() == 3 || line.charAt(3) != '-')
            {
                try
                {
                    return new Reply(Integer.parseInt(line.substring(0, 3)), text.toString());
                }
                catch (final NumberFormatException ex)
                {
                    return new Reply(0, "malformed reply: " + line);
                }
            }
        }
    }

    Reply command(final String line) throws IOException
    {
        out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        return reply();
    }

    /** DATA, then {@code content} (dot-safe, ending in CRLF) and the final dot; the reply to the dot. */
    Reply data(final byte[] content) throws IOException
    {
        final Reply go = command("DATA");
        if (go.code() != 354)
        {
            return go;
        }
        out.write(content);
        out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return reply();
    }

    void quit()
    {
        try
        {
            out.write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            reply();
        }
        catch (final IOException ignored)
        {
            // The server may have closed first; the session is over either way.
        }
    }

    private String readLine() throws IOException
    {
        final ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        int b;
        while ((b = in.read()) != -1)
        {
            if (b == '\n')
            {
                final byte[] bytes = line.toByteArray();
                final int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, length, StandardCharsets.UTF_8);
            }
            line.write(b);
        }
        return null;
    }

    @Override
    public void close()
    {
        try
        {
            socket.close();
        }
        catch (final IOException ignored)
        {
            // Closing a socket that failed: nothing left to release.
        }
    }

    /** An SMTP reply: its code (0 when there was none) and its text lines joined. */
    record Reply(int code, String text)
    {
        static final Reply CONNECTION_CLOSED = new Reply(0, "connection closed by the server");

        boolean positive()
        {
            return code >= 200 && code < 400;
        }

        /**
         * The reply as a refusal reason to count by: code, enhanced status and the words before any detail after a
         * colon, addresses and networks blanked, so "450 4.7.1 Rate limit exceeded (network 127.64.3.0/24)" counts
         * as "450 4.7.1 Rate limit exceeded (network *)" for every network.
         */
        String reason()
        {
            if (code == 0)
            {
                return text;
            }
            String words = text;
            final int cut = firstOf(words, ':', '<', '[');
            if (cut >= 0)
            {
                words = words.substring(0, cut);
            }
            // Keep which bucket refused ("(network *)") but not which address: one count per kind of refusal.
            words = words.replaceAll("[0-9a-fA-F:.]*[0-9][0-9a-fA-F:.]*/[0-9]+|\\b[0-9]+(\\.[0-9]+){3}\\b", "*");
            return (code + " " + words.replaceAll("[0-9A-F]{8,}", "N")).trim();
        }

        private static int firstOf(final String text, final char... marks)
        {
            int first = -1;
            for (final char mark : marks)
            {
                final int at = text.indexOf(mark);
                if (at >= 0 && (first < 0 || at < first))
                {
                    first = at;
                }
            }
            return first;
        }
    }
}
