package io.sluice.bounce;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;

import io.sluice.spool.Envelope;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;
import io.sluice.testing.TestClock;

/** Messages, failures and a context for bounce tests, on a clock the test moves. */
final class BounceTesting
{
    static final String OUTSIDE = "203.0.113.9";
    static final String INSIDE = "10.1.2.3";
    static final long RECEIVED_AT = 1_700_000_000_000L;

    private BounceTesting()
    {
    }

    /** Protected domain example.com, trusted 10.0.0.0/8, generous limits: each test tightens what it tests. */
    static BounceContext context(final TestClock clock)
    {
        return new BounceContext()
            .clock(clock)
            .nanoClock(clock)
            .protectedDomains("example.com:REFUSE")
            .trustedNetworks("10.0.0.0/8, 127.0.0.1/32")
            .reportingMta("mx.example.net")
            .recipientRatePerHour(1000)
            .recipientBurst(1000)
            .domainRatePerHour(1000)
            .domainBurst(1000)
            .budgetMinimum(1_000_000);
    }

    static PendingMessage message(
        final long id, final String source, final String lane, final String sender, final String... recipients)
    {
        final Envelope envelope = new Envelope(source, "tenant-a", lane, sender, List.of(recipients), RECEIVED_AT);
        return new PendingMessage(id, envelope, 1000, Collections.nCopies(recipients.length, RecipientStatus.NEW));
    }

    /** A message from an outside client in the mail lane. */
    static PendingMessage external(final long id, final String sender, final String... recipients)
    {
        return message(id, OUTSIDE, "mail", sender, recipients);
    }

    static RecipientStatus failed(final String reply)
    {
        return RecipientStatus.failed(1, reply);
    }

    static ByteBuffer content(final String headers, final String body)
    {
        return ByteBuffer.wrap((headers + "\r\n" + body).getBytes(StandardCharsets.UTF_8));
    }

    static ByteBuffer originalContent()
    {
        return content("From: Alice <alice@partner.test>\r\n"
            + "To: nobody@example.com\r\n"
            + "Subject: quarterly figures\r\n"
            + "Message-ID: <abc.123@partner.test>\r\n"
            + "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n",
            "SECRET BODY TEXT that must never be returned\r\n");
    }
}
