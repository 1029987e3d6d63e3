package io.sluice.daemon;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.control.ConsoleClient;
import io.sluice.control.cli.SluiceCommand;
import io.sluice.delivery.TestSmtpSink;
import io.sluice.ingress.SmtpTestClient;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.SpoolAwait;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * One message at a time in the real daemon, over real SMTP, its journal and the {@code sluice} command (Postfix's
 * {@code postqueue -j}, {@code postcat -q}, {@code postsuper -h/-H/-r/-d}): list with filters and as JSON, show with
 * the body, an operator's hold that is never delivered and survives a restart, its release (delivered), a requeue that
 * sends a deferred message now instead of in ten minutes, a delete that asks for a confirmation above one message and
 * sends no DSN, and bad input (an unknown id, a filter matching nothing, a malformed duration) refused with a clear
 * message and exit code, changing nothing.
 */
class QueueDaemonTest
{
    private static final String CLIENT = "127.0.21.1";

    @TempDir
    Path dir;

    private TestSmtpSink upstream;
    @RegisterExtension
    final MailLogCapture mailLog = new MailLogCapture();

    private final ListAppender<ILoggingEvent> audit = new ListAppender<>();
    private final Logger auditLog = (Logger)LoggerFactory.getLogger("io.sluice.audit");

    @BeforeEach
    void start() throws IOException
    {
        upstream = TestSmtpSink.start();
        audit.start();
        auditLog.addAppender(audit);
    }

    @AfterEach
    void stop() throws IOException
    {
        auditLog.detachAppender(audit);
        upstream.close();
    }

    private SluiceDaemon daemon() throws IOException
    {
        final Map<String, String> settings = DaemonOnTestClocks.settings(dir, upstream);
        // A deferral waits ten minutes: only a requeue sends it within the test.
        settings.put("drain.retry.initialMs", "600000");
        return DaemonOnTestClocks.start(settings, null, null);
    }

    private static void send(final SluiceDaemon daemon, final String from, final String to) throws IOException
    {
        try (SmtpTestClient smtp = SmtpTestClient.connect(daemon.smtp().localAddress(), CLIENT))
        {
            expect(smtp.reply(), "220");
            expect(smtp.command("EHLO client.example"), "250");
            expect(smtp.sendMessage(from, to, "Subject: to " + to), "250 2.0.0");
        }
    }

    private SluiceRun.Outcome sluice(final String... args)
    {
        return SluiceRun.sluice(ConsoleClient.socketOf(dir.resolve("spool")), args);
    }

    private long delivered(final String recipient)
    {
        return upstream.received().stream().filter(r -> r.recipients().contains(recipient)).count();
    }

    private static String idFrom(final SluiceDaemon daemon, final String sender)
    {
        return daemon.spool().pendingMessages().stream().filter(m -> m.envelope().sender().equals(sender))
            .map(PendingMessage::queueId).findFirst().orElseThrow();
    }

