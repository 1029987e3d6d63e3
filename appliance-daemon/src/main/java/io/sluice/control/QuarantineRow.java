package io.sluice.control;

import javax.management.ConstructorParameters;

/**
 * One quarantined message: held in the spool, never delivered until an operator releases it. A row of JConsole's
 * table and of {@code sluice quarantine list}.
 */
public final class QuarantineRow
{
    private final String queueId;
    private final String source;
    private final String sender;
    private final String recipients;
    private final String reason;
    private final long receivedAtMillis;
    private final long expiresAtMillis;

    @ConstructorParameters({"queueId", "source", "sender", "recipients", "reason", "receivedAtMillis", "expiresAtMillis"})
    public QuarantineRow(final String queueId, final String source, final String sender, final String recipients,
        final String reason, final long receivedAtMillis, final long expiresAtMillis)
    {
        this.queueId = queueId;
        this.source = source;
        this.sender = sender;
        this.recipients = recipients;
        this.reason = reason;
        this.receivedAtMillis = receivedAtMillis;
        this.expiresAtMillis = expiresAtMillis;
    }

    public String getQueueId()
    {
        return queueId;
    }

    /** The sending client's address. */
    public String getSource()
    {
        return source;
    }

    /** The envelope sender; empty for the null sender. */
    public String getSender()
    {
        return sender;
    }

    /** The open recipients, comma-separated. */
    public String getRecipients()
    {
        return recipients;
    }

    /** Why it is quarantined: the demotion of its network, or the spoof pattern. */
    public String getReason()
    {
        return reason;
    }

    public long getReceivedAtMillis()
    {
        return receivedAtMillis;
    }

    /** When it fails undelivered unless released ({@code quarantine.expiryMs} after it was quarantined). */
    public long getExpiresAtMillis()
    {
        return expiresAtMillis;
    }
}
