package io.sluice.bounce;

import static io.sluice.bounce.BounceTesting.RECEIVED_AT;
import static io.sluice.bounce.BounceTesting.content;
import static io.sluice.bounce.BounceTesting.context;
import static io.sluice.bounce.BounceTesting.external;
import static io.sluice.bounce.BounceTesting.failed;
import static io.sluice.bounce.BounceTesting.originalContent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import io.sluice.spool.PendingMessage;
import org.junit.jupiter.api.Test;
import io.sluice.testing.TestClock;

class DsnBuilderTest
{
    private static final String ORIGINAL_HEADERS = "From: Alice <alice@partner.test>\r\n"
        + "To: nobody@example.com\r\n"
        + "Subject: quarterly figures\r\n"
        + "Message-ID: <abc.123@partner.test>\r\n"
        + "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n";

    private final TestClock clock = new TestClock();
    private final BouncePolicy policy = new BouncePolicy(context(clock));
    private final DsnBuilder builder = new DsnBuilder(context(clock));

    private GeneratedMail legitimateDsn(final ByteBuffer content)
    {
        final PendingMessage original = external(42, "alice@partner.test", "nobody@example.com");
        final BounceDecision decision = policy.decide(original, 0, failed("550 5.1.1 <nobody@example.com>: user unknown"));
        assertThat(decision.isSend()).isTrue();
        return builder.build(decision, content);
    }

    @Test
    void shouldBuildAMultipartReportFromTheNullSenderToTheOriginalSender()
    {
        final GeneratedMail dsn = legitimateDsn(originalContent());

        assertThat(dsn.envelope().sender()).as("RFC 5321 4.5.5: a DSN has the null reverse-path").isEmpty();
        assertThat(dsn.envelope().hasNullSender()).isTrue();
        assertThat(dsn.envelope().recipients()).containsExactly("alice@partner.test");
        assertThat(dsn.envelope().lane()).isEqualTo("bounces");
        assertThat(dsn.envelope().smtpUtf8()).isFalse();
        assertThat(dsn.envelope().tenant()).isEqualTo("tenant-a");
        assertThat(dsn.envelope().sourceKey()).isEqualTo(GeneratedMail.SOURCE_KEY);

        final MimeMessage message = MimeMessage.parse(dsn.bytes());
        assertThat(message.header("From")).isEqualTo("Mail Delivery System <MAILER-DAEMON@mx.example.net>");
        assertThat(message.header("To")).isEqualTo("<alice@partner.test>");
        assertThat(message.header("Auto-Submitted")).isEqualTo("auto-replied");
        assertThat(message.header("MIME-Version")).isEqualTo("1.0");
        assertThat(message.header("Message-ID")).isEqualTo(dsn.messageId()).startsWith("<").endsWith("@mx.example.net>");
        assertThat(message.header("In-Reply-To")).isEqualTo("<abc.123@partner.test>");
        assertThat(message.header("References")).isEqualTo("<abc.123@partner.test>");
        assertThat(message.header("Date")).isEqualTo("Tue, 14 Nov 2023 22:13:20 +0000");
        assertThat(message.header("Content-Type")).startsWith("multipart/report; report-type=delivery-status;");

        final List<MimeMessage> parts = message.parts();
        assertThat(parts).hasSize(3);
        assertThat(parts.get(0).header("Content-Type")).isEqualTo("text/plain; charset=us-ascii");
        assertThat(parts.get(0).body).contains("<nobody@example.com>", "550 5.1.1 <nobody@example.com>: user unknown",
            external(42, "a@b.test", "c@d.test").queueId());
        assertThat(parts.get(1).header("Content-Type")).isEqualTo("message/delivery-status");
        assertThat(parts.get(2).header("Content-Type")).isEqualTo("text/rfc822-headers");
    }

    @Test
    void shouldReportEachFailedRecipientInTheDeliveryStatusPart()
    {
        final MimeMessage status = MimeMessage.parse(legitimateDsn(originalContent()).bytes()).parts().get(1);

        final List<Map<String, String>> groups = status.statusGroups();
        assertThat(groups).hasSize(2);
        assertThat(groups.get(0)).containsEntry("reporting-mta", "dns; mx.example.net")
            .containsEntry("arrival-date", "Tue, 14 Nov 2023 22:13:20 +0000")
            .containsEntry("x-sluice-queue-id", external(42, "a@b.test", "c@d.test").queueId());
        assertThat(groups.get(1)).containsExactly(
            Map.entry("final-recipient", "rfc822; nobody@example.com"),
            Map.entry("action", "failed"),
            Map.entry("status", "5.1.1"),
            Map.entry("diagnostic-code", "smtp; 550 5.1.1 <nobody@example.com>: user unknown"));
    }

