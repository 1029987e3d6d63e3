package io.sluice.outcome;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import io.sluice.drain.Dispatch;
import io.sluice.drain.DrainAgent;
import io.sluice.drain.DrainContext;
import io.sluice.drain.SmtpReply;
import io.sluice.spool.Disposition;
import io.sluice.spool.Envelope;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolAwait;
import io.sluice.spool.SpoolContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outcomes reach the journal, failures reach the bounce hook before they are journaled, and a write the spool refuses
 * is retried and never dropped quietly.
 */
class OutcomeStageTest
{
    @TempDir
    Path dir;

    private final List<String> failures = new CopyOnWriteArrayList<>();
    private final DrainContext settings = new DrainContext();
    private final DrainAgent agent = new DrainAgent(settings);
    private OutcomeStage stage;

    @AfterEach
    void stopStage()
    {
        if (stage != null)
        {
            stage.close();
        }
    }

    private Spool open()
    {
        return Spool.open(new SpoolContext().directory(dir.resolve("spool")).blockSizeBytes(1 << 20).chunkBytes(64 << 10)
            .diskReserveBytes(8 << 20));
    }

    private static Dispatch dispatchOf(final Spool spool) throws Exception
    {
        final Envelope envelope = new Envelope("192.0.2.1", "default", "mail", "a@client.test",
            List.of("x@relay.test", "y@relay.test"), System.currentTimeMillis());
        final long id = spool.append(envelope, ByteBuffer.wrap("Subject: s\r\n\r\nb\r\n".getBytes(StandardCharsets.US_ASCII)))
            .get().messageId();
        final PendingMessage message = spool.pending(id);
        return new Dispatch("default", "mail", message, List.of(0, 1), System.currentTimeMillis());
    }

    private OutcomeStage stage(final Spool spool, final int attempts)
    {
        stage = new OutcomeStage(spool, settings, agent,
            (message, index, reply, status) ->
            {
                failures.add(message.queueId() + "/" + index + ": " + status.detail());
                return status;
            },
            attempts, 1, 5);
        return stage;
    }

    @Test
    void shouldJournalEveryRecipientAndReportFailuresOnceDurable() throws Exception
    {
        try (Spool spool = open())
        {
            final Dispatch dispatch = dispatchOf(spool);
            final OutcomeStage outcomes = stage(spool, 3);

            outcomes.report(dispatch, Map.of(0, SmtpReply.parse("250 2.0.0 Ok"), 1, SmtpReply.parse("550 5.1.1 unknown")));

            SpoolAwait.until(() -> outcomes.pending() == 0);
            assertThat(spool.pending(dispatch.messageId())).as("every recipient final: the message left the spool").isNull();
            assertThat(failures).containsExactly(dispatch.message().queueId() + "/1: 550 5.1.1 unknown");
            assertThat(outcomes.counters().get(OutcomeCounter.OUTCOMES_JOURNALED)).isEqualTo(2);
            assertThat(outcomes.counters().get(OutcomeCounter.FAILURES_REPORTED)).isEqualTo(1);
        }
    }

    @Test
    void shouldCountAMissingReplyAsALostConnectionNeverAsSuccess() throws Exception
    {
        try (Spool spool = open())
        {
            final Dispatch dispatch = dispatchOf(spool);
            final OutcomeStage outcomes = stage(spool, 3);

            outcomes.report(dispatch, Map.of(0, SmtpReply.parse("250 2.0.0 Ok")));

            SpoolAwait.until(() -> outcomes.pending() == 0);
            final RecipientStatus second = spool.pending(dispatch.messageId()).recipients().get(1);
            assertThat(second.disposition()).isEqualTo(Disposition.DEFERRED);
            assertThat(second.detail()).startsWith("451 4.4.2");
        }
    }

    @Test
    void shouldRetryAnOutcomeTheSpoolRefusesAndSayLoudlyWhenItGivesUp() throws Exception
    {
        final Dispatch dispatch;
        final Spool spool = open();
        dispatch = dispatchOf(spool);
        spool.close();
        final OutcomeStage outcomes = stage(spool, 4);

        outcomes.report(dispatch, Map.of(0, SmtpReply.parse("250 2.0.0 Ok"), 1, SmtpReply.parse("550 5.1.1 unknown")));

        SpoolAwait.until(() -> outcomes.pending() == 0);
        assertThat(outcomes.counters().get(OutcomeCounter.OUTCOME_RETRIES)).as("3 retries for each of 2 recipients").isEqualTo(6);
        assertThat(outcomes.counters().get(OutcomeCounter.OUTCOMES_UNJOURNALED)).isEqualTo(2);
        assertThat(outcomes.counters().get(OutcomeCounter.OUTCOMES_JOURNALED)).isZero();
        // The bounce decision comes before the journal write (it picks FAILED or SUPPRESSED): it was asked once; the
        // message stays in flight and is sent again, and the policy's dedup window collapses a second DSN.
        assertThat(failures).as("decided once, before the write").singleElement().asString().endsWith("/1: 550 5.1.1 unknown");
    }

    @Test
    void shouldJournalNothingForADispatchThrottledAsAWhole() throws Exception
    {
        try (Spool spool = open())
        {
            final Dispatch dispatch = dispatchOf(spool);
            final OutcomeStage outcomes = stage(spool, 3);

            outcomes.report(dispatch, Map.of(0, SmtpReply.parse("421 4.7.0 Try again later"),
                1, SmtpReply.parse("421 4.7.0 Try again later"))).get();

            assertThat(outcomes.pending()).isZero();
            assertThat(outcomes.counters().get(OutcomeCounter.OUTCOMES_JOURNALED)).isZero();
            assertThat(spool.pending(dispatch.messageId()).recipients()).as("unchanged: no attempt spent")
                .containsOnly(RecipientStatus.NEW);
        }
    }

    @Test
    void shouldJournalAThrottledRecipientBesideADeliveredOneAsDueNowWithoutAnAttempt() throws Exception
    {
        try (Spool spool = open())
        {
            final Dispatch dispatch = dispatchOf(spool);
            final OutcomeStage outcomes = stage(spool, 3);
            final long before = System.currentTimeMillis();

            outcomes.report(dispatch, Map.of(0, SmtpReply.parse("450 4.7.1 Slow down"), 1, SmtpReply.parse("250 2.0.0 Ok")))
                .get();

            final RecipientStatus throttled = spool.pending(dispatch.messageId()).recipients().get(0);
            assertThat(throttled.disposition()).isEqualTo(Disposition.DEFERRED);
            assertThat(throttled.attempts()).isZero();
            assertThat(throttled.notBeforeMillis()).isBetween(before, System.currentTimeMillis());
            assertThat(throttled.detail()).isEqualTo(OutcomeClassifier.REQUEUED + "450 4.7.1 Slow down");
            assertThat(spool.pending(dispatch.messageId()).recipients().get(1).disposition()).isEqualTo(Disposition.DELIVERED);
        }
    }
}