    /** @return how many messages {@code sluice queue list FILTER} shows. */
    private int shown(final String... filter)
    {
        final List<String> args = new ArrayList<>(List.of("--json", "queue", "list"));
        args.addAll(List.of(filter));
        try
        {
            return sluice(args.toArray(String[]::new)).json().get("shown").asInt();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static List<String> ids(final JsonNode list)
    {
        return list.get("messages").findValuesAsText("queueId");
    }

    @Test
    void shouldListShowHoldAcrossARestartReleaseRequeueAndDeleteOneMessageAtATime() throws Exception
    {
        final String poison;
        final String order;
        final String retry;
        try (SluiceDaemon daemon = daemon())
        {
            assertThat(sluice("drain", "pause", "--route", "default").exit()).isZero();
            send(daemon, "alice@shop.example", "poison@relay.test");
            send(daemon, "bob@partner.example", "buyer@relay.test");
            send(daemon, "carol@partner.example", "deferonce-carol@relay.test");
            SpoolAwait.until(() -> daemon.spool().pendingCount() == 3);
            poison = idFrom(daemon, "alice@shop.example");
            order = idFrom(daemon, "bob@partner.example");
            retry = idFrom(daemon, "carol@partner.example");

            final SluiceRun.Outcome all = sluice("--json", "queue", "list");
            assertThat(all.exit()).isZero();
            assertThat(ids(all.json())).containsExactly(poison, order, retry);
            assertThat(all.json().get("messages").findValuesAsText("state")).containsOnly("paused");
            assertThat(all.json().get("truncated").asBoolean()).isFalse();
            final SluiceRun.Outcome newest = sluice("queue", "list", "--recipient", "relay.test", "--newest", "--limit", "2");
            assertThat(newest.out().lines().toList()).hasSize(3).satisfies(lines ->
            {
                assertThat(lines.get(0)).startsWith(retry + "  paused").contains("from <carol@partner.example>");
                assertThat(lines.get(1)).startsWith(order);
                assertThat(lines.get(2)).isEqualTo("showing the first 2 messages matching recipient=relay.test (newest first);"
                    + " more match: raise --limit or narrow the filter");
            });
            assertThat(ids(sluice("--json", "queue", "list", "--sender", "@SHOP.example").json())).containsExactly(poison);
            assertThat(sluice("queue", "list", "--tenant", "nobody").out()).isEqualTo("0 messages matching tenant=nobody\n");

            final SluiceRun.Outcome show = sluice("queue", "show", poison, "--body");
            assertThat(show.exit()).isZero();
            assertThat(show.out()).contains("queue id     " + poison, "state        paused", "from         <alice@shop.example>",
                "to           <poison@relay.test>  pending, 0 attempts", "route        default", "lane         mail",
                "Subject: to poison@relay.test");
            assertThat(sluice("--json", "queue", "show", order).json().get("recipients").get(0).get("address").asText())
                .isEqualTo("buyer@relay.test");

            refuseBadInputChangingNothing(poison, order, retry);

            final SluiceRun.Outcome hold = sluice("queue", "hold", poison);
            assertThat(hold.exit()).isZero();
            assertThat(hold.out()).isEqualTo("held 1 message: " + poison + "\n");
            assertThat(sluice("queue", "hold", poison).err()).contains(poison + " cannot be held: it is held by an operator");
            assertThat(sluice("drain", "resume", "--route", "default").exit()).isZero();
            SpoolAwait.until(() -> delivered("buyer@relay.test") == 1);
            SpoolAwait.until(() -> "deferred".equals(daemon.spool().pendingMessages().stream()
                .filter(m -> m.queueId().equals(retry)).findFirst()
                .map(m -> m.recipients().get(0).disposition().name().toLowerCase()).orElse("")));
            assertThat(ids(sluice("--json", "queue", "list", "--state", "deferred").json())).containsExactly(retry);
        }

        try (SluiceDaemon daemon = daemon())
        {
            final JsonNode held = sluice("--json", "queue", "list", "--state", "held").json();
            assertThat(ids(held)).as("the operator's hold survives a restart").containsExactly(poison);
            assertThat(held.get("messages").get(0).get("holdReason").asText()).startsWith("operator: held by ");

            final SluiceRun.Outcome requeue = sluice("queue", "requeue", retry);
            assertThat(requeue.out()).isEqualTo("requeued 1 message: " + retry + "\n");
            SpoolAwait.until(() -> delivered("deferonce-carol@relay.test") == 1);
            assertThat(delivered("poison@relay.test")).as("held: the drain never picks it").isZero();
            assertThat(sluice("queue", "requeue", poison).err()).contains(poison + " cannot be requeued: it is held");

            assertThat(sluice("queue", "release", poison).out()).isEqualTo("released 1 message: " + poison + "\n");
            SpoolAwait.until(() -> delivered("poison@relay.test") == 1);
            assertThat(sluice("queue", "release", poison).exit()).isEqualTo(SluiceCommand.EXIT_REFUSED);

            send(daemon, "dave@shop.example", "defer-1@relay.test");
            send(daemon, "dave@shop.example", "defer-2@relay.test");
            SpoolAwait.until(() -> shown("--state", "deferred") == 2);
            assertThat(sluice("queue", "delete", "--sender", "dave@shop.example").err())
                .contains("deleting 2 messages is irreversible");
            final SluiceRun.Outcome delete = sluice("--json", "queue", "delete", "--sender", "dave@shop.example", "--confirm");
            assertThat(delete.exit()).isZero();
            assertThat(delete.json().get("action").asText()).isEqualTo("deleted");
            assertThat(delete.json().get("count").asInt()).isEqualTo(2);
            SpoolAwait.until(() -> daemon.spool().pendingCount() == 0);
        }
        final List<String> lines = mailLog.lines();
        assertThat(lines).filteredOn(line -> line.startsWith(poison + ": held by an operator (")).hasSize(1);
        assertThat(lines).filteredOn(line -> line.startsWith(poison + ": released by an operator (")).hasSize(1);
        assertThat(lines).filteredOn(line -> line.startsWith(retry + ": requeued by an operator (")).hasSize(1);
        assertThat(lines).filteredOn(line -> line.contains(": deleted by an operator (") && line.contains("PURGED, no DSN"))
            .hasSize(2);
        assertThat(lines).as("a delete bounces nothing").noneMatch(line -> line.contains("orig_to=<defer-"));
        final List<String> audited = audit.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(audited).as("each action audited with its principal").anyMatch(line -> line.matches(
            "audit: .+ changed queued messages \\[" + poison + "]: queued -> held \\(1\\)"))
            .anyMatch(line -> line.contains("changed queued messages [" + poison + "]: held -> released (1)"))
            .anyMatch(line -> line.contains("changed queued messages [" + retry + "]: waiting for a retry time -> requeued (1)"))
            .anyMatch(line -> line.contains("(filter sender=dave@shop.example): queued -> deleted (2)"));
    }

    /** Bad input: a clear message, an exit code, nothing changed. */
    private void refuseBadInputChangingNothing(final String poison, final String order, final String retry) throws IOException
    {
        final SluiceRun.Outcome unknownShow = sluice("queue", "show", "00000000000000AB");
        assertThat(unknownShow.exit()).isEqualTo(SluiceCommand.EXIT_REFUSED);
        assertThat(unknownShow.err()).contains("no message 00000000000000AB in the queue");
        final SluiceRun.Outcome unknownHold = sluice("queue", "hold", order, "00000000000000AB");
        assertThat(unknownHold.exit()).isEqualTo(SluiceCommand.EXIT_REFUSED);
        assertThat(unknownHold.err()).contains("no message 00000000000000AB in the queue", "nothing was changed");
        final SluiceRun.Outcome badDuration = sluice("queue", "list", "--older-than", "5x");
        assertThat(badDuration.exit()).isEqualTo(SluiceCommand.EXIT_USAGE);
        assertThat(badDuration.err())
            .contains("--older-than: expected a duration such as 90s, 30m, 1h, 1h30m or 2d, got: 5x");
        assertThat(sluice("queue", "list", "--state", "stuck").err()).contains("--state: expected ready, deferred, held");
        assertThat(sluice("queue", "hold").exit()).isEqualTo(SluiceCommand.EXIT_USAGE);
        assertThat(sluice("queue", "hold", order, "--tenant", "default").exit()).isEqualTo(SluiceCommand.EXIT_USAGE);
        final SluiceRun.Outcome nothing = sluice("queue", "hold", "--tenant", "nobody");
        assertThat(nothing.exit()).isEqualTo(SluiceCommand.EXIT_REFUSED);
        assertThat(nothing.err()).contains("no queued message matches 'tenant=nobody' that can be held");
        final SluiceRun.Outcome unconfirmed = sluice("queue", "delete", order, retry);
        assertThat(unconfirmed.exit()).isEqualTo(SluiceCommand.EXIT_REFUSED);
        assertThat(unconfirmed.err()).contains("deleting 2 messages is irreversible");
        assertThat(ids(sluice("--json", "queue", "list").json())).containsExactly(poison, order, retry);
        assertThat(sluice("--json", "queue", "list", "--state", "held").json().get("shown").asInt()).isZero();

    }
}
