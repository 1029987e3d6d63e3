package io.sluice.ingress;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.sluice.admission.AdmissionCounter;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.QueueIds;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The SMTP server over real sockets: a message answered with its queue id only once durable, with a {@code Received:}
 * header and unstuffed dots in the spool; SMTPUTF8 and BODY=8BITMIME journaled with the envelope, per transaction;
 * pipelined commands answered in order across an append, and data pipelined behind DATA taken as data even while an
 * earlier append is pending; smuggling variants refused with {@code 554 5.6.0} and never split; SIZE at MAIL and at
 * the end of data; relay denied from outside; every malformed or out-of-order command answered precisely; binary
 * garbage and NULs survived; too many bad commands disconnect; 10,000 pipelined recipients capped at the limit; idle
 * and slow-drip DATA closed with {@code 421 4.4.2}; connections per address capped.
 */
class SmtpServerTest
{
    @TempDir
    Path dir;

    private IngressFixture fixture;

    private IngressFixture start(final UnaryOperator<IngressContext> settings) throws Exception
    {
        fixture = IngressFixture.start(dir, settings);
        return fixture;
    }

    @AfterEach
    void stop()
    {
        if (fixture != null)
        {
            fixture.close();
        }
    }

    private SmtpTestClient greeted(final String from) throws Exception
    {
        final SmtpTestClient client = SmtpTestClient.connect(fixture.address(), from);
        expect(client.reply(), "220 ");
        expect(client.command("EHLO client.example"), "250");
        return client;
    }

