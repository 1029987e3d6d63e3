package io.sluice.bounce;

import java.util.Objects;

/**
 * One bounce that was not sent, as an operator lists it ({@link BouncePolicy#recentSuppressions()}).
 *
 * @param atMillis  when it was decided, epoch milliseconds
 * @param queueId   the failed message's queue id
 * @param sender    the failed message's envelope sender: who would have received the bounce; empty for {@code <>}
 * @param recipient the recipient whose delivery failed
 * @param reason    why no bounce was sent
 * @param status    the failure's RFC 3463 status, e.g. {@code 5.7.1}
 */
public record Suppression(
    long atMillis, String queueId, String sender, String recipient, SuppressionReason reason, String status)
{
    public Suppression
    {
        Objects.requireNonNull(queueId, "queueId");
        Objects.requireNonNull(sender, "sender");
        Objects.requireNonNull(recipient, "recipient");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(status, "status");
    }
}
