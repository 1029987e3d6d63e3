package io.sluice.ingress;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;

import io.sluice.admission.AdmissionCounter;
import io.sluice.config.InvalidSettingException;
import io.sluice.daemon.DaemonSettings;
import io.sluice.daemon.IngressSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Refusing in-session what would otherwise only bounce (backscatter), over real SMTP: a blocked sender at MAIL FROM
 * ({@code 550 5.7.1}), an unknown recipient of a listed domain at RCPT ({@code 550 5.1.1}); the rest of the
 * transaction goes on, the refusals are counted, and a change of the recipients file is in force without a restart.
 */
class EnvelopeRulesTest
{
    @TempDir
    Path dir;

    private IngressFixture fixture;

    @AfterEach
    void stop()
    {
        if (fixture != null)
        {
            fixture.close();
        }
    }

    private Path recipients(final String... lines) throws Exception
    {
        final Path file = dir.resolve("recipients");
        Files.write(file, java.util.List.of(lines));
        return file;
    }

    private SmtpTestClient greeted() throws Exception
    {
        final SmtpTestClient client = SmtpTestClient.connect(fixture.address(), "127.0.0.9");
        expect(client.reply(), "220 ");
        expect(client.command("EHLO client.example"), "250");
        return client;
    }

    @Test
    void shouldRefuseUnknownRecipientsOfAListedDomainAtRcpt() throws Exception
    {
        final Path file = recipients("# the mailboxes that exist", "alice@relay.test", "Bob@Relay.Test  # case differs",
            "@other.test");
        final EnvelopeRules rules = EnvelopeRules.of(file.toString(), "");
        assertThat(rules.isUnknownRecipient("anyone@other.test")).as("a catch-all domain").isFalse();
        assertThat(rules.isUnknownRecipient("anyone@unlisted.test")).as("a domain the file does not name").isFalse();
        fixture = IngressFixture.start(dir, rules);
        try (SmtpTestClient client = greeted())
        {
            expect(client.command("MAIL FROM:<sender@outside.test>"), "250");
            assertThat(client.command("RCPT TO:<nobody@relay.test>")).isEqualTo(
                "550 5.1.1 Recipient address rejected: no such user here");
            expect(client.command("RCPT TO:<alice@relay.test>"), "250 2.1.5");
            expect(client.command("RCPT TO:<BOB@relay.test>"), "250 2.1.5");
            expect(client.command("DATA"), "354");
            client.send("Subject: hi\r\n\r\nhello\r\n.\r\n");
            expect(client.reply(), "250 2.0.0");
        }
        assertThat(fixture.spool().pendingMessages()).singleElement()
            .satisfies(m -> assertThat(m.envelope().recipients())
                .containsExactly("alice@relay.test", "BOB@relay.test"));
        assertThat(fixture.admission().counters().get(AdmissionCounter.RECIPIENT_UNKNOWN)).isEqualTo(1);
    }

