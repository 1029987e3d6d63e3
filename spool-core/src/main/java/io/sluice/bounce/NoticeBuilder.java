package io.sluice.bounce;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

import io.sluice.spool.Envelope;

/**
 * Builds the plain-text notices the appliance sends its operator (a tenant held by containment, a spent bounce
 * budget), for the {@code notifications} lane: the strict lane with its own route, so a customer flood or a
 * suspended customer route never delays an alert about it.
 *
 * <p>A notice is {@code Auto-Submitted: auto-generated} (RFC 3834). Its envelope sender defaults to the null
 * sender: an operator address that fails then costs one suppressed bounce, never a loop. Every line ends in CRLF.
 * Thread-safe.
 */
public final class NoticeBuilder
{
    private final String reportingMta;
    private final String envelopeSender;
    private final String tenant;
    private final String lane;
    private final Clock clock;
    private final AtomicLong sequence = new AtomicLong();

    /**
     * @param reportingMta   the appliance's host name, for the From and Message-ID.
     * @param envelopeSender the envelope sender; empty for the null sender {@code <>}.
     * @param tenant         the tenant notices are accounted to (the appliance's own, never a customer's).
     * @param lane           the lane, normally {@code notifications}.
     * @param clock          for the Date field.
     * @throws IllegalArgumentException if the host name or the sender is not usable.
     */
    public NoticeBuilder(final String reportingMta, final String envelopeSender, final String tenant, final String lane,
        final Clock clock)
    {
        this.reportingMta = Objects.requireNonNull(reportingMta, "reportingMta");
        this.envelopeSender = Objects.requireNonNull(envelopeSender, "envelopeSender");
        this.tenant = Objects.requireNonNull(tenant, "tenant");
        this.lane = Objects.requireNonNull(lane, "lane");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (!Addresses.isDomain(reportingMta) || !Addresses.isAscii(reportingMta))
        {
            throw new IllegalArgumentException("expected a host name for the notices: '" + reportingMta + "'");
        }
        if (!envelopeSender.isEmpty() && !Addresses.isMailbox(envelopeSender))
        {
            throw new IllegalArgumentException("expected empty (null sender) or a mailbox: '" + envelopeSender + "'");
        }
        if (lane.isBlank())
        {
            throw new IllegalArgumentException("expected a lane for the notices");
        }
    }

    /**
     * @param to      the operator's address.
     * @param subject one line; written as printable ASCII.
     * @param body    any text (UTF-8), any line ends; written with CRLF, long lines wrapped.
     * @return the notice, ready for {@code Spool.append}.
     * @throws IllegalArgumentException if {@code to} is not a mailbox.
     */
    public GeneratedMail build(final String to, final String subject, final String body)
    {
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(body, "body");
        if (!Addresses.isMailbox(to))
        {
            throw new IllegalArgumentException("expected the operator's mailbox: '" + to + "'");
        }
        final long nowMillis = clock.millis();
        final String messageId = "<notice." + Long.toString(nowMillis, 36) + "." + sequence.incrementAndGet() + "@"
            + reportingMta + ">";
        final boolean ascii = Addresses.isAscii(body);
        final String from = envelopeSender.isEmpty() ? "postmaster@" + reportingMta : envelopeSender;
        final byte[] content = new MailText()
            .line("From: Sluice on " + reportingMta + " <" + from + ">")
            .line("To: <" + to + ">")
            .line("Subject: " + MailText.ascii(subject))
            .line("Date: " + MailText.date(nowMillis))
            .line("Message-ID: " + messageId)
            .line("Auto-Submitted: auto-generated")
            .line("MIME-Version: 1.0")
            .line("Content-Type: text/plain; charset=" + (ascii ? "us-ascii" : "utf-8"))
            .line("Content-Transfer-Encoding: " + (ascii ? "7bit" : "8bit"))
            .line()
            .text(body)
            .toBytes();
        final Envelope envelope = new Envelope(GeneratedMail.SOURCE_KEY, tenant, lane, envelopeSender, List.of(to), nowMillis);
        return new GeneratedMail(envelope, ByteBuffer.wrap(content), messageId);
    }

    public String tenant()
    {
        return tenant;
    }

    public String lane()
    {
        return lane;
    }
}
