package io.sluice.spool;

/**
 * What became of an {@link Spool#append} request. The SMTP layer maps each status to one reply, so the
 * sending MTA always learns whether to retry; only {@link Status#ACCEPTED} is a promise to deliver.
 *
 * @param status    the outcome
 * @param messageId the spool id of the accepted message, or 0 when it was not accepted
 */
public record AppendResult(Status status, long messageId)
{
    /** The typed outcomes of an append. */
    public enum Status
    {
        /** Durable (or written, in {@link Durability#ACK_ON_WRITE}): the message is the spool's responsibility. */
        ACCEPTED,
        /** Free space is below the configured reserve (SMTP {@code 452 4.3.1}); retried later it may pass. */
        REFUSED_DISK_FULL,
        /** The message is larger than the spool's configured maximum (SMTP {@code 552 5.3.4}). */
        REFUSED_TOO_LARGE,
        /** The writer's queue is full: the spool is saturated (SMTP {@code 451 4.3.0}). */
        REFUSED_OVERLOADED,
        /** The spool is closing or closed (SMTP {@code 421 4.3.2}). */
        REFUSED_CLOSED,
        /** The journal write or sync failed; nothing was promised (SMTP {@code 451 4.3.0}). */
        FAILED_IO
    }

    public static final AppendResult DISK_FULL = new AppendResult(Status.REFUSED_DISK_FULL, 0);
    public static final AppendResult TOO_LARGE = new AppendResult(Status.REFUSED_TOO_LARGE, 0);
    public static final AppendResult OVERLOADED = new AppendResult(Status.REFUSED_OVERLOADED, 0);
    public static final AppendResult CLOSED = new AppendResult(Status.REFUSED_CLOSED, 0);
    public static final AppendResult IO_FAILURE = new AppendResult(Status.FAILED_IO, 0);

    public static AppendResult accepted(final long messageId)
    {
        return new AppendResult(Status.ACCEPTED, messageId);
    }

    public boolean isAccepted()
    {
        return status == Status.ACCEPTED;
    }

    /** @return the queue id operators see in logs and in {@code 250 2.0.0 Ok: queued as <id>}. */
    public String queueId()
    {
        return QueueIds.format(messageId);
    }
}
