package io.sluice.bounce;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

import io.sluice.spool.Envelope;
import io.sluice.spool.PendingMessage;

/**
 * Builds delivery status notifications (RFC 3464) for failures the {@link BouncePolicy} allowed, as
 * {@code multipart/report; report-type=delivery-status} (RFC 6522) with three parts:
 *
 * <ol>
 *   <li>{@code text/plain}: what happened, for a person;</li>
 *   <li>{@code message/delivery-status}: {@code Reporting-MTA}, {@code Arrival-Date}, then per failed recipient
 *       {@code Final-Recipient}, {@code Action: failed}, {@code Status} (RFC 3463) and {@code Diagnostic-Code: smtp;}
 *       with the upstream's reply;</li>
 *   <li>{@code text/rfc822-headers}: the original message's header section (never its body: returning a flood's
 *       malware attachment to anyone would be the worst backscatter of all), cut at
 *       {@link BounceContext#DSN_MAX_HEADER_BYTES}.</li>
 * </ol>
 *
 * <p>The DSN's envelope: from the null sender {@code <>} (RFC 5321 section 4.5.5, so a DSN can never cause another),
 * to the original envelope sender, in the bounces lane, under the original tenant. Its header carries
 * {@code Auto-Submitted: auto-replied} (RFC 3834), which well-behaved responders never answer. Where an address is
 * not ASCII (SMTPUTF8 mail), the report is {@code global-delivery-status} with {@code utf-8} address types
 * (RFC 6533). Every line ends in CRLF.
 *
 * <p>Thread-safe and stateless apart from a sequence for unique ids.
 */
public final class DsnBuilder
{
    private final String reportingMta;
    private final String lane;
    private final int maxHeaderBytes;
    private final String operatorAddress;
    private final Clock clock;
    private final AtomicLong sequence = new AtomicLong();

    /** @param context settings; concluded (validated) here. */
    public DsnBuilder(final BounceContext context)
    {
        context.conclude();
        reportingMta = context.reportingMta();
        lane = context.lane();
        maxHeaderBytes = context.dsnMaxHeaderBytes();
        operatorAddress = context.operatorAddress();
        clock = context.clock();
    }

    /**
     * Builds the DSN a decision allowed.
     *
     * @param decision        a {@link BounceDecision.Action#SEND} or {@link BounceDecision.Action#DEFER} decision.
     * @param originalContent the failed message's raw content (position to limit; not changed), or null if it can no
     *                        longer be read: the DSN then says so and has no headers part.
     * @throws IllegalArgumentException if the decision is a suppression.
     */
    public GeneratedMail build(final BounceDecision decision, final ByteBuffer originalContent)
    {
        if (!decision.needsDsn())
        {
            throw new IllegalArgumentException("the bounce was suppressed (" + decision.reason() + "): no DSN to build");
        }
        return build(decision.message(), List.of(decision.failure()), originalContent);
    }

    /**
     * Builds one DSN for several failed recipients of the same message (each must have been allowed).
     *
     * @throws IllegalArgumentException if the message has the null sender, or there are no failures.
     */
    public GeneratedMail build(
        final PendingMessage original, final List<DeliveryFailure> failures, final ByteBuffer originalContent)
    {
        Objects.requireNonNull(original, "original");
        final Envelope envelope = original.envelope();
        if (envelope.hasNullSender())
        {
            throw new IllegalArgumentException("RFC 5321 4.5.5: no DSN to the null sender (message " + original.queueId() + ")");
        }
        if (failures.isEmpty())
        {
            throw new IllegalArgumentException("a DSN needs at least one failed recipient");
        }
        requireLineSafe("sender", envelope.sender());
        for (final DeliveryFailure failure : failures)
        {
            requireLineSafe("recipient", failure.recipient());
        }
        final long nowMillis = clock.millis();
        final long id = sequence.incrementAndGet();
        final Headers headers = originalContent == null ? null : Headers.of(originalContent, maxHeaderBytes);
        final boolean global = !Addresses.isAscii(envelope.sender())
            || failures.stream().anyMatch(failure -> !Addresses.isAscii(failure.recipient()));
        final String boundary = boundary(original.queueId(), nowMillis, id, headers);
        final String messageId = "<" + original.queueId() + "." + Long.toString(nowMillis, 36) + "." + id + ".dsn@"
            + reportingMta + ">";

        final MailText mail = new MailText();
        mail.line("From: Mail Delivery System <MAILER-DAEMON@" + reportingMta + ">")
            .line("To: <" + envelope.sender() + ">")
            .line("Subject: Undelivered Mail Returned to Sender")
            .line("Date: " + MailText.date(nowMillis))
            .line("Message-ID: " + messageId);
        if (headers != null && headers.messageId != null)
        {
            mail.line("In-Reply-To: " + headers.messageId).line("References: " + headers.messageId);
        }
        mail.line("Auto-Submitted: auto-replied")
            .line("MIME-Version: 1.0")
            .line("Content-Type: multipart/report; report-type=" + (global ? "global-delivery-status" : "delivery-status") + ";")
            .line("\tboundary=\"" + boundary + "\"")
            .line()
            .line("This is a MIME-encapsulated message: a delivery status notification (RFC 3464).")
            .line();
        humanPart(mail, boundary, original, failures, headers);
        statusPart(mail, boundary, original, failures, global);
        if (headers != null)
        {
            mail.line("--" + boundary)
                .line("Content-Description: Undelivered Message Headers")
                .line("Content-Type: " + (global ? "message/global-headers" : "text/rfc822-headers"))
                .line("Content-Transfer-Encoding: " + (headers.ascii ? "7bit" : "8bit"))
                .line()
                .raw(headers.bytes)
                .line();
        }
        mail.line("--" + boundary + "--");
        // A global DSN (RFC 6533) carries UTF-8 addresses and header fields: it travels as SMTPUTF8 mail, 8-bit.
        final Envelope dsnEnvelope = new Envelope(GeneratedMail.SOURCE_KEY, envelope.tenant(), lane, "",
            List.of(envelope.sender()), nowMillis, global, global || headers != null && !headers.ascii);
        return new GeneratedMail(dsnEnvelope, ByteBuffer.wrap(mail.toBytes()), messageId);
    }

