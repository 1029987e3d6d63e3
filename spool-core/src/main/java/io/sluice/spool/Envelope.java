package io.sluice.spool;

import java.util.List;
import java.util.Objects;

/**
 * Who a message is from and to, and how it reached the appliance: everything the drain and the bounce
 * policy need without reading the message body.
 *
 * @param sourceKey        the admission key of the sending client (normally its IP address)
 * @param tenant           the tenant the message is accounted to
 * @param lane             the drain lane, e.g. {@code mail} or {@code notifications}
 * @param sender           the envelope sender (RFC 5321 MAIL FROM); empty for the null sender {@code <>}
 * @param recipients       the envelope recipients, at least one
 * @param receivedAtMillis when the message was received, epoch milliseconds
 */
public record Envelope(
    String sourceKey,
    String tenant,
    String lane,
    String sender,
    List<String> recipients,
    long receivedAtMillis)
{
    /** SMTP allows far fewer; the bound keeps one envelope inside one journal record. */
    public static final int MAX_RECIPIENTS = 65_535;

    public Envelope
    {
        Objects.requireNonNull(sourceKey, "sourceKey");
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(lane, "lane");
        Objects.requireNonNull(sender, "sender");
        recipients = List.copyOf(recipients);
        if (recipients.isEmpty())
        {
            throw new IllegalArgumentException("an envelope needs at least one recipient");
        }
        if (recipients.size() > MAX_RECIPIENTS)
        {
            throw new IllegalArgumentException("too many recipients: " + recipients.size() + " > " + MAX_RECIPIENTS);
        }
    }

    /** @return true for the null reverse-path {@code <>}, to which no bounce may ever be sent (RFC 5321 §4.5.5). */
    public boolean hasNullSender()
    {
        return sender.isEmpty();
    }
}
