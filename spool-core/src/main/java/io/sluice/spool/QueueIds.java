package io.sluice.spool;

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

    /** @return the queue id as 16 upper-case hex digits, the form logged and sent in SMTP replies. */
    public static String format(final long messageId)
    {
        final String hex = Long.toHexString(messageId).toUpperCase(java.util.Locale.ROOT);
        return "0".repeat(16 - hex.length()) + hex;
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