    private void humanPart(final MailText mail, final String boundary, final PendingMessage original,
        final List<DeliveryFailure> failures, final Headers headers)
    {
        final boolean ascii = failures.stream().allMatch(failure -> Addresses.isAscii(failure.recipient()));
        mail.line("--" + boundary)
            .line("Content-Description: Notification")
            .line("Content-Type: text/plain; charset=" + (ascii ? "us-ascii" : "utf-8"))
            .line("Content-Transfer-Encoding: " + (ascii ? "7bit" : "8bit"))
            .line()
            .line("This is the mail delivery system at " + reportingMta + ".")
            .line()
            .line("Your message could not be delivered to the recipient(s) below. This is a")
            .line("permanent failure: the message will not be retried.")
            .line();
        for (final DeliveryFailure failure : failures)
        {
            final String diagnostic = failure.diagnostic().isEmpty() ? "status " + failure.status()
                : MailText.ascii(failure.diagnostic());
            mail.line("  <" + failure.recipient() + ">")
                .line(failure.expired() ? "    not delivered within the queue lifetime; last reply: " + diagnostic
                    : "    the receiving server said: " + diagnostic);
        }
        mail.line()
            .line("Queue ID: " + original.queueId())
            .line("Received: " + MailText.date(original.envelope().receivedAtMillis()))
            .line(headers == null ? "The original message could no longer be read; its headers are not attached."
                : "The headers of your message are attached" + (headers.truncated ? " (cut short: they were too long)." : "."))
            .line();
    }

    private void statusPart(final MailText mail, final String boundary, final PendingMessage original,
        final List<DeliveryFailure> failures, final boolean global)
    {
        mail.line("--" + boundary)
            .line("Content-Description: Delivery report")
            .line("Content-Type: " + (global ? "message/global-delivery-status" : "message/delivery-status"))
            .line("Content-Transfer-Encoding: " + (global ? "8bit" : "7bit"))
            .line()
            .line("Reporting-MTA: dns; " + reportingMta)
            .line("X-Sluice-Queue-ID: " + original.queueId())
            .line("Arrival-Date: " + MailText.date(original.envelope().receivedAtMillis()));
        final String addressType = global ? "utf-8; " : "rfc822; ";
        for (final DeliveryFailure failure : failures)
        {
            mail.line()
                .line("Final-Recipient: " + addressType + failure.recipient())
                .line("Action: failed")
                .line("Status: " + failure.status());
            if (!failure.diagnostic().isEmpty())
            {
                mail.line("Diagnostic-Code: smtp; " + MailText.ascii(failure.diagnostic()));
            }
        }
        mail.line();
    }

    /** Addresses are written into header and report lines: one with a control character would forge fields. */
    private static void requireLineSafe(final String what, final String address)
    {
        if (!address.chars().allMatch(c -> c >= ' ' && c != 0x7F))
        {
            throw new IllegalArgumentException("the " + what + " holds a control character: cannot write it into a DSN");
        }
    }

