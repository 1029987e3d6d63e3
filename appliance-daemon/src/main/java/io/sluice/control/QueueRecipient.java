package io.sluice.control;

import javax.management.ConstructorParameters;

/** One recipient of a queued message as {@code sluice queue show} prints it: where it stands and the last word on it. */
public final class QueueRecipient
{
    private final String address;
    private final String status;
    private final int attempts;
    private final long nextAttemptMillis;
    private final String detail;

    @ConstructorParameters({"address", "status", "attempts", "nextAttemptMillis", "detail"})
    public QueueRecipient(final String address, final String status, final int attempts, final long nextAttemptMillis,
        final String detail)
    {
        this.address = address;
        this.status = status;
        this.attempts = attempts;
        this.nextAttemptMillis = nextAttemptMillis;
        this.detail = detail;
    }

    public String getAddress()
    {
        return address;
    }

    /** The journaled disposition, lower case: pending, deferred, held, released, delivered, failed, suppressed, purged. */
    public String getStatus()
    {
        return status;
    }

    /** Delivery attempts made so far. */
    public int getAttempts()
    {
        return attempts;
    }

    /** For a deferred recipient: the earliest retry, epoch milliseconds; 0 otherwise. */
    public long getNextAttemptMillis()
    {
        return nextAttemptMillis;
    }

    /** The upstream's last reply, or what held, released or ended it and who (an operator's name). */
    public String getDetail()
    {
        return detail;
    }
}
