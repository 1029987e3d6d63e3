package io.sluice.ingress;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;

import io.sluice.admission.AdmissionCounter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backlog at its hard limit, over real SMTP: a trusted source (127.0.0.1) fills the spool through backpressure to a
 * small configured hard limit; from there every source gets a reply that says the spool's backlog is why, temporary
 * (RFC 3463 4.3.1 at MAIL FROM, 4.3.2 at connect) so the sender keeps the mail, and each refusal is counted.
 */
class BacklogLimitReplyTest
{
    private static final int HIGH = 3;
    private static final int HARD = 5;
    private static final String FULL_AT_MAIL = "452 4.3.1 Spool backlog over its limit, try again later";

    @TempDir
    Path dir;

    private IngressFixture start()
    {
        return IngressFixture.start(dir, c -> c, a -> a.backlogLowWatermark(1).backlogHighWatermark(HIGH).backlogHardLimit(HARD));
    }

    /** @return a session from {@code address}, greeted and past EHLO. */
    private static SmtpTestClient greeted(final IngressFixture fixture, final String address, final String helo)
        throws IOException
    {
        final SmtpTestClient client = SmtpTestClient.connect(fixture.address(), address);
        try
        {
            expect(client.reply(), "220");
            expect(client.command("EHLO " + helo), "250");
            return client;
        }
        catch (final IOException | AssertionError ex)
        {
            client.close();
            throw ex;
        }
    }

    @Test
    void shouldTellEverySourceTheBacklogIsOverItsLimitOnceItReachesTheHardLimit() throws Exception
    {
        try (IngressFixture fixture = start())
        {
            try (SmtpTestClient trusted = greeted(fixture, "127.0.0.1", "notifier.test");
                SmtpTestClient outside = greeted(fixture, "127.0.2.1", "sender.example"))
            {
                for (int i = 0; i < HARD; i++)
                {
                    expect(trusted.sendMessage("alerts@relay.test", "ops@relay.test", "alert " + i), "250 2.0.0");
                }
                // Each 250 above came after the spool counted its message, so admission sees the backlog at the limit.
                assertThat(fixture.spool().pendingCount()).isEqualTo(HARD);
                assertThat(trusted.command("MAIL FROM:<alerts@relay.test>")).as("trusted, at the hard limit")
                    .isEqualTo(FULL_AT_MAIL);
                assertThat(outside.command("MAIL FROM:<news@sender.example>")).as("an open outside session")
                    .isEqualTo(FULL_AT_MAIL);
                expect(trusted.command("QUIT"), "221");
            }
            try (SmtpTestClient late = SmtpTestClient.connect(fixture.address(), "127.0.3.1"))
            {
                assertThat(late.reply()).as("a new connection")
                    .isEqualTo("421 4.3.2 Spool backlog over its limit, try again later");
                assertThat(late.isClosedByServer()).isTrue();
            }
            assertThat(fixture.admission().count(AdmissionCounter.BACKLOG_FULL)).isEqualTo(3);
            assertThat(fixture.admission().count(AdmissionCounter.BACKPRESSURE)).as("the family's count holds them too")
                .isEqualTo(3);
            assertThat(fixture.spool().pendingCount()).as("nothing refused was taken").isEqualTo(HARD);
        }
    }

    @Test
    void shouldStillSayBusyBetweenTheHighWatermarkAndTheHardLimit() throws Exception
    {
        try (IngressFixture fixture = start())
        {
            try (SmtpTestClient trusted = greeted(fixture, "127.0.0.1", "notifier.test");
                SmtpTestClient outside = greeted(fixture, "127.0.2.1", "sender.example"))
            {
                for (int i = 0; i <= HIGH; i++)
                {
                    expect(trusted.sendMessage("alerts@relay.test", "ops@relay.test", "alert " + i), "250 2.0.0");
                }
                assertThat(outside.command("MAIL FROM:<news@sender.example>")).as("over the high watermark only")
                    .isEqualTo("452 4.3.1 System busy, try again later");
                expect(trusted.sendMessage("alerts@relay.test", "ops@relay.test", "still in"), "250 2.0.0");
            }
            assertThat(fixture.admission().count(AdmissionCounter.BACKLOG_FULL)).isZero();
            assertThat(fixture.admission().count(AdmissionCounter.BACKPRESSURE)).isEqualTo(1);
        }
    }
}
