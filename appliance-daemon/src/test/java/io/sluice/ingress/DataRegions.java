package io.sluice.ingress;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The fuzzer's oracle for "exactly the bytes the client sent": every message a server may store from a byte stream,
 * worked out without asking the server. A message can only begin right after a line that reads {@code DATA} (any case,
 * optionally followed by blanks), and ends at the first {@code <CRLF>.<CRLF>} after it; its content is that span with
 * the leading dot of each line removed (RFC 5321 §4.5.2). Deliberately naive and independent of
 * {@link SmtpFrameDecoder}: it lists every place a DATA could have started, a superset of what the server did, so a
 * stored message that matches none of them (or two messages that claim the same one) is bytes the client never sent as
 * one message.
 */
final class DataRegions
{
    /**
     * One place a message could have been taken from.
     *
     * @param start   the offset of its first byte in the stream
     * @param content what a correct server stores, unstuffed, with its last CRLF, before the trace header
     */
    record Region(int start, byte[] content)
    {
    }

    private DataRegions()
    {
    }

    /** @return every candidate region of {@code stream}, in stream order; only complete ones (terminator present). */
    static List<Region> of(final byte[] stream)
    {
        final List<Region> regions = new ArrayList<>();
        int lineStart = 0;
        while (lineStart < stream.length)
        {
            final int lf = indexOf(stream, (byte)'\n', lineStart);
            if (lf < 0)
            {
                break;
            }
            if (isDataCommand(stream, lineStart, lf))
            {
                final byte[] content = unstuffedUntilEnd(stream, lf + 1);
                if (content != null)
                {
                    regions.add(new Region(lf + 1, content));
                }
            }
            lineStart = lf + 1;
        }
        return regions;
    }

    private static boolean isDataCommand(final byte[] stream, final int from, final int lf)
    {
        final int end = lf > from && stream[lf - 1] == '\r' ? lf - 1 : lf;
        final String line = new String(stream, from, end - from, StandardCharsets.UTF_8);
        final int space = line.indexOf(' ');
        final String verb = space < 0 ? line : line.substring(0, space);
        return verb.equalsIgnoreCase("DATA") && (space < 0 || line.substring(space + 1).isBlank());
    }

    /** @return the unstuffed lines from {@code from} up to the {@code .<CRLF>} line, or null if the stream ends first. */
    private static byte[] unstuffedUntilEnd(final byte[] stream, final int from)
    {
        final ByteArrayOutputStream content = new ByteArrayOutputStream();
        int line = from;
        while (true)
        {
            final int crlf = indexOfCrlf(stream, line);
            if (crlf < 0)
            {
                return null;
            }
            if (crlf - line == 1 && stream[line] == '.')
            {
                return content.toByteArray();
            }
            final int skip = crlf > line && stream[line] == '.' ? 1 : 0;
            content.write(stream, line + skip, crlf + 2 - line - skip);
            line = crlf + 2;
        }
    }

    /**
     * @return whether {@code content} has a CR not followed by LF or an LF not preceded by CR: what a server must
     *     refuse (RFC 5321 §2.3.8), since such bytes are how smuggling splits one message into two.
     */
    static boolean hasBareNewline(final byte[] content)
    {
        for (int i = 0; i < content.length; i++)
        {
            if (content[i] == '\r' && (i + 1 == content.length || content[i + 1] != '\n'))
            {
                return true;
            }
            if (content[i] == '\n' && (i == 0 || content[i - 1] != '\r'))
            {
                return true;
            }
        }
        return false;
    }

    /** @return the index of the first region at or after {@code fromIndex} whose content equals {@code content}, or -1. */
    static int find(final List<Region> regions, final int fromIndex, final byte[] content)
    {
        for (int i = fromIndex; i < regions.size(); i++)
        {
            if (Arrays.equals(regions.get(i).content(), content))
            {
                return i;
            }
        }
        return -1;
    }

    private static int indexOf(final byte[] stream, final byte b, final int from)
    {
        for (int i = from; i < stream.length; i++)
        {
            if (stream[i] == b)
            {
                return i;
            }
        }
        return -1;
    }

    private static int indexOfCrlf(final byte[] stream, final int from)
    {
        for (int i = from; i + 1 < stream.length; i++)
        {
            if (stream[i] == '\r' && stream[i + 1] == '\n')
            {
                return i;
            }
        }
        return -1;
    }
}
