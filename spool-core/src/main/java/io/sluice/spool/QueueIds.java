package io.sluice.spool;

import java.nio.charset.StandardCharsets;

/**
 * Spool message ids and their printed form. An id is {@code (epochMillis << 12) | sequence}: ids grow with
 * time, so the smallest pending id is the oldest pending message, and they stay unique across restarts
 * even when retention has deleted every journal file.
 */
public final class QueueIds
{
    static final int SEQUENCE_BITS = 12;

    private QueueIds()
    {
    }

    private static final byte[] HEX_DIGITS = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

    /**
     * @return the queue id as 16 upper-case hex digits, the form logged and sent in SMTP replies. Formatted at least
     *         once per accepted and per delivered message (the mail log): one array and its string, not the four
     *         strings of hex, upper case, padding and concatenation.
     */
    public static String format(final long messageId)
    {
        final byte[] digits = new byte[16];
        for (int i = 15; i >= 0; i--)
        {
            digits[i] = HEX_DIGITS[(int)(messageId >>> ((15 - i) * 4)) & 0xF];
        }
        return new String(digits, StandardCharsets.US_ASCII);
    }

    /**
     * @param queueId the printed form.
     * @return the id.
     * @throws IllegalArgumentException if it is not 1-16 hex digits.
     */
    public static long parse(final String queueId)
    {
        if (queueId == null || queueId.isEmpty() || queueId.length() > 16)
        {
            throw new IllegalArgumentException("not a queue id (1-16 hex digits): " + queueId);
        }
        try
        {
            return Long.parseUnsignedLong(queueId, 16);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("not a queue id (1-16 hex digits): " + queueId, ex);
        }
    }

    /** @return the next id after {@code previous} at time {@code nowMillis}: strictly greater than previous. */
    static long next(final long previous, final long nowMillis)
    {
        return Math.max(previous + 1, nowMillis << SEQUENCE_BITS);
    }

    /** @return the epoch millis an id was issued at (approximately, if many were issued in one millisecond). */
    static long issuedAtMillis(final long messageId)
    {
        return messageId >>> SEQUENCE_BITS;
    }
}
