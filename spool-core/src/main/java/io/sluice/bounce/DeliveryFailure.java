package io.sluice.bounce;

import java.util.Objects;

import io.sluice.spool.Disposition;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;

/**
 * One recipient's permanent failure, as a bounce needs it: who failed, the RFC 3463 status for the DSN's
 * {@code Status} field and the upstream's reply for its {@code Diagnostic-Code}. Read from the journaled
 * {@link RecipientStatus} of a {@link Disposition#FAILED} recipient, whose detail the drain's classifier writes as
 * the reply line ({@code 550 5.1.1 User unknown}) or, when the queue lifetime ran out, as
 * {@code expired: ...; last reply: 451 4.4.1 ...}.
 *
 * @param recipientIndex the failed recipient's index in the envelope
 * @param recipient      the failed envelope recipient (the DSN's {@code Final-Recipient})
 * @param status         the RFC 3463 code, class 5: the reply's enhanced code when it has one, {@code 5.4.7}
 *                       (delivery time expired) for an expired recipient, else {@code 5.0.0}
 * @param diagnostic     the upstream's reply line, or empty when the failure carries none
 * @param expired        true when the recipient failed because its queue lifetime ran out
 * @param detail         the journaled detail as given
 */
public record DeliveryFailure(
    int recipientIndex, String recipient, String status, String diagnostic, boolean expired, String detail)
{
    /** RFC 3463: X.4.7, delivery time expired. */
    static final String STATUS_EXPIRED = "5.4.7";
    /** RFC 3463: X.0.0, other or undefined status, when the reply gives no enhanced code. */
    static final String STATUS_UNDEFINED = "5.0.0";
    private static final String EXPIRED_PREFIX = "expired:";
    private static final String LAST_REPLY = "last reply: ";

    public DeliveryFailure
    {
        Objects.requireNonNull(recipient, "recipient");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(diagnostic, "diagnostic");
        Objects.requireNonNull(detail, "detail");
    }

    /**
     * @param message        the message as it was when the recipient failed.
     * @param recipientIndex the failed recipient.
     * @param failure        its final status; must be {@link Disposition#FAILED}.
     * @throws IllegalArgumentException if the index is out of range or the status is not a failure.
     */
    public static DeliveryFailure of(final PendingMessage message, final int recipientIndex, final RecipientStatus failure)
    {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(failure, "failure");
        if (recipientIndex < 0 || recipientIndex >= message.envelope().recipients().size())
        {
            throw new IllegalArgumentException("recipient index " + recipientIndex + " is not in message "
                + message.queueId() + " with " + message.envelope().recipients().size() + " recipients");
        }
        if (failure.disposition() != Disposition.FAILED)
        {
            throw new IllegalArgumentException("only a FAILED recipient can bounce, not " + failure.disposition());
        }
        return parse(recipientIndex, message.envelope().recipients().get(recipientIndex), failure.detail());
    }

    /** @return the failure a journaled detail describes; never throws on an odd detail, which becomes 5.0.0. */
    static DeliveryFailure parse(final int recipientIndex, final String recipient, final String detail)
    {
        final boolean expired = detail.startsWith(EXPIRED_PREFIX);
        String reply = detail;
        if (expired)
        {
            final int last = detail.indexOf(LAST_REPLY);
            reply = last < 0 ? "" : detail.substring(last + LAST_REPLY.length());
        }
        final int code = replyCode(reply);
        final String diagnostic = code < 0 ? "" : reply.trim();
        final String enhanced = code < 0 ? "" : enhancedCode(reply, code);
        final String status;
        if (expired)
        {
            status = STATUS_EXPIRED;
        }
        else if (enhanced.startsWith("5."))
        {
            status = enhanced;
        }
        else
        {
            status = STATUS_UNDEFINED;
        }
        return new DeliveryFailure(recipientIndex, recipient, status, diagnostic, expired, detail);
    }

    /** @return the three-digit code the line starts with, or -1. */
    private static int replyCode(final String line)
    {
        if (line.length() < 3 || (line.length() > 3 && line.charAt(3) != ' ' && line.charAt(3) != '-'))
        {
            return -1;
        }
        int code = 0;
        for (int i = 0; i < 3; i++)
        {
            final char c = line.charAt(i);
            if (c < '0' || c > '9')
            {
                return -1;
            }
            code = code * 10 + (c - '0');
        }
        return code >= 200 && code <= 599 ? code : -1;
    }

    /** @return the RFC 3463 code after the reply code, if it is one of the reply's class; else "". */
    private static String enhancedCode(final String line, final int code)
    {
        if (line.length() <= 4)
        {
            return "";
        }
        final String rest = line.substring(4).trim();
        final int space = rest.indexOf(' ');
        final String first = space < 0 ? rest : rest.substring(0, space);
        final String[] parts = first.split("\\.", -1);
        if (parts.length != 3 || !parts[0].equals(String.valueOf(code / 100)))
        {
            return "";
        }
        for (int i = 1; i < 3; i++)
        {
            if (parts[i].isEmpty() || parts[i].length() > 3 || !parts[i].chars().allMatch(c -> c >= '0' && c <= '9'))
            {
                return "";
            }
        }
        return first;
    }

    /** @return true for a permanent policy or security rejection ({@code 5.7.x}), the class a flood's payload gets. */
    public boolean isPolicyFailure()
    {
        return !expired && status.startsWith("5.7.");
    }

    /**
     * @return true when the upstream says the recipient's address does not exist or cannot be reached (RFC 3463
     *         5.1.1 bad mailbox, 5.1.2 bad system, 5.1.3 bad syntax, 5.1.6 moved, 5.1.10 null MX): a hard bounce.
     */
    public boolean isRecipientAddressBad()
    {
        return !expired && (status.equals("5.1.1") || status.equals("5.1.2") || status.equals("5.1.3")
            || status.equals("5.1.6") || status.equals("5.1.10"));
    }

    /**
     * @return true when the upstream refused the message's sender address (RFC 3463 5.1.7 bad sender mailbox
     *         syntax, 5.1.8 bad sender system): a notification to that sender cannot be delivered either.
     */
    public boolean isSenderAddressBad()
    {
        return !expired && (status.equals("5.1.7") || status.equals("5.1.8"));
    }
}