    @Test
    void shouldReturnTheOriginalHeadersButNeverItsBody()
    {
        final GeneratedMail dsn = legitimateDsn(originalContent());
        final MimeMessage headers = MimeMessage.parse(dsn.bytes()).parts().get(2);

        assertThat(headers.body).isEqualTo(ORIGINAL_HEADERS);
        assertThat(new String(dsn.bytes(), StandardCharsets.UTF_8))
            .as("a flood's payload is never sent back to anyone").doesNotContain("SECRET BODY");
    }

    @Test
    void shouldCutLongHeadersAtALineEnd()
    {
        final StringBuilder headers = new StringBuilder();
        for (int i = 0; i < 500; i++)
        {
            headers.append("Received: from relay").append(i).append(".partner.test by mx.partner.test\r\n");
        }
        final DsnBuilder small = new DsnBuilder(context(clock).dsnMaxHeaderBytes(1024));
        final PendingMessage original = external(7, "alice@partner.test", "bob@example.org");

        final GeneratedMail dsn =
            small.build(policy.decide(original, 0, failed("552 5.2.2 full")), content(headers.toString(), "x"));

        final List<MimeMessage> parts = MimeMessage.parse(dsn.bytes()).parts();
        final String returned = parts.get(2).body;
        assertThat(returned.length()).isLessThanOrEqualTo(1024);
        assertThat(returned).startsWith("Received: from relay0.").endsWith(".partner.test by mx.partner.test\r\n");
        assertThat(headers.toString()).startsWith(returned);
        assertThat(parts.get(0).body).contains("cut short");
    }

    @Test
    void shouldMakeEveryLineEndCrlfEvenWhenTheOriginalHadBareOnes()
    {
        final ByteBuffer sloppy =
            ByteBuffer.wrap("Subject: a\nX-One: b\rX-Two: c\r\n\nbody\n".getBytes(StandardCharsets.US_ASCII));

        final GeneratedMail dsn = legitimateDsn(sloppy);

        assertThat(MimeMessage.parse(dsn.bytes()).parts().get(2).body).isEqualTo("Subject: a\r\nX-One: b\r\nX-Two: c\r\n");
    }

    @Test
    void shouldLeaveTheHeadersPartOutWhenTheOriginalIsGone()
    {
        final MimeMessage message = MimeMessage.parse(legitimateDsn(null).bytes());

        assertThat(message.parts()).hasSize(2);
        assertThat(message.header("In-Reply-To")).isNull();
        assertThat(message.parts().get(0).body).contains("could no longer be read");
    }

    @Test
    void shouldListEveryFailedRecipientOfOneMessageInOneReport()
    {
        final PendingMessage original = external(9, "alice@partner.test", "a@example.org", "b@example.org");
        final DeliveryFailure first = DeliveryFailure.of(original, 0, failed("550 5.1.1 unknown a"));
        final DeliveryFailure second = DeliveryFailure.of(original, 1,
            failed("expired: undelivered after 5 days in the queue; last reply: 451 4.4.1 no answer"));

        final GeneratedMail dsn = builder.build(original, List.of(first, second), originalContent());

        final List<Map<String, String>> groups = MimeMessage.parse(dsn.bytes()).parts().get(1).statusGroups();
        assertThat(groups).hasSize(3);
        assertThat(groups.get(1)).containsEntry("final-recipient", "rfc822; a@example.org").containsEntry("status", "5.1.1");
        assertThat(groups.get(2)).containsEntry("final-recipient", "rfc822; b@example.org")
            .containsEntry("status", "5.4.7").containsEntry("diagnostic-code", "smtp; 451 4.4.1 no answer");
    }

