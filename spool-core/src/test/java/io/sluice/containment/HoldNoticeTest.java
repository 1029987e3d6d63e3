package io.sluice.containment;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import io.sluice.bounce.GeneratedMail;
import org.junit.jupiter.api.Test;
import io.sluice.testing.TestClock;

class HoldNoticeTest
{
    private final TestClock clock = new TestClock();
    private final ContainmentFigures figures = new ContainmentFigures(300_000, 1266, 253.2, 25.1, 120, 40, 30);

    @Test
    void shouldTellTheOperatorThroughTheNotificationsLaneUnderTheApplianceTenant()
    {
        final HoldNotice notices = new HoldNotice(ContainmentTesting.context(clock, null).operatorAddress("ops@example.net"));

        final GeneratedMail notice = notices.build("acme", HoldReason.POLICY_REJECTIONS, figures);

        assertThat(notice.envelope().recipients()).containsExactly("ops@example.net");
        assertThat(notice.envelope().lane()).isEqualTo("notifications");
        assertThat(notice.envelope().tenant()).as("never the held tenant").isEqualTo("system");
        assertThat(notice.envelope().hasNullSender()).isTrue();
        final String text = new String(notice.bytes(), StandardCharsets.UTF_8);
        assertThat(text).contains("Subject: [sluice] tenant acme held: POLICY_REJECTIONS\r\n",
            "Auto-Submitted: auto-generated\r\n",
            "messages accepted   1266 (253.2 per minute; normal 25.1 per minute)\r\n", "policy rejections   30 (25.0%)\r\n",
            "spam, phishing or malware");
        assertThat(text.replace("\r\n", "")).doesNotContain("\r").doesNotContain("\n");
    }

    @Test
    void shouldOnlyLogAndCountWhenNoOperatorAddressIsSet()
    {
        assertThat(new HoldNotice(ContainmentTesting.context(clock, null)).build("acme", HoldReason.VOLUME_SURGE, figures))
            .isNull();
    }
}
