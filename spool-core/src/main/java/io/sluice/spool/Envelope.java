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
 * @param smtpUtf8         the client asked for SMTPUTF8 at MAIL FROM (RFC 6531): addresses and header fields may be
 *                         UTF-8, and delivery must hand the message only to a server that offers SMTPUTF8 when it does
 * @param eightBitMime     the client declared {@code BODY=8BITMIME} at MAIL FROM (RFC 6152)
 * @param authenticated    the client authenticated with SMTP AUTH (RFC 4954) as a user of {@code tenant}: the mail is
 *                         that tenant's own sending wherever it connected from (containment judges and holds it)
 */
public record Envelope(
    String sourceKey,
    String tenant,
    String lane,
    String sender,
    List<String> recipients,
    long receivedAtMillis,
    boolean smtpUtf8,
    boolean eightBitMime,
    boolean authenticated)
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

    /** An envelope from a client that did not authenticate. */
    public Envelope(
        final String sourceKey,
        final String tenant,
        final String lane,
        final String sender,
        final List<String> recipients,
        final long receivedAtMillis,
        final boolean smtpUtf8,
        final boolean eightBitMime)
    {
        this(sourceKey, tenant, lane, sender, recipients, receivedAtMillis, smtpUtf8, eightBitMime, false);
    }

    /** An envelope without SMTPUTF8 or BODY=8BITMIME: what mail generated here and mail journaled before them have. */
    public Envelope(
        final String sourceKey,
        final String tenant,
        final String lane,
        final String sender,
        final List<String> recipients,
        final long receivedAtMillis)
    {
        this(sourceKey, tenant, lane, sender, recipients, receivedAtMillis, false, false, false);
    }

    /** @return this envelope with the MAIL FROM parameters the client gave. */
    public Envelope withMailParameters(final boolean utf8, final boolean eightBit)
    {
        return new Envelope(sourceKey, tenant, lane, sender, recipients, receivedAtMillis, utf8, eightBit, authenticated);
    }

    /** @return true for the null reverse-path {@code <>}, to which no bounce may ever be sent (RFC 5321 §4.5.5). */
    public boolean hasNullSender()
    {
        return sender.isEmpty();
    }
}