    @Test
    void shouldUseAGlobalDeliveryStatusForInternationalAddresses()
    {
        final PendingMessage original = external(11, "alice@partner.test", "jürgen@example.de");

        final GeneratedMail dsn = builder.build(policy.decide(original, 0, failed("550 5.1.1 unknown")), originalContent());

        final MimeMessage message = MimeMessage.parse(dsn.bytes());
        assertThat(message.header("Content-Type")).startsWith("multipart/report; report-type=global-delivery-status;");
        final List<MimeMessage> parts = message.parts();
        assertThat(parts.get(1).header("Content-Type")).isEqualTo("message/global-delivery-status");
        assertThat(parts.get(1).statusGroups().get(1)).containsEntry("final-recipient", "utf-8; jürgen@example.de");
        assertThat(parts.get(2).header("Content-Type")).isEqualTo("message/global-headers");
        assertThat(dsn.envelope().smtpUtf8()).as("delivered as SMTPUTF8 mail, or failed where it cannot be").isTrue();
    }

    @Test
    void shouldChooseABoundaryTheOriginalHeadersDoNotContain()
    {
        final PendingMessage original = external(12, "alice@partner.test", "nobody@example.com");
        final String predicted = "=_sluice_dsn_" + original.queueId() + "_" + Long.toString(clock.millis(), 36) + "_1";
        final DsnBuilder fresh = new DsnBuilder(context(clock));

        final GeneratedMail dsn = fresh.build(policy.decide(original, 0, failed("550 5.1.1 unknown")),
            content("X-Trap: --" + predicted + "\r\nSubject: x\r\n", "body"));

        final MimeMessage message = MimeMessage.parse(dsn.bytes());
        assertThat(message.boundary()).isNotEqualTo(predicted).startsWith(predicted);
        assertThat(message.parts()).hasSize(3);
        assertThat(message.parts().get(2).body).startsWith("X-Trap: --" + predicted);
    }

    @Test
    void shouldWriteDiagnosticsAsPrintableAscii()
    {
        final PendingMessage original = external(13, "alice@partner.test", "bob@example.org");

        final BounceDecision decision = policy.decide(original, 0, failed("550 5.2.1 Postfach gesperrt \u00fc\u0007"));
        final GeneratedMail dsn = builder.build(decision, null);

        assertThat(MimeMessage.parse(dsn.bytes()).parts().get(1).statusGroups().get(1))
            .containsEntry("diagnostic-code", "smtp; 550 5.2.1 Postfach gesperrt ?");
    }

    @Test
    void shouldRefuseToBuildASuppressedBounceOrOneToTheNullSender()
    {
        final BounceDecision suppressed = policy.decide(external(1, "x@example.org", "x@example.org"), 0, failed("550 5.1.1 x"));
        final PendingMessage fromNull = external(2, "", "bob@example.org");

        assertThatThrownBy(() -> builder.build(suppressed, originalContent()))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SPOOF_PATTERN");
        assertThatThrownBy(() -> builder.build(fromNull, List.of(DeliveryFailure.of(fromNull, 0, failed("550 5.1.1 x"))), null))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("null sender");
    }

    @Test
    void shouldNotMoveTheOriginalContentsPosition()
    {
        final ByteBuffer original = originalContent();
        final int position = original.position();

        legitimateDsn(original);

        assertThat(original.position()).isEqualTo(position);
        assertThat(original.remaining()).isEqualTo(original.limit());
    }

    @Test
    void shouldAlertTheOperatorOnlyWhenAnAddressIsSet()
    {
        final NoticeBuilder notices = new NoticeBuilder("mx.example.net", "", "system", "notifications", clock);
        final BudgetStatus spent = new BudgetStatus(3_600_000, 5000, 50, 50);

        assertThat(builder.budgetNotice(spent, notices)).isNull();
        final DsnBuilder withOperator = new DsnBuilder(context(clock).operatorAddress("ops@example.net"));
        final GeneratedMail notice = withOperator.budgetNotice(spent, notices);

        assertThat(notice.envelope().recipients()).containsExactly("ops@example.net");
        assertThat(notice.envelope().lane()).isEqualTo("notifications");
        assertThat(MimeMessage.parse(notice.bytes()).body).contains("50 bounces", "5000 messages accepted");
    }

    @Test
    void shouldSpellTheArrivalDateInRfc5322Form()
    {
        assertThat(MailText.date(RECEIVED_AT)).isEqualTo("Tue, 14 Nov 2023 22:13:20 +0000");
    }
}
