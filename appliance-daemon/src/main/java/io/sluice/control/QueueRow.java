package io.sluice.control;

import javax.management.ConstructorParameters;

/** One pending message as {@code sluice queue list} and {@code show} print it. */
public final class QueueRow
{
    private final String queueId;
    private final String state;
    private final String tenant;
    private final String lane;
    private final String route;
    private final String source;
    private final String sender;
    private final long sizeBytes;
    private final long receivedAtMillis;
    private final long ageSeconds;
    private final String holdReason;
    private final QueueRecipient[] recipients;

    @ConstructorParameters({"queueId", "state", "tenant", "lane", "route", "source", "sender", "sizeBytes",
        "receivedAtMillis", "ageSeconds", "holdReason", "recipients"})
    public QueueRow(final String queueId, final String state, final String tenant, final String lane, final String route,
        final String source, final String sender, final long sizeBytes, final long receivedAtMillis, final long ageSeconds,
        final String holdReason, final QueueRecipient[] recipients)
    {
        this.queueId = queueId;
        this.state = state;
        this.tenant = tenant;
        this.lane = lane;
        this.route = route;
        this.source = source;
        this.sender = sender;
        this.sizeBytes = sizeBytes;
        this.receivedAtMillis = receivedAtMillis;
        this.ageSeconds = ageSeconds;
        this.holdReason = holdReason;
        this.recipients = recipients.clone();
    }

    public String getQueueId()
    {
        return queueId;
    }

    /** ready, deferred, held or paused. */
    public String getState()
    {
        return state;
    }

    public String getTenant()
    {
        return tenant;
    }

    /** The drain lane it was spooled on (its class of mail: mail, notifications, bounces, suspect). */
    public String getLane()
    {
        return lane;
    }

    /** The route it leaves by. */
    public String getRoute()
    {
        return route;
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

    public long getSizeBytes()
    {
        return sizeBytes;
    }

    public long getReceivedAtMillis()
    {
        return receivedAtMillis;
    }

    public long getAgeSeconds()
    {
        return ageSeconds;
    }

    /** What holds it (an operator, containment, the quarantine, the bounce budget), from the journal; empty if nothing. */
    public String getHoldReason()
    {
        return holdReason;
    }

    public QueueRecipient[] getRecipients()
    {
        return recipients.clone();
    }
}
