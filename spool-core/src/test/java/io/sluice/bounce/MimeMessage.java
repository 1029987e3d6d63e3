package io.sluice.bounce;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A deliberately strict reader of generated mail for tests: it fails on any line end that is not CRLF, and splits a
 * message into unfolded header fields and a body, and a multipart body into its parts by the boundary parameter.
 */
final class MimeMessage
{
    final Map<String, String> headers = new LinkedHashMap<>();
    final String body;

    private MimeMessage(final String text)
    {
        final int end = text.indexOf("\r\n\r\n");
        if (end < 0)
        {
            throw new AssertionError("no blank line after the header section");
        }
        String field = null;
        for (final String line : text.substring(0, end).split("\r\n"))
        {
            if (line.startsWith(" ") || line.startsWith("\t"))
            {
                headers.put(field, headers.get(field) + " " + line.trim());
            }
            else
            {
                final int colon = line.indexOf(':');
                if (colon <= 0)
                {
                    throw new AssertionError("not a header field: " + line);
                }
                field = line.substring(0, colon).toLowerCase(Locale.ROOT);
                if (headers.containsKey(field))
                {
                    throw new AssertionError("header field twice: " + field);
                }
                headers.put(field, line.substring(colon + 1).trim());
            }
        }
        body = text.substring(end + 4);
    }

    static MimeMessage parse(final byte[] bytes)
    {
        assertCrlfOnly(bytes);
        return new MimeMessage(new String(bytes, StandardCharsets.UTF_8));
    }

    static void assertCrlfOnly(final byte[] bytes)
    {
        int lineLength = 0;
        for (int i = 0; i < bytes.length; i++)
        {
            if (bytes[i] == '\r' && (i + 1 >= bytes.length || bytes[i + 1] != '\n'))
            {
                throw new AssertionError("bare CR at byte " + i);
            }
            if (bytes[i] == '\n' && (i == 0 || bytes[i - 1] != '\r'))
            {
                throw new AssertionError("bare LF at byte " + i);
            }
            lineLength = bytes[i] == '\n' ? 0 : lineLength + 1;
            if (lineLength > 999)
            {
                throw new AssertionError("line over 998 octets at byte " + i);
            }
        }
        if (bytes.length < 2 || bytes[bytes.length - 2] != '\r' || bytes[bytes.length - 1] != '\n')
        {
            throw new AssertionError("the message does not end with CRLF");
        }
    }

    String header(final String name)
    {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }

    /** @return the boundary parameter of the Content-Type field. */
    String boundary()
    {
        final String type = header("Content-Type");
        final int at = type.indexOf("boundary=\"");
        if (at < 0)
        {
            throw new AssertionError("no quoted boundary in " + type);
        }
        return type.substring(at + "boundary=\"".length(), type.indexOf('"', at + "boundary=\"".length()));
    }

    /** @return the parts between the boundary delimiters, each parsed; the close delimiter must end the body. */
    List<MimeMessage> parts()
    {
        final String delimiter = "--" + boundary();
        final String close = "\r\n" + delimiter + "--\r\n";
        if (!body.endsWith(close))
        {
            throw new AssertionError("the body does not end with the close delimiter " + delimiter + "--");
        }
        final String inner = body.substring(0, body.length() - close.length());
        final String[] pieces = ("\r\n" + inner).split("\r\n" + Pattern.quote(delimiter) + "\r\n", -1);
        final List<MimeMessage> parts = new ArrayList<>();
        for (int i = 1; i < pieces.length; i++)
        {
            parts.add(new MimeMessage(pieces[i]));
        }
        return parts;
    }

    /** @return the blocks of a delivery-status body: field name (lower case) to value, per blank-line-separated group. */
    List<Map<String, String>> statusGroups()
    {
        final List<Map<String, String>> groups = new ArrayList<>();
        for (final String group : body.split("\r\n\r\n"))
        {
            if (group.isBlank())
            {
                continue;
            }
            final Map<String, String> fields = new LinkedHashMap<>();
            for (final String line : group.split("\r\n"))
            {
                final int colon = line.indexOf(':');
                fields.put(line.substring(0, colon).toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
            }
            groups.add(fields);
        }
        return groups;
    }
}