    @Test
    void shouldReadTheRecipientsFileAgainWhenItChangesAndKeepTheOldListWhenItBreaks() throws Exception
    {
        final Path file = recipients("alice@relay.test");
        final EnvelopeRules rules = EnvelopeRules.of(file.toString(), "");
        fixture = IngressFixture.start(dir, rules);
        assertThat(rules.reloadIfChanged()).as("unchanged").isFalse();

        Files.write(file, java.util.List.of("alice@relay.test", "carol@relay.test"));
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));
        assertThat(rules.reloadIfChanged()).isTrue();
        try (SmtpTestClient client = greeted())
        {
            expect(client.command("MAIL FROM:<sender@outside.test>"), "250");
            expect(client.command("RCPT TO:<carol@relay.test>"), "250 2.1.5");
        }

        Files.write(file, java.util.List.of("not an address"));
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(10)));
        assertThat(rules.reloadIfChanged()).isFalse();
        try (SmtpTestClient client = greeted())
        {
            expect(client.command("MAIL FROM:<sender@outside.test>"), "250");
            expect(client.command("RCPT TO:<carol@relay.test>"), "250 2.1.5");
            expect(client.command("RCPT TO:<dave@relay.test>"), "550 5.1.1");
        }
    }

    @Test
    void shouldRefuseBlockedSendersAtMailFromButNeverTheNullSender() throws Exception
    {
        fixture = IngressFixture.start(dir, EnvelopeRules.of("", "spammer@outside.test, bad.test"));
        try (SmtpTestClient client = greeted())
        {
            assertThat(client.command("MAIL FROM:<Spammer@Outside.Test>")).isEqualTo(
                "550 5.7.1 Sender address rejected: blocked by policy");
            expect(client.command("MAIL FROM:<x@bad.test>"), "550 5.7.1");
            expect(client.command("MAIL FROM:<x@mail.bad.test>"), "550 5.7.1");
            expect(client.command("MAIL FROM:<x@notbad.test>"), "250");
            expect(client.command("RSET"), "250");
            expect(client.command("MAIL FROM:<>"), "250");
            expect(client.command("RSET"), "250");
            assertThat(client.sendMessage("friend@outside.test", "alice@relay.test", "hello")).startsWith("250 2.0.0");
        }
        assertThat(fixture.admission().counters().get(AdmissionCounter.SENDER_BLOCKED)).isEqualTo(3);
        assertThat(fixture.admission().counters().get(AdmissionCounter.RATE_LIMITED)).isZero();
    }

    @Test
    void shouldChangeBlockedSendersLiveAndRefuseNonsense()
    {
        final EnvelopeRules rules = EnvelopeRules.of("", "a@x.test");

        rules.blockedSenders(rules.listWith("@y.test"));
        assertThat(rules.blockedSenders()).isEqualTo("a@x.test,y.test");
        assertThat(rules.isBlockedSender("b@sub.y.test")).isTrue();
        assertThat(rules.listWithout("nobody@x.test")).isNull();
        rules.blockedSenders(rules.listWithout("Y.test"));
        assertThat(rules.isBlockedSender("b@y.test")).isFalse();
        assertThatThrownBy(() -> rules.listWith("not a sender")).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("'not a sender'");
        assertThatThrownBy(() -> rules.listWith("a@b.test,c@d.test")).isInstanceOf(IllegalArgumentException.class);
        assertThat(rules.blockedSenders()).isEqualTo("a@x.test");
    }

    @Test
    void shouldRefuseABadSettingByKeyAndValue() throws Exception
    {
        final Path file = recipients("alice@relay.test", "<bob@relay.test>");

        assertThatThrownBy(() -> IngressSettings.policy(DaemonSettings.load(null,
            Map.of(EnvelopeRules.LOCAL_RECIPIENTS, file.toString()))))
            .isInstanceOfSatisfying(InvalidSettingException.class, ex ->
            {
                assertThat(ex.key()).isEqualTo(EnvelopeRules.LOCAL_RECIPIENTS);
                assertThat(ex.getMessage()).contains("line 2").contains("<bob@relay.test>");
            });
        assertThatThrownBy(() -> IngressSettings.policy(DaemonSettings.load(null,
            Map.of(EnvelopeRules.LOCAL_RECIPIENTS, dir.resolve("missing").toString()))))
            .isInstanceOfSatisfying(InvalidSettingException.class,
                ex -> assertThat(ex.key()).isEqualTo(EnvelopeRules.LOCAL_RECIPIENTS));
        assertThatThrownBy(() -> IngressSettings.policy(DaemonSettings.load(null,
            Map.of(EnvelopeRules.BLOCKED_SENDERS, "ok@x.test, bad sender"))))
            .isInstanceOfSatisfying(InvalidSettingException.class, ex ->
            {
                assertThat(ex.key()).isEqualTo(EnvelopeRules.BLOCKED_SENDERS);
                assertThat(ex.getMessage()).contains("'bad sender'");
            });
    }
}
