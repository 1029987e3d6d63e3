package io.sluice.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

import io.netty.buffer.ByteBufUtil;
import org.junit.jupiter.api.Test;

/**
 * {@link OutboundMessage#prepare}'s word-at-a-time scan: it must decide exactly as a byte-by-byte reading of RFC 5321
 * §4.5.2 and §2.3.8 does, wherever a CR, LF, dot or byte above 127 falls against the 8-byte words it reads.
 */
class OutboundMessageTest
{
    /** What the content must become, read one byte at a time: the rules, not the code under test. */
    private record Expected(byte[] data, long size, boolean eightBit, boolean headerEightBit)
    {
    }

    private static Expected byteByByte(final byte[] content)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        long stuffed = 0;
        boolean lineStart = true;
        boolean header = true;
        boolean eightBit = false;
        boolean headerEightBit = false;
        for (int i = 0; i < content.length; i++)
        {
            final byte b = content[i];
            if (b == '\r' || b == '\n')
            {
                if (b == '\r' && i + 1 < content.length && content[i + 1] == '\n')
                {
                    i++;
                }
                out.write('\r');
                out.write('\n');
                header &= !lineStart;
                lineStart = true;
                continue;
            }
            if (lineStart && b == '.')
            {
                out.write('.');
                stuffed++;
            }
            eightBit |= b < 0;
            headerEightBit |= header && b < 0;
            out.write(b);
            lineStart = false;
        }
        if (!lineStart)
        {
            out.write('\r');
            out.write('\n');
        }
        return new Expected(out.toByteArray(), out.size() - stuffed, eightBit, headerEightBit);
    }

    /** Prepares {@code content} placed at {@code offset} of a larger buffer, as a slice of the journal's read would be. */
    private static void assertPreparedAsByteByByte(final byte[] content, final int offset)
    {
        final byte[] backing = new byte[offset + content.length + 5];
        Arrays.fill(backing, (byte)'\n');
        System.arraycopy(content, 0, backing, offset, content.length);
        final ByteBuffer buffer = ByteBuffer.wrap(backing, offset, content.length);
        final Expected expected = byteByByte(content);
        final OutboundMessage message = OutboundMessage.prepare(buffer);
        try
        {
            final String what = "content " + printable(content) + " at offset " + offset;
            assertThat(ByteBufUtil.getBytes(message.data())).as(what).isEqualTo(expected.data());
            assertThat(message.size()).as(what).isEqualTo(expected.size());
            assertThat(message.eightBit()).as(what).isEqualTo(expected.eightBit());
            assertThat(message.headerEightBit()).as(what).isEqualTo(expected.headerEightBit());
            assertThat(buffer.position()).as("the content's position is left alone").isEqualTo(offset);
        }
        finally
        {
            message.data().release();
        }
    }

    private static String printable(final byte[] content)
    {
        return new String(content, StandardCharsets.ISO_8859_1).replace("\r", "\\r").replace("\n", "\\n");
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void shouldStuffADotAtEveryLineStartWhereverItFallsInAWord()
    {
        // The line ending ends right at, just before and just after each 8-byte boundary of the scan.
        for (int lineLength = 0; lineLength <= 20; lineLength++)
        {
            final String line = "x".repeat(lineLength);
            for (final int offset : new int[] {0, 1, 3, 7})
            {
                assertPreparedAsByteByByte(bytes(line + "\r\n.dot\r\n"), offset);
                assertPreparedAsByteByByte(bytes(line + "\r\n.\r\n"), offset);
                assertPreparedAsByteByByte(bytes(line + "\r\n..\r\n" + line + "\r\n"), offset);
                assertPreparedAsByteByByte(bytes(line + "\r\n" + line + ".no\r\n"), offset);
            }
        }
    }

    @Test
    void shouldStuffADotAtTheStartOfTheBody()
    {
        assertPreparedAsByteByByte(bytes(".starts with a dot\r\nand goes on for more than a word\r\n"), 0);
        assertPreparedAsByteByByte(bytes("."), 0);
        assertPreparedAsByteByByte(bytes(".\r\n"), 5);
    }

    @Test
    void shouldSendBareLineEndingsAsCrlfWhereverTheyFall()
    {
        for (int lineLength = 0; lineLength <= 17; lineLength++)
        {
            final String line = "y".repeat(lineLength);
            assertPreparedAsByteByByte(bytes(line + "\nnext line of text\n"), 0);
            assertPreparedAsByteByByte(bytes(line + "\rnext line of text\r\n"), 0);
            assertPreparedAsByteByByte(bytes("a long enough first line\r\n" + line + "\n.dot\r\n"), 2);
            assertPreparedAsByteByByte(bytes(line + "\r"), 0);
            assertPreparedAsByteByByte(bytes(line), 0);
        }
    }

    @Test
    void shouldFindEightBitBytesInAndAfterTheHeaderWhereverTheyFall()
    {
        for (int position = 0; position <= 17; position++)
        {
            final String before = "h".repeat(position);
            assertPreparedAsByteByByte(bytes("Subject: " + before + "é here\r\n\r\nbody text of some length\r\n"), 0);
            assertPreparedAsByteByByte(bytes("Subject: plain ascii\r\n\r\n" + before + "é in the body only\r\n"), 0);
        }
        assertPreparedAsByteByByte(bytes("\r\nthe header section is empty, é\r\n"), 0);
    }

    @Test
    void shouldWrapCleanContentWithoutACopy()
    {
        final byte[] content = bytes("Subject: clean\r\n\r\nA body whose lines need nothing.\r\nNo dot starts one.\r\n");
        final OutboundMessage message = OutboundMessage.prepare(ByteBuffer.wrap(content));
        try
        {
            assertThat(message.data().hasArray()).isTrue();
            assertThat(message.data().array()).as("the journal's buffer itself").isSameAs(content);
            assertThat(message.size()).isEqualTo(content.length);
        }
        finally
        {
            message.data().release();
        }
    }

    @Test
    void shouldAgreeWithTheByteByByteRulesOnRandomContent()
    {
        // Few distinct bytes, so that CR, LF, dots and high bytes meet every position of a word in every order.
        final byte[] alphabet = {'a', 'b', ' ', '.', '.', '\r', '\n', '\r', '\n', (byte)0xC3, (byte)0xA9};
        final Random random = new Random(21);
        for (int round = 0; round < 20_000; round++)
        {
            final byte[] content = new byte[random.nextInt(48)];
            for (int i = 0; i < content.length; i++)
            {
                content[i] = alphabet[random.nextInt(alphabet.length)];
            }
            assertPreparedAsByteByByte(content, random.nextInt(9));
        }
    }

    @Test
    void shouldTellPlainWordsFromWordsThatNeedALook()
    {
        final long plain = ByteBuffer.wrap(bytes("abcdefgh")).getLong();
        assertThat(OutboundMessage.isPlainText(plain, 0x8080808080808080L)).isTrue();
        for (int lane = 0; lane < Long.BYTES; lane++)
        {
            for (final int special : new int[] {'\r', '\n', 0x80, 0xFF})
            {
                final byte[] word = bytes("abcdefgh");
                word[lane] = (byte)special;
                final long value = ByteBuffer.wrap(word).getLong();
                assertThat(OutboundMessage.isPlainText(value, 0x8080808080808080L)).as("byte %x in lane %d", special, lane)
                    .isFalse();
                assertThat(OutboundMessage.isPlainText(value, 0)).as("byte %x in lane %d, high bytes no longer matter",
                    special, lane).isEqualTo(special >= 0x80);
            }
        }
        // Bytes next to CR and LF (0x0C, 0x0E, 0x09, 0x0B) and 0x00, 0x01 are plain.
        assertThat(OutboundMessage.isPlainText(ByteBuffer.wrap(new byte[] {0x0C, 0x0E, 0x09, 0x0B, 0, 1, 0x7F, 0x2E}).getLong(),
            0x8080808080808080L)).isTrue();
    }
}
