package io.sluice.spool;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Envelopes and bodies for spool tests. */
public final class TestMessages
{
    private TestMessages()
    {
    }

    public static Envelope envelope(final String... recipients)
    {
        return new Envelope("127.0.0.1", "default", "mail", "sender@example.org", List.of(recipients), 1_700_000_000_000L);
    }

    public static Envelope envelopeAt(final long receivedAtMillis, final String... recipients)
    {
        return new Envelope("127.0.0.1", "default", "mail", "sender@example.org", List.of(recipients), receivedAtMillis);
    }

    /** A body that names itself, padded to {@code size} bytes with a pattern that shows misplaced bytes. */
    public static ByteBuffer body(final String tag, final int size)
    {
        final byte[] head = ("Subject: " + tag + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        final byte[] bytes = new byte[Math.max(size, head.length)];
        System.arraycopy(head, 0, bytes, 0, head.length);
        for (int i = head.length; i < bytes.length; i++)
        {
            bytes[i] = (byte)('a' + (i * 31 + tag.hashCode()) % 26);
        }
        return ByteBuffer.wrap(bytes);
    }

    /** @return the tag a {@link #body} was made with. */
    public static String tagOf(final ByteBuffer content)
    {
        final byte[] start = new byte[Math.min(200, content.remaining())];
        content.duplicate().get(start);
        final String text = new String(start, StandardCharsets.US_ASCII);
        return text.substring("Subject: ".length(), text.indexOf("\r\n"));
    }
}
