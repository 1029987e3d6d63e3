package io.sluice.containment;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import io.sluice.spool.Envelope;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;
import org.junit.jupiter.api.Test;

class HeldSampleTest
{
    private static ByteBuffer mail(final String text)
    {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void shouldDescribeAHeldMessageWithItsSubjectSizeAgeAndStatus()
    {
        final Envelope envelope = new Envelope("192.0.2.1", "acme", "mail", "news@acme.test",
            List.of("a@example.org", "b@example.org"), 1_700_000_000_000L);
        final PendingMessage message = new PendingMessage(0x1234, envelope, 2048,
            List.of(RecipientStatus.failed(1, "550 5.1.1 x"), Containment.heldStatus(0, HoldReason.VOLUME_SURGE)));

        final HeldSample sample = HeldSample.of(message,
            mail("Received: from x\r\n\tby y\r\nSubject: Your invoice\r\n\t is attached\r\n\r\nSubject: not this"),
            1_700_000_090_000L);

        assertThat(sample.subject()).isEqualTo("Your invoice is attached");
        assertThat(sample.sizeBytes()).isEqualTo(2048);
        assertThat(sample.ageMs()).isEqualTo(90_000);
        assertThat(sample.status()).isEqualTo("HELD containment: held (VOLUME_SURGE)");
        assertThat(sample.describe()).isEqualTo("0000000000001234 <news@acme.test> -> [a@example.org, b@example.org],"
            + " 2048 bytes, 90 s old, HELD containment: held (VOLUME_SURGE), subject \"Your invoice is attached\"");
    }

    @Test
    void shouldFindNoSubjectInTheBodyOrInUnreadableContent()
    {
        assertThat(HeldSample.subjectOf(mail("From: a@b.test\r\n\r\nSubject: in the body\r\n"))).isEmpty();
        assertThat(HeldSample.subjectOf(mail("subject:  \u0007bell\u0000 " + "x".repeat(500) + "\r\n\r\n")))
            .startsWith("bell ").hasSize(HeldSample.MAX_SUBJECT);
        final Envelope envelope = new Envelope("192.0.2.1", "acme", "mail", "", List.of("a@example.org"), 0);
        assertThat(HeldSample.of(new PendingMessage(1, envelope, 10, List.of(RecipientStatus.NEW)), null, 5).subject())
            .isEmpty();
    }
}
