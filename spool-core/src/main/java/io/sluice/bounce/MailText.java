package io.sluice.bounce;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * Writes generated mail: every line ends in CRLF (RFC 5322 section 2.1: a bare CR or LF is not a line end, and a
 * relay that cares about SMTP smuggling refuses it), dates in RFC 5322 form, header text in printable ASCII.
 */
final class MailText
{
    /** RFC 5322 section 2.1.1: at most 998 octets per line; generated lines stay well under it. */
    static final int MAX_TEXT_CHARS = 900;
    private static final byte[] CRLF = {'\r', '\n'};
    private static final DateTimeFormatter DATE =
        DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss xx", Locale.ROOT).withZone(ZoneOffset.UTC);

    private final ByteArrayOutputStream out = new ByteArrayOutputStream(4096);

    /** @return the RFC 5322 date-time, e.g. {@code Tue, 14 Nov 2023 22:13:20 +0000}. */
    static String date(final long epochMillis)
    {
        return DATE.format(Instant.ofEpochMilli(epochMillis));
    }

    /**
     * @return the text as printable ASCII on one line: controls (CR and LF among them) become spaces, other
     *         characters outside ASCII {@code ?}, cut at {@value #MAX_TEXT_CHARS} characters. For header fields and
     *         delivery-status fields, which RFC 3464 keeps in US-ASCII.
     */
    static String ascii(final String text)
    {
        final int length = Math.min(text.length(), MAX_TEXT_CHARS);
        final StringBuilder clean = new StringBuilder(length);
        for (int i = 0; i < length; i++)
        {
            final char c = text.charAt(i);
            if (c < ' ' || c == 0x7F)
            {
                clean.append(' ');
            }
            else
            {
                clean.append(c < 0x80 ? c : '?');
            }
        }
        return clean.toString();
    }

    /** Writes a line of text (UTF-8) and CRLF. The text must hold no CR or LF. */
    MailText line(final String text)
    {
        final byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        out.write(bytes, 0, bytes.length);
        out.write(CRLF, 0, 2);
        return this;
    }

    MailText line()
    {
        out.write(CRLF, 0, 2);
        return this;
    }

    /** Writes lines of text that may hold any line ends, each written with CRLF; long lines are wrapped. */
    MailText text(final String text)
    {
        for (final String line : text.split("\r\n|\r|\n", -1))
        {
            String rest = line;
            while (rest.length() > MAX_TEXT_CHARS)
            {
                line(rest.substring(0, MAX_TEXT_CHARS));
                rest = rest.substring(MAX_TEXT_CHARS);
            }
            line(rest);
        }
        return this;
    }

    /** Writes bytes already in CRLF form, as is. */
    MailText raw(final byte[] bytes)
    {
        out.write(bytes, 0, bytes.length);
        return this;
    }

    byte[] toBytes()
    {
        return out.toByteArray();
    }
}