    @Test
    void shouldQueueAMessageAndAnswerWithItsQueueIdOnceDurable() throws Exception
    {
        start(c -> c);
        final ListAppender<ILoggingEvent> mailLog = new ListAppender<>();
        final Logger mailLogger = (Logger)LoggerFactory.getLogger("io.sluice.maillog");
        mailLog.start();
        mailLogger.addAppender(mailLog);
        try (SmtpTestClient client = SmtpTestClient.connect(fixture.address()))
        {
            assertThat(client.reply()).startsWith("220 sluice.test ESMTP");
            final String ehlo = client.command("EHLO client.example");
            assertThat(ehlo).contains("250-PIPELINING", "250-SIZE ", "250-8BITMIME", "250-ENHANCEDSTATUSCODES", "250-SMTPUTF8");
            final String reply =
                client.sendMessage("alice@outside.test", "bob@relay.test", "Subject: hi\r\n\r\nHello.\r\n..dot line");
            assertThat(reply).matches("250 2\\.0\\.0 Ok: queued as [0-9A-F]{16}");

            final PendingMessage pending = fixture.spool().pending(QueueIds.parse(reply.substring(reply.lastIndexOf(' ') + 1)));
            assertThat(pending.envelope().sender()).isEqualTo("alice@outside.test");
            assertThat(pending.envelope().recipients()).containsExactly("bob@relay.test");
            assertThat(pending.envelope().sourceKey()).isEqualTo("127.0.0.1");
            final String content = StandardCharsets.UTF_8.decode(fixture.spool().readContent(pending.messageId())).toString();
            assertThat(content)
                .startsWith("Received: from client.example ([127.0.0.1])\r\n\tby sluice.test (Sluice) with ESMTP id ");
            assertThat(content).contains("\tfor <bob@relay.test>;").endsWith("\r\n\r\nHello.\r\n.dot line\r\n");
            // The mail log's line for it, field by field as Postfix's maillog names them (written before the reply).
            final String queueId = reply.substring(reply.lastIndexOf(' ') + 1);
            assertThat(mailLog.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly(queueId
                + ": client=[127.0.0.1], from=<alice@outside.test>, nrcpt=1, size=" + content.length()
                + ", tenant=" + pending.envelope().tenant() + ", lane=" + pending.envelope().lane() + ", class=trusted: "
                + reply);
            assertThat(client.command("QUIT")).startsWith("221 2.0.0");
            assertThat(client.isClosedByServer()).isTrue();
        }
        finally
        {
            mailLogger.detachAppender(mailLog);
        }
    }

    @Test
    void shouldJournalWhetherTheClientAskedForSmtpUtf8And8BitMime() throws Exception
    {
        start(c -> c);
        try (SmtpTestClient client = greeted("127.0.0.1"))
        {
            expect(client.command("MAIL FROM:<jörg@outside.test> SMTPUTF8 BODY=8BITMIME"), "250 2.1.0");
            expect(client.command("RCPT TO:<zoë@relay.test>"), "250 2.1.5");
            expect(client.command("DATA"), "354");
            final String utf8 = expect(client.command("Subject: grüße\r\n\r\nhi\r\n."), "250 2.0.0");
            expect(client.command("MAIL FROM:<ann@outside.test> BODY=7BIT"), "250 2.1.0");
            expect(client.command("RCPT TO:<bob@relay.test>"), "250 2.1.5");
            expect(client.command("DATA"), "354");
            final String plain = expect(client.command("Subject: plain\r\n\r\nhi\r\n."), "250 2.0.0");

            final PendingMessage first = fixture.spool().pending(QueueIds.parse(utf8.substring(utf8.lastIndexOf(' ') + 1)));
            assertThat(first.envelope().smtpUtf8()).isTrue();
            assertThat(first.envelope().eightBitMime()).isTrue();
            final PendingMessage second = fixture.spool().pending(QueueIds.parse(plain.substring(plain.lastIndexOf(' ') + 1)));
            assertThat(second.envelope().smtpUtf8()).as("not carried over from the previous transaction").isFalse();
            assertThat(second.envelope().eightBitMime()).isFalse();
        }
    }

    @Test
    void shouldAnswerPipelinedCommandsInOrder() throws Exception
    {
        start(c -> c);
        try (SmtpTestClient client = greeted("127.0.0.1"))
        {
            client.send("MAIL FROM:<a@outside.test>\r\nRCPT TO:<b@relay.test>\r\nRCPT TO:<nobody@elsewhere.test>\r\nDATA\r\n");
            expect(client.reply(), "250 2.1.0");
            expect(client.reply(), "250 2.1.5");
            expect(client.reply(), "250 2.1.5");
            expect(client.reply(), "354");
            // The end of data and the next transaction in one write, as RFC 2920 allows.
            client.send("one\r\n.\r\nMAIL FROM:<c@outside.test>\r\nRCPT TO:<d@relay.test>\r\nDATA\r\n");
            expect(client.reply(), "250 2.0.0 Ok: queued as");
            expect(client.reply(), "250 2.1.0");
            expect(client.reply(), "250 2.1.5");
            expect(client.reply(), "354");
            client.send("two\r\n.\r\nQUIT\r\n");
            expect(client.reply(), "250 2.0.0 Ok: queued as");
            expect(client.reply(), "221");
        }
        assertThat(fixture.spool().pendingCount()).isEqualTo(2);
    }

    /**
     * Found by {@link SmtpFuzzTest}: a second transaction pipelined with its data right behind DATA, arriving while the
     * first message was still being appended, had its data lines taken as commands (an RSET in them reset the
     * transaction: NullPointerException and a dropped session; an RCPT added a recipient). The bytes behind DATA are
     * data because of the 354, whenever they arrive.
     */
    @Test
    void shouldTakeDataPipelinedBehindDataAsDataEvenWhileAnAppendIsPending() throws Exception
    {
        start(c -> c);
        try (SmtpTestClient client = greeted("127.0.0.1"))
        {
            client.send("MAIL FROM:<a@outside.test>\r\nRCPT TO:<b@relay.test>\r\nDATA\r\nfirst\r\n.\r\n"
                + "MAIL FROM:<c@outside.test>\r\nRCPT TO:<d@relay.test>\r\nDATA\r\n"
                + "RSET\r\nRCPT TO:<extra@relay.test>\r\n..dot\r\n.\r\nQUIT\r\n");
            final String[] expected = {"250 2.1.0", "250 2.1.5", "354", "250 2.0.0 Ok: queued as", "250 2.1.0", "250 2.1.5",
                "354", "250 2.0.0 Ok: queued as", "221"};
            final List<String> replies = new ArrayList<>();
            for (final String prefix : expected)
            {
                replies.add(expect(client.reply(), prefix));
            }
            final PendingMessage second =
                fixture.spool().pending(QueueIds.parse(replies.get(7).substring(replies.get(7).lastIndexOf(' ') + 1)));
            assertThat(second.envelope().sender()).isEqualTo("c@outside.test");
            assertThat(second.envelope().recipients()).containsExactly("d@relay.test");
            assertThat(StandardCharsets.UTF_8.decode(fixture.spool().readContent(second.messageId())).toString())
                .as("the data, unstuffed, right after the trace header").contains("\tfor <d@relay.test>;")
                .endsWith(" GMT\r\nRSET\r\nRCPT TO:<extra@relay.test>\r\n.dot\r\n");
        }
        assertThat(fixture.spool().pendingCount()).isEqualTo(2);
    }

    @Test
    void shouldNeverSplitOneDataIntoTwoMessages() throws Exception
    {
        start(c -> c);
        final List<String> smuggling = List.of("\n.\n", "\n.\r\n", "\r.\r", "\r\n.\n", "\r\n.\r");
        for (final String variant : smuggling)
        {
            try (SmtpTestClient client = greeted("127.0.0.1"))
            {
                expect(client.command("MAIL FROM:<a@outside.test>"), "250");
                expect(client.command("RCPT TO:<b@relay.test>"), "250");
                expect(client.command("DATA"), "354");
                client.send("Subject: first\r\n\r\nbody" + variant
                    + "MAIL FROM:<evil@outside.test>\r\nRCPT TO:<victim@relay.test>\r\nDATA\r\n"
                    + "Subject: smuggled\r\n\r\nx\r\n.\r\n");
                assertThat(client.reply()).as("variant %s", variant.replace("\r", "<CR>").replace("\n", "<LF>"))
                    .startsWith("554 5.6.0");
                assertThat(client.command("NOOP")).as("the smuggled commands were data, not commands").startsWith("250 2.0.0");
            }
        }
        assertThat(fixture.spool().pendingCount()).isZero();
        assertThat(fixture.admission().count(AdmissionCounter.SMUGGLING)).isEqualTo(smuggling.size());
    }

    @Test
    void shouldEnforceSizeAtMailAndAtEndOfData() throws Exception
    {
        start(c -> c.maxMessageBytes(2048));
        try (SmtpTestClient client = greeted("127.0.0.1"))
        {
            assertThat(client.command("MAIL FROM:<a@outside.test> SIZE=4096")).startsWith("552 5.3.4");
            final String reply = client.sendMessage("a@outside.test", "b@relay.test", "x".repeat(3000));
            assertThat(reply).startsWith("552 5.3.4");
            assertThat(client.sendMessage("a@outside.test", "b@relay.test", "small")).startsWith("250 2.0.0");
        }
        assertThat(fixture.spool().pendingCount()).isEqualTo(1);
    }

    @Test
    void shouldRefuseRelayingForOtherDomainsFromUntrustedSources() throws Exception
    {
        start(c -> c);
        try (SmtpTestClient client = greeted("127.0.0.2"))
        {
            expect(client.command("MAIL FROM:<a@outside.test>"), "250");
            assertThat(client.command("RCPT TO:<someone@elsewhere.test>")).startsWith("554 5.7.1");
            assertThat(client.command("RCPT TO:<someone@relay.test>")).startsWith("250");
        }
        try (SmtpTestClient client = greeted("127.0.0.1"))
        {
            expect(client.command("MAIL FROM:<a@outside.test>"), "250");
            assertThat(client.command("RCPT TO:<someone@elsewhere.test>")).as("trusted network relays").startsWith("250");
        }
        assertThat(fixture.admission().count(AdmissionCounter.RELAY_DENIED)).isEqualTo(1);
    }

    @Test
    void shouldAnswerEachMalformedOrOutOfOrderCommandPrecisely() throws Exception
    {
        start(c -> c.maxLineLength(600).maxBadCommands(100));
        try (SmtpTestClient client = SmtpTestClient.connect(fixture.address()))
        {
            expect(client.reply(), "220");
            assertThat(client.command("MAIL FROM:<a@outside.test>")).startsWith("503 5.5.1");
            assertThat(client.command("EHLO")).startsWith("501 5.5.4");
            expect(client.command("EHLO client.example"), "250");
            assertThat(client.command("RCPT TO:<b@relay.test>")).startsWith("503 5.5.1");
            assertThat(client.command("DATA")).startsWith("503 5.5.1");
            assertThat(client.command("MAIL FROM:a@outside.test")).startsWith("501 5.1.7");
            assertThat(client.command("MAIL FROM:<a@outside.test> FROB=1")).startsWith("555 5.5.4");
            assertThat(client.command("FROB")).startsWith("500 5.5.2");
            assertThat(client.command("X".repeat(700))).startsWith("500 5.5.2 Line too long");
            assertThat(client.command("VRFY bob")).startsWith("252 2.5.2");
            assertThat(client.command("HELP")).startsWith("214");
            assertThat(client.command("NOOP")).startsWith("250 2.0.0");
            expect(client.command("MAIL FROM:<>"), "250");
            assertThat(client.command("MAIL FROM:<a@outside.test>")).startsWith("503 5.5.1");
            assertThat(client.command("RCPT TO:<>")).startsWith("501 5.1.3");
            assertThat(client.command("RCPT TO:<bü@relay.test>")).startsWith("553 5.6.7");
            assertThat(client.command("DATA")).startsWith("554 5.5.1");
            assertThat(client.command("RSET")).startsWith("250 2.0.0");
            expect(client.command("MAIL FROM:<a@outside.test> SMTPUTF8"), "250");
            assertThat(client.command("RCPT TO:<bü@relay.test>")).startsWith("250");
        }
    }

    @Test
    void shouldDisconnectAfterTooManyBadCommandsAndSurviveBinaryGarbage() throws Exception
    {
        start(c -> c.maxBadCommands(5));
        try (SmtpTestClient client = greeted("127.0.0.1"))
        {
            client.sendBytes(new byte[] {0, 1, 2, (byte)0xFF, (byte)0xFE, '\r', '\n'});
            assertThat(client.reply()).startsWith("500 5.5.2");
            for (int i = 0; i < 3; i++)
            {
                assertThat(client.command("GARBAGE\0" + i)).startsWith("500 5.5.2");
            }
            assertThat(client.command("AGAIN")).startsWith("421 4.7.0");
            assertThat(client.isClosedByServer()).isTrue();
        }
        try (SmtpTestClient client = greeted("127.0.0.1"))
        {
            assertThat(client.sendMessage("a@outside.test", "b@relay.test", "still serving")).startsWith("250 2.0.0");
        }
    }

    @Test
    void shouldCapRecipientsPerMessage() throws Exception
    {
        start(c -> c.maxRecipients(100).maxCommands(20_000));
        try (SmtpTestClient client = greeted("127.0.0.1"))
        {
            expect(client.command("MAIL FROM:<a@outside.test>"), "250");
            final StringBuilder pipeline = new StringBuilder();
            for (int i = 0; i < 10_000; i++)
            {
                pipeline.append("RCPT TO:<r").append(i).append("@relay.test>\r\n");
            }
            client.send(pipeline.toString());
            int accepted = 0;
            int refused = 0;
            for (int i = 0; i < 10_000; i++)
            {
                final String reply = client.reply();
                if (reply.startsWith("250"))
                {
                    accepted++;
                }
                else
                {
                    assertThat(reply).startsWith("452 4.5.3");
                    refused++;
                }
            }
            assertThat(accepted).isEqualTo(100);
            assertThat(refused).isEqualTo(9_900);
            expect(client.command("DATA"), "354");
            client.send("many\r\n.\r\n");
            expect(client.reply(), "250 2.0.0");
        }
        assertThat(fixture.spool().pendingMessages().get(0).envelope().recipients()).hasSize(100);
    }

    @Test
    void shouldCloseIdleAndSlowDripSessionsWithA421() throws Exception
    {
        start(c -> c.idleTimeoutMs(300).dataTimeoutMs(800));
        try (SmtpTestClient client = greeted("127.0.0.1"))
        {
            assertThat(client.reply()).startsWith("421 4.4.2");
            assertThat(client.isClosedByServer()).isTrue();
        }
        try (SmtpTestClient client = greeted("127.0.0.1"))
        {
            expect(client.command("MAIL FROM:<a@outside.test>"), "250");
            expect(client.command("RCPT TO:<b@relay.test>"), "250");
            expect(client.command("DATA"), "354");
            String reply = null;
            // One byte every 100 ms: never idle, but the whole DATA takes too long.
            for (int i = 0; i < 50 && reply == null; i++)
            {
                client.send("x");
                Thread.sleep(100);
                client.setTimeoutMillis(1);
                try
                {
                    reply = client.reply();
                }
                catch (final java.net.SocketTimeoutException notYet)
                {
                    reply = null;
                }
                client.setTimeoutMillis(15_000);
            }
            assertThat(reply).startsWith("421 4.4.2");
        }
        assertThat(fixture.spool().pendingCount()).isZero();
    }

    @Test
    void shouldLimitConnectionsPerAddress() throws Exception
    {
        start(c -> c.maxConnectionsPerIp(3));
        final SmtpTestClient[] open = new SmtpTestClient[3];
        try
        {
            for (int i = 0; i < 3; i++)
            {
                open[i] = SmtpTestClient.connect(fixture.address(), "127.0.0.5");
                expect(open[i].reply(), "220");
            }
            try (SmtpTestClient fourth = SmtpTestClient.connect(fixture.address(), "127.0.0.5"))
            {
                assertThat(fourth.reply()).startsWith("421 4.7.0");
                assertThat(fourth.isClosedByServer()).isTrue();
            }
            try (SmtpTestClient other = SmtpTestClient.connect(fixture.address(), "127.0.0.6"))
            {
                assertThat(other.reply()).as("another address is not affected").startsWith("220");
            }
        }
        finally
        {
            for (final SmtpTestClient client : open)
            {
                if (client != null)
                {
                    client.close();
                }
            }
        }
    }
}
