package io.sluice.containment;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;

/**
 * One of a held tenant's messages as an operator inspects it before releasing or purging ({@link Containment#samples}):
 * enough to tell a newsletter from phishing without reading anyone's body.
 *
 * @param queueId    the queue id
 * @param sender     the envelope sender; empty for {@code <>}
 * @param recipients the envelope recipients
 * @param subject    the {@code Subject} header, unfolded and cut to {@value #MAX_SUBJECT} characters; empty if none
 * @param sizeBytes  the message's size
 * @param ageMs      how long it has been in the spool
 * @param status     the first open recipient's disposition and detail, e.g. {@code HELD containment: held (...)}
 */
public record HeldSample(
    String queueId, String sender, List<String> recipients, String subject, long sizeBytes, long ageMs, String status)
{
    static final int MAX_SUBJECT = 200;
    /** The header section is read at most this far; a subject further down is not worth the scan. */
    private static final int MAX_HEADER_BYTES = 64 << 10;

    public HeldSample
    {
        Objects.requireNonNull(queueId, "queueId");
        Objects.requireNonNull(sender, "sender");
        recipients = List.copyOf(recipients);
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(status, "status");
    }

    /**
     * @param content the message as spooled; null if it could not be read (the subject is then empty).
     */
    public static HeldSample of(final PendingMessage message, final ByteBuffer content, final long nowMillis)
    {
        String status = "";
        for (final RecipientStatus recipient : message.recipients())
        {
            if (!recipient.isFinal())
            {
                status = recipient.disposition() + (recipient.detail().isEmpty() ? "" : " " + recipient.detail());
                break;
            }
        }
        return new HeldSample(message.queueId(), message.envelope().sender(), message.envelope().recipients(),
            content == null ? "" : subjectOf(content), message.contentLength(),
            Math.max(0, nowMillis - message.envelope().receivedAtMillis()), status);
    }

    /** @return the first Subject header of the header section, unfolded, control characters dropped; empty if none. */
    static String subjectOf(final ByteBuffer content)
    {
        final ByteBuffer view = content.duplicate();
        final byte[] bytes = new byte[Math.min(view.remaining(), MAX_HEADER_BYTES)];
        view.get(bytes);
        final String headers = new String(bytes, StandardCharsets.UTF_8);
        final String[] lines = headers.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++)
        {
            if (lines[i].isEmpty())
            {
                return "";
            }
            if (lines[i].regionMatches(true, 0, "subject:", 0, 8))
            {
                final StringBuilder subject = new StringBuilder(lines[i].substring(8).trim());
                for (int next = i + 1; next < lines.length && !lines[next].isEmpty()
                    && (lines[next].charAt(0) == ' ' || lines[next].charAt(0) == '\t'); next++)
                {
                    subject.append(' ').append(lines[next].trim());
                }
                final String clean = subject.toString().replaceAll("\\p{Cntrl}", "");
                return clean.length() > MAX_SUBJECT ? clean.substring(0, MAX_SUBJECT) : clean;
            }
        }
        return "";
    }

    /** @return one line for a console. */
    public String describe()
    {
        return String.format(Locale.ROOT, "%s <%s> -> %s, %d bytes, %d s old, %s, subject \"%s\"", queueId, sender,
            recipients, sizeBytes, ageMs / 1000, status, subject);
    }
}
