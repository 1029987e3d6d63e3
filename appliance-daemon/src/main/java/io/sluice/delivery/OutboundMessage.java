package io.sluice.delivery;

import java.nio.ByteBuffer;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * A message's content made ready for the DATA phase: every line ending is CRLF, the last line is terminated, and
 * every line that starts with a dot has a second dot put in front (RFC 5321 §4.5.2 transparency), so a body line
 * that is a lone dot cannot end the data early and a line starting with a dot arrives intact.
 *
 * <p>Netty's {@code SmtpRequestEncoder} writes {@code SmtpContent} as given and appends {@code .<CRLF>}: it neither
 * dot-stuffs nor terminates the last line, so both are done here.
 *
 * <p>Content from the SMTP listener has CRLF line endings already (it refuses bare CR and LF); an embedder's may not,
 * and a bare LF or CR is sent as CRLF, as RFC 5321 §2.3.8 requires.
 *
 * @param data           the bytes to send between the 354 and the final {@code .<CRLF>}; the owner releases it
 * @param size           the message size for the SIZE parameter (RFC 1870): CRLF line endings, without stuffing dots
 * @param eightBit       true if any byte is above 127 (BODY=8BITMIME when the server offers it)
 * @param headerEightBit true if a byte above 127 is in the header section (before the first empty line): with
 *                       SMTPUTF8 from the client, UTF-8 header fields that only an SMTPUTF8 server may take (RFC 6532)
 */
record OutboundMessage(ByteBuf data, long size, boolean eightBit, boolean headerEightBit)
{
    /** A byte of 1 in each lane: {@code ONES * c} is a word of eight {@code c}s. */
    private static final long ONES = 0x0101010101010101L;
    /** The high bit of each lane. */
    private static final long HIGHS = 0x8080808080808080L;
    private static final long CRS = ONES * '\r';
    private static final long LFS = ONES * '\n';

    /**
     * @return the content prepared for sending: the content itself, wrapped without a copy, when it needs no change
     *         (the usual case for mail from the SMTP listener), else a stuffed copy.
     */
    static OutboundMessage prepare(final ByteBuffer content)
    {
        final int start = content.position();
        final int end = content.limit();
        boolean eightBit = false;
        boolean headerEightBit = false;
        boolean header = true;
        boolean lineStart = true;
        boolean clean = true;
        int i = start;
        while (i < end && clean)
        {
            // Eight bytes at a time while inside a line (issue 21: the byte loop was most of the 5 % self time of a
            // dispatch's preparation): a word with no CR, no LF and (while a high byte would still change a flag) no byte
            // above 127 changes nothing. A word that has one goes byte by byte below, and so does the first byte of a
            // line, the only place where a dot needs stuffing.
            if (!lineStart && end - i >= Long.BYTES
                && isPlainText(content.getLong(i), eightBit && !header ? 0 : HIGHS))
            {
                i += Long.BYTES;
                continue;
            }
            final byte b = content.get(i);
            if (b == '\r')
            {
                clean = i + 1 < end && content.get(i + 1) == '\n';
                // An empty line ends the header section.
                header &= !lineStart;
                lineStart = true;
                i += 2;
                continue;
            }
            clean = b != '\n' && !(lineStart && b == '.');
            eightBit |= b < 0;
            headerEightBit |= header && b < 0;
            lineStart = false;
            i++;
        }
        if (clean && lineStart)
        {
            return new OutboundMessage(Unpooled.wrappedBuffer(content.duplicate()), end - start, eightBit, headerEightBit);
        }
        return stuff(content);
    }

    /**
     * @param word     eight bytes of content, in either byte order (only whether a byte is there matters)
     * @param highBits {@link #HIGHS} to count a byte above 127 as not plain, 0 once such bytes no longer matter
     * @return true if no byte of the word is a CR or an LF, nor (with {@code highBits}) above 127
     */
    static boolean isPlainText(final long word, final long highBits)
    {
        return (zeroByte(word ^ CRS) | zeroByte(word ^ LFS) | (word & highBits)) == 0;
    }

    /** @return non-zero if some byte of {@code word} is 0 (exact for whether there is one, not for which one). */
    private static long zeroByte(final long word)
    {
        return (word - ONES) & ~word & HIGHS;
    }

    private static OutboundMessage stuff(final ByteBuffer content)
    {
        final int length = content.remaining();
        final ByteBuf out = Unpooled.buffer(length + length / 64 + 16);
        final int start = content.position();
        final int end = content.limit();
        boolean lineStart = true;
        boolean eightBit = false;
        boolean headerEightBit = false;
        boolean header = true;
        long stuffed = 0;
        for (int i = start; i < end; i++)
        {
            final byte b = content.get(i);
            if (b == '\r' || b == '\n')
            {
                if (b == '\r' && i + 1 < end && content.get(i + 1) == '\n')
                {
                    i++;
                }
                out.writeByte('\r').writeByte('\n');
                header &= !lineStart;
                lineStart = true;
                continue;
            }
            if (lineStart && b == '.')
            {
                out.writeByte('.');
                stuffed++;
            }
            eightBit |= b < 0;
            headerEightBit |= header && b < 0;
            out.writeByte(b);
            lineStart = false;
        }
        if (!lineStart)
        {
            out.writeByte('\r').writeByte('\n');
        }
        return new OutboundMessage(out, out.readableBytes() - stuffed, eightBit, headerEightBit);
    }
}
