package io.sluice.delivery;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.LineBasedFrameDecoder;

/**
 * Decodes an upstream server's reply lines into {@link UpstreamReply}s, joining multi-line replies.
 *
 * <p>Why not Netty's {@code SmtpResponseDecoder}: in 4.2.18 it throws on a reply line that is only a code
 * ({@code "250"<CRLF>}), which RFC 5321 §4.2's grammar allows ({@code Reply-code [ SP textstring ] CRLF}), and it
 * turns a non-digit code into a garbage number instead of refusing it. A malformed line here is a
 * {@link DecoderException}: the connection is closed and its transaction treated as lost. One instance per
 * connection; event-loop thread only.
 */
final class SmtpReplyDecoder extends LineBasedFrameDecoder
{
    /** RFC 5321 §4.5.3.1.5 allows 512 octets per reply line; real servers send longer banners and EHLO lines. */
    static final int MAX_LINE_LENGTH = 8192;
    /** A reply longer than this many lines is an attack or a broken server, not SMTP. */
    private static final int MAX_LINES = 1000;

    private List<String> lines;
    private int code = -1;

    SmtpReplyDecoder()
    {
        super(MAX_LINE_LENGTH, true, true);
    }

    @Override
    protected Object decode(final ChannelHandlerContext ctx, final ByteBuf buffer) throws Exception
    {
        final ByteBuf frame = (ByteBuf)super.decode(ctx, buffer);
        if (frame == null)
        {
            return null;
        }
        try
        {
            // The code and separator are checked in the bytes and only the text becomes a String: decoding the whole
            // line and cutting its text out made two strings of each reply line, four lines a delivered message (about
            // 430 of the 15,600 bytes delivering allocated per message, issue 21, session 7's JFR).
            final int length = frame.readableBytes();
            final int start = frame.readerIndex();
            if (length < 3 || !isDigit(frame, start, '2', '5') || !isDigit(frame, start + 1, '0', '9')
                || !isDigit(frame, start + 2, '0', '9')
                || (length > 3 && frame.getByte(start + 3) != ' ' && frame.getByte(start + 3) != '-'))
            {
                throw new DecoderException("not an SMTP reply line: " + abbreviate(frame.toString(StandardCharsets.UTF_8)));
            }
            final int lineCode = (frame.getByte(start) - '0') * 100 + (frame.getByte(start + 1) - '0') * 10
                + frame.getByte(start + 2) - '0';
            final boolean more = length > 3 && frame.getByte(start + 3) == '-';
            final String text = length > 4 ? frame.toString(start + 4, length - 4, StandardCharsets.UTF_8) : "";
            if (lines == null && !more)
            {
                // The usual reply, one line: no list to build and copy (four replies a delivered message).
                return new UpstreamReply(lineCode, List.of(text));
            }
            if (lines == null)
            {
                lines = new ArrayList<>(4);
                code = lineCode;
            }
            else if (lineCode != code)
            {
                throw new DecoderException("reply code changed within a multi-line reply: "
                    + abbreviate(frame.toString(StandardCharsets.UTF_8)));
            }
            if (lines.size() >= MAX_LINES)
            {
                throw new DecoderException("reply longer than " + MAX_LINES + " lines");
            }
            lines.add(text);
            if (more)
            {
                return null;
            }
            final UpstreamReply reply = new UpstreamReply(code, lines);
            lines = null;
            code = -1;
            return reply;
        }
        finally
        {
            frame.release();
        }
    }

    /** @return true if bytes beyond the last decoded reply are waiting (a reply or a part of one). */
    boolean hasBufferedBytes()
    {
        return actualReadableBytes() > 0 || lines != null;
    }

    private static boolean isDigit(final ByteBuf line, final int index, final char min, final char max)
    {
        final byte b = line.getByte(index);
        return b >= min && b <= max;
    }

    private static String abbreviate(final String line)
    {
        return line.length() > 80 ? line.substring(0, 80) + "..." : line;
    }
}
