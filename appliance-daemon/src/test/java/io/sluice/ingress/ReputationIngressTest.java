package io.sluice.ingress;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

import io.sluice.admission.ReputationEvent;
import io.sluice.testing.TestClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reputation in real SMTP dialogues, on an injected clock: a network the upstream refused for policy five times
 * (as the delivery feed reports it) is tempfailed at MAIL FROM from any of its addresses, and let back as its
 * points decay; spoofs are refused at RCPT with {@code 550 5.7.1} and, five of them, demote their network too.
 */
class ReputationIngressTest
{
    @TempDir
    Path dir;

    private final TestClock clock = new TestClock();

    private IngressFixture start()
    {
        return IngressFixture.start(dir, c -> c, a -> a.clock(clock).nanoClock(clock));
    }

    /** @return the reply to MAIL FROM, or to RCPT TO when MAIL FROM was accepted. */
    private static String envelope(final IngressFixture fixture, final String client, final String from, final String to)
        throws IOException
    {
        try (SmtpTestClient smtp = SmtpTestClient.connect(fixture.address(), client))
        {
            expect(smtp.reply(), "220");
            expect(smtp.command("EHLO client.example"), "250");
            final String mail = smtp.command("MAIL FROM:<" + from + ">");
            return mail.startsWith("250") ? smtp.command("RCPT TO:<" + to + ">") : mail;
        }
    }

    @Test
    void shouldTempfailANetworkAfterFivePolicyRejectionsAndLetItBackAsTheyDecay() throws IOException
    {
        try (IngressFixture fixture = start())
        {
            assertThat(envelope(fixture, "127.50.50.9", "a@shop.example", "b@relay.test")).startsWith("250");
            for (int i = 1; i <= 4; i++)
            {
                assertThat(fixture.admission().learn("127.50.50." + i, ReputationEvent.POLICY_REJECTION)).isTrue();
            }
            assertThat(envelope(fixture, "127.50.50.9", "a@shop.example", "b@relay.test")).as("four are not a handful")
                .startsWith("250");
            fixture.admission().learn("127.50.50.5", ReputationEvent.POLICY_REJECTION);

            final String refused = envelope(fixture, "127.50.50.9", "a@shop.example", "b@relay.test");
            assertThat(refused).startsWith("450 4.7.1").contains("demoted by reputation: 127.50.50.9 or its network");
            assertThat(envelope(fixture, "127.50.51.9", "a@shop.example", "b@relay.test")).as("the next /24")
                .startsWith("250");

            clock.advance(Duration.ofHours(1));
            assertThat(envelope(fixture, "127.50.50.9", "a@shop.example", "b@relay.test"))
                .as("five points an hour old are 4.7: below the mark").startsWith("250");
        }
    }

    @Test
    void shouldRefuseSpoofsInSessionAndDemoteTheirNetworkAfterAHandful() throws IOException
    {
        try (IngressFixture fixture = start())
        {
            for (int i = 1; i <= 5; i++)
            {
                assertThat(envelope(fixture, "127.60.60." + i, "boss@relay.test", "boss@relay.test"))
                    .startsWith("550 5.7.1");
            }
            assertThat(fixture.admission().reputation("127.60.60.0/24").counts()).containsEntry("spoof", 5);
            assertThat(envelope(fixture, "127.60.60.77", "news@elsewhere.example", "b@relay.test"))
                .as("the network's other mail, spoof or not").startsWith("450 4.7.1");
            assertThat(fixture.spool().pendingMessages()).isEmpty();
        }
    }

    /**
     * A pipelining sender (RFC 2920) that runs into its rate limit has its RCPT and DATA answered {@code 503} behind the
     * refused MAIL: those are the server's refusal echoed, not bad commands. Counted, they demoted the one busy client
     * of the acceptance benchmark at the defaults and would cut its session after five refused transactions.
     */
    @Test
    void shouldNotHoldTheEchoOfARefusedMailAgainstAPipeliningSender() throws IOException
    {
        try (IngressFixture fixture = start();
            SmtpTestClient smtp = SmtpTestClient.connect(fixture.address(), "127.70.70.1"))
        {
            expect(smtp.reply(), "220");
            expect(smtp.command("EHLO client.example"), "250");
            int refused = 0;
            for (int i = 0; i < 100; i++)
            {
                smtp.send("MAIL FROM:<news@shop.example>\r\nRCPT TO:<b@relay.test>\r\nDATA\r\n");
                final String mail = smtp.reply();
                if (mail.startsWith("250"))
                {
                    expect(smtp.reply(), "250");
                    expect(smtp.reply(), "354");
                    expect(smtp.command("Subject: " + i + "\r\n\r\nbody\r\n."), "250");
                    continue;
                }
                assertThat(mail).as("the clock stands still: the unknown class's burst of 60 runs dry").startsWith("450 4.7.1");
                refused++;
                assertThat(smtp.reply()).as("RCPT behind the refused MAIL").startsWith("503 5.5.1");
                assertThat(smtp.reply()).as("DATA behind it").startsWith("503 5.5.1");
            }
            assertThat(refused).as("refused transactions, past smtp.maxBadCommands (10) twice over").isGreaterThan(20);
            assertThat(smtp.command("NOOP")).as("the session is not cut for them").startsWith("250");
            assertThat(fixture.admission().reputation("127.70.70.1")).as("no bad points for the echo").isNull();

            expect(smtp.command("RSET"), "250");
            expect(smtp.command("RCPT TO:<b@relay.test>"), "503");
            assertThat(fixture.admission().reputation("127.70.70.1").counts())
                .as("a RCPT with no MAIL at all is still the client's mistake").containsEntry("refused command", 1);
        }
    }
}
