package io.sluice.ingress;

import java.nio.charset.StandardCharsets;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ByteProcessor;

/**
 * Splits the inbound byte stream into SMTP command lines, or, between {@code 354} and the end of data,
 * streams the message into the session's buffer with dot-unstuffing (RFC 5321 §4.5.2).
 *
 * <p>Data ends only at {@code <CRLF>.<CRLF>}. A bare LF or bare CR inside the data never starts a line, so
 * the smuggling variants of CVE-2023-51764 ({@code <LF>.<LF>}, {@code <LF>.<CR><LF>}, {@code <CR>.<CR>}) can
 * never end one message and start another here; the session refuses a message that contains one.
 * One instance per connection; event-loop thread only.
 */
final class SmtpFrameDecoder extends ByteToMessageDecoder
{
    /** A command line, without its line ending. */
    record CommandLine(String text)
    {
    }

    /** A command line longer than the limit; its bytes were discarded up to the next LF. */
    record LineTooLong()
    {
    }

    /**
     * The end of DATA.
     *
     * @param bytes        message bytes after unstuffing, counted even past the limit
     * @param bareNewline  a bare CR or LF appeared in the data
     * @param tooLarge     more than the limit arrived; what exceeded it was discarded
     */
    record DataEnd(long bytes, boolean bareNewline, boolean tooLarge)
    {
    }

    private enum DataState
    {
        LINE_START, MID_LINE, SAW_CR, DOT_START, DOT_CR
    }

    private final int maxLineLength;
    private ChannelHandlerContext ctx;
    private boolean heldAtData;
    private boolean discardingLine;
    private boolean inData;
    private ByteBuf target;
    private long limit;
    private long dataBytes;
    private boolean bareNewline;
    private DataState state;

    SmtpFrameDecoder(final int maxLineLength)
    {
        this.maxLineLength = maxLineLength;
    }

    /**
     * Switches to data mode: the bytes that follow are the message, written to {@code into} until
     * {@code maxBytes}. Called by the session, on the event loop, as it answers {@code 354}.
     */
    void startData(final ByteBuf into, final long maxBytes)
    {
        heldAtData = false;
        inData = true;
        target = into;
        limit = maxBytes;
        dataBytes = 0;
        bareNewline = false;
        state = DataState.LINE_START;
    }

    boolean inData()
    {
        return inData;
    }

    /** The session answered the last command without starting data: what follows it is command lines again. */
    void releaseHold()
    {
        heldAtData = false;
    }

    /**
     * Decodes the bytes that arrived while the decoder was held, once the session has answered the {@code DATA} it held
     * at from outside a read (after an append completed). Event loop only; nothing to do when nothing is buffered.
     */
    void decodeBuffered()
    {
        if (!heldAtData && actualReadableBytes() > 0)
        {
            try
            {
                channelRead(ctx, Unpooled.EMPTY_BUFFER);
            }
            catch (final Exception ex)
            {
                ctx.fireExceptionCaught(ex);
            }
        }
    }

    /** @return true when bytes that arrived are not decoded yet: what a client pipelined behind the last line. */
    boolean hasBuffered()
    {
        return actualReadableBytes() > 0;
    }

    @Override
    public void handlerAdded(final ChannelHandlerContext ctx)
    {
        this.ctx = ctx;
    }

    @Override
    protected void decode(final ChannelHandlerContext ctx, final ByteBuf in, final List<Object> out)
    {
        if (heldAtData)
        {
            return;
        }
        if (inData)
        {
            decodeData(in, out);
        }
        else
        {
            decodeLine(in, out);
        }
    }

    private void decodeLine(final ByteBuf in, final List<Object> out)
    {
        final int eol = in.indexOf(in.readerIndex(), in.writerIndex(), (byte)'\n');
        if (discardingLine)
        {
            if (eol < 0)
            {
                in.skipBytes(in.readableBytes());
                return;
            }
            in.readerIndex(eol + 1);
            discardingLine = false;
            out.add(new LineTooLong());
            return;
        }
        if (eol < 0)
        {
            if (in.readableBytes() > maxLineLength)
            {
                discardingLine = true;
                in.skipBytes(in.readableBytes());
            }
            return;
        }
        final int length = eol - in.readerIndex();
        if (length + 1 > maxLineLength)
        {
            in.readerIndex(eol + 1);
            out.add(new LineTooLong());
            return;
        }
        final int textLength = length > 0 && in.getByte(eol - 1) == '\r' ? length - 1 : length;
        final String text = in.toString(in.readerIndex(), textLength, StandardCharsets.UTF_8);
        in.readerIndex(eol + 1);
        heldAtData = isData(text);
        out.add(new CommandLine(text));
    }

    /** @return whether the session reads {@code line} as a DATA command (its verb, before the first space). */
    private static boolean isData(final String line)
    {
        return line.regionMatches(true, 0, "DATA", 0, 4) && (line.length() == 4 || line.charAt(4) == ' ');
    }

    private void decodeData(final ByteBuf in, final List<Object> out)
    {
        while (in.isReadable())
        {
            if (state == DataState.MID_LINE)
            {
                // Fast path: copy the run up to the next CR or LF in bulk. Byte-at-a-time reads were the
                // hottest frames of the acceptance benchmark's profile (Netty checks the buffer on each read).
                final int start = in.readerIndex();
                final int special = in.forEachByte(ByteProcessor.FIND_CRLF);
                final int stop = special < 0 ? in.writerIndex() : special;
                writeSpan(in, start, stop - start);
                in.readerIndex(stop);
                if (special < 0)
                {
                    return;
                }
            }
            if (step(in.readByte()))
            {
                inData = false;
                target = null;
                out.add(new DataEnd(dataBytes, bareNewline, dataBytes > limit));
                return;
            }
        }
    }

    private void writeSpan(final ByteBuf in, final int index, final int length)
    {
        if (length == 0)
        {
            return;
        }
        final long room = Math.max(0, limit - dataBytes);
        if (room > 0)
        {
            target.writeBytes(in, index, (int)Math.min(room, length));
        }
        dataBytes += length;
    }

    /** @return true when {@code b} completes {@code <CRLF>.<CRLF>}. */
    private boolean step(final byte b)
    {
        switch (state)
        {
            case LINE_START ->
            {
                if (b == '.')
                {
                    state = DataState.DOT_START;
                }
                else
                {
                    midLine(b);
                }
            }
            case DOT_START ->
            {
                if (b == '\r')
                {
                    state = DataState.DOT_CR;
                }
                else
                {
                    // Transparency: the leading dot of a stuffed line is dropped.
                    midLine(b);
                }
            }
            case DOT_CR ->
            {
                if (b == '\n')
                {
                    return true;
                }
                bareNewline = true;
                write('\r');
                midLine(b);
            }
            case SAW_CR ->
            {
                if (b == '\n')
                {
                    write('\r');
                    write('\n');
                    state = DataState.LINE_START;
                }
                else
                {
                    bareNewline = true;
                    write('\r');
                    midLine(b);
                }
            }
            default -> midLine(b);
        }
        return false;
    }

    private void midLine(final byte b)
    {
        if (b == '\r')
        {
            state = DataState.SAW_CR;
            return;
        }
        if (b == '\n')
        {
            // A bare LF ends no line: the next byte is mid-line, so no dot after it can end the data.
            bareNewline = true;
        }
        write(b);
        state = DataState.MID_LINE;
    }

    private void write(final int b)
    {
        dataBytes++;
        if (dataBytes <= limit)
        {
            target.writeByte(b);
        }
    }
}