    /** @return a boundary that occurs nowhere in the parts: unique per DSN, and checked against the original headers. */
    private static String boundary(final String queueId, final long nowMillis, final long id, final Headers headers)
    {
        String boundary = "=_sluice_dsn_" + queueId + "_" + Long.toString(nowMillis, 36) + "_" + id;
        int attempt = 0;
        while (headers != null && headers.contains(boundary))
        {
            boundary = boundary + "_" + (++attempt);
        }
        return boundary;
    }

    /**
     * Builds the alert an operator gets the first time in a budget window that bounces are suppressed for the
     * budget ({@link BounceDecision#budgetAlert()}).
     *
     * @param notices the appliance's notice builder (its notifications lane and tenant).
     * @return the notice for the notifications lane, or null if no {@link BounceContext#OPERATOR_ADDRESS} is set.
     */
    public GeneratedMail budgetNotice(final BudgetStatus status, final NoticeBuilder notices)
    {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(notices, "notices");
        if (operatorAddress.isEmpty())
        {
            return null;
        }
        final String body = "The bounce budget of this appliance is spent: " + status.bouncesInWindow()
            + " bounces were allowed in the last " + status.windowMs() / 60_000 + " minutes, against "
            + status.acceptedInWindow() + " messages accepted (budget: " + status.allowed() + ").\n\n"
            + "Further bounces are suppressed (and counted) until the window moves on. A burst of permanent failures\n"
            + "usually means a flood or a misdirected campaign: check the recent suppressions and the top sources.";
        return notices.build(operatorAddress, "[sluice] bounce budget spent on " + reportingMta, body);
    }

    /** The original message's header section, in CRLF form, without the blank line that ends it. */
    static final class Headers
    {
        final byte[] bytes;
        final boolean truncated;
        final boolean ascii;
        final String messageId;

        private Headers(final byte[] bytes, final boolean truncated)
        {
            this.bytes = bytes;
            this.truncated = truncated;
            boolean plain = true;
            for (final byte b : bytes)
            {
                plain &= b >= 0;
            }
            this.ascii = plain;
            this.messageId = findMessageId(bytes);
        }

        /** Reads the header section: up to the first empty line, line ends made CRLF, cut at a line end. */
        static Headers of(final ByteBuffer content, final int maxBytes)
        {
            final ByteBuffer in = content.duplicate();
            final ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(maxBytes, Math.max(64, in.remaining())));
            final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
            boolean truncated = false;
            while (in.hasRemaining())
            {
                final byte b = in.get();
                if (b != '\r' && b != '\n')
                {
                    line.write(b);
                    continue;
                }
                if (b == '\r' && in.hasRemaining() && in.get(in.position()) == '\n')
                {
                    in.get();
                }
                if (line.size() == 0)
                {
                    return new Headers(out.toByteArray(), false);
                }
                if (!append(out, line, maxBytes))
                {
                    truncated = true;
                    break;
                }
            }
            if (!truncated && line.size() > 0 && !append(out, line, maxBytes))
            {
                truncated = true;
            }
            return new Headers(out.toByteArray(), truncated);
        }

        private static boolean append(final ByteArrayOutputStream out, final ByteArrayOutputStream line, final int maxBytes)
        {
            if (out.size() + line.size() + 2 > maxBytes)
            {
                return false;
            }
            out.write(line.toByteArray(), 0, line.size());
            out.write('\r');
            out.write('\n');
            line.reset();
            return true;
        }

        boolean contains(final String text)
        {
            return new String(bytes, StandardCharsets.ISO_8859_1).contains(text);
        }

        /** @return the {@code <id>} of the Message-ID field (unfolded), or null if there is none or it is odd. */
        private static String findMessageId(final byte[] bytes)
        {
            final String text = new String(bytes, StandardCharsets.ISO_8859_1);
            final String[] lines = text.split("\r\n");
            for (int i = 0; i < lines.length; i++)
            {
                if (lines[i].toLowerCase(Locale.ROOT).startsWith("message-id:"))
                {
                    final StringBuilder value = new StringBuilder(lines[i].substring("message-id:".length()));
                    for (int j = i + 1; j < lines.length && (lines[j].startsWith(" ") || lines[j].startsWith("\t")); j++)
                    {
                        value.append(lines[j]);
                    }
                    final String id = value.toString().trim();
                    final boolean wellFormed = id.length() > 2 && id.length() < 500 && id.startsWith("<") && id.endsWith(">")
                        && id.indexOf('<', 1) < 0 && id.chars().allMatch(c -> c > ' ' && c < 0x7F);
                    return wellFormed ? id : null;
                }
            }
            return null;
        }
    }
}
