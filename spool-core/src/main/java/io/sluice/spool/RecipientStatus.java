package io.sluice.spool;

import java.util.Objects;

/**
 * The journaled state of one recipient.
 *
 * @param disposition     where it stands
 * @param attempts        delivery attempts made so far
 * @param notBeforeMillis for {@link Disposition#DEFERRED}: the earliest retry time, epoch milliseconds; 0 otherwise
 * @param detail          the upstream's SMTP reply, the suppression reason, or the operator's note; may be empty
 */
public record RecipientStatus(Disposition disposition, int attempts, long notBeforeMillis, String detail)
{
    public static final RecipientStatus NEW = new RecipientStatus(Disposition.PENDING, 0, 0, "");

    public RecipientStatus
    {
        Objects.requireNonNull(disposition, "disposition");
        Objects.requireNonNull(detail, "detail");
        if (attempts < 0)
        {
            throw new IllegalArgumentException("attempts must be >= 0: " + attempts);
        }
    }

    public static RecipientStatus delivered(final int attempts, final String reply)
    {
        return new RecipientStatus(Disposition.DELIVERED, attempts, 0, reply);
    }

    public static RecipientStatus deferred(final int attempts, final long notBeforeMillis, final String reply)
    {
        return new RecipientStatus(Disposition.DEFERRED, attempts, notBeforeMillis, reply);
    }

    public static RecipientStatus failed(final int attempts, final String reply)
    {
        return new RecipientStatus(Disposition.FAILED, attempts, 0, reply);
    }

    public boolean isFinal()
    {
        return disposition.isFinal();
    }
}
