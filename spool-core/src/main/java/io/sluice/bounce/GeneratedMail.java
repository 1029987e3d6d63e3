package io.sluice.bounce;

import java.nio.ByteBuffer;
import java.util.Objects;

import io.sluice.spool.Envelope;

/**
 * A message the appliance wrote itself (a DSN, an operator notice), ready for {@code Spool.append(envelope(),
 * content())}: CRLF line endings throughout, no line over 998 octets (RFC 5322 section 2.1.1).
 *
 * @param envelope  who it is from and to, its lane and tenant
 * @param content   the RFC 5322 message, position 0 to its length; a fresh buffer per call of {@link #content()}
 * @param messageId its {@code Message-ID}, angle brackets included
 */
public record GeneratedMail(Envelope envelope, ByteBuffer content, String messageId)
{
    /** The source key of mail the appliance generates: not an address, so it is never mistaken for a client's. */
    public static final String SOURCE_KEY = "sluice-local";

    public GeneratedMail
    {
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(messageId, "messageId");
    }

    /** @return a fresh view of the content (position 0), so appending it never moves this record's buffer. */
    @Override
    public ByteBuffer content()
    {
        return content.duplicate().clear();
    }

    /** @return a copy of the content's bytes. */
    public byte[] bytes()
    {
        final ByteBuffer view = content();
        final byte[] bytes = new byte[view.remaining()];
        view.get(bytes);
        return bytes;
    }
}
