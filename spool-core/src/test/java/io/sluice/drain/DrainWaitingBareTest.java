package io.sluice.drain;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.sluice.spool.Disposition;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolContext;
import io.sluice.spool.TestMessages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deferred and held messages wait without an entry ({@link WaitingIds}): an outage defers the whole backlog, and an
 * entry each would not fit ten million in the launcher's heap. Each way out of waiting behaves as it did with an entry:
 * the retry time, the queue lifetime, a release, an operator's retry or hold, a demotion, a restart. The drain reads the
 * snapshots back from a map standing for the spool, as it reads the spool's.
 */
class DrainWaitingBareTest
{
    private static final long MINUTE = TimeUnit.MINUTES.toMillis(1);

    private final SpooledDrain spooled = new SpooledDrain(new SimulatedDrain(SimulatedDrain.context(1_000, 100)));
    private final Map<Long, PendingMessage> spool = spooled.spool;
    private final SimulatedDrain drain = spooled.drain;
    private final DrainScheduler scheduler = drain.scheduler;

    /** Sends the message now and journals the upstream's reply to each recipient, as the outcome stage would. */
    private PendingMessage sendAndReply(final long messageId, final String reply)
    {
        final Dispatch dispatch = scheduler.next("default");
        assertThat(dispatch).as("message %d is due", messageId).isNotNull();
        assertThat(dispatch.messageId()).isEqualTo(messageId);
        return spooled.reply(dispatch, reply);
    }

    private void assertWaiting(final long deferred, final long held)
    {
        final DrainStatus status = scheduler.status();
        assertThat(status.deferred()).as("deferred").isEqualTo(deferred);
        assertThat(status.held()).as("held").isEqualTo(held);
        assertThat(status.lane("default", "mail").deferred()).isEqualTo(deferred);
        assertThat(scheduler.waitingBareCount()).as("without an entry").isEqualTo(deferred + held);
        assertThat(status.ready() + status.paused() + status.deferred() + status.held() + status.inFlight())
            .isEqualTo(scheduler.pendingCount());
    }

    @Test
    void shouldWaitBareUntilTheRetryTimeThenSendAgain()
    {
        final PendingMessage message = spooled.tell(Mail.from("192.0.2.1"));
        final PendingMessage deferred = sendAndReply(message.messageId(), "451 4.3.0 try later");
        final long retryAt = deferred.recipients().get(0).notBeforeMillis();
        assertThat(retryAt).isGreaterThan(drain.now());

        assertWaiting(1, 0);
        assertThat(scheduler.status().ages().lanes().get(0).total()).as("its age is counted").isEqualTo(1);
        assertThat(scheduler.next("default")).isNull();
        drain.clock.advanceMillis(retryAt - drain.now() - 1);
        assertThat(scheduler.next("default")).as("not a millisecond early").isNull();
        assertThat(scheduler.nanosUntilDue(route -> true)).isEqualTo(TimeUnit.MILLISECONDS.toNanos(1));
        drain.clock.advanceMillis(1);

        final PendingMessage delivered = sendAndReply(message.messageId(), "250 2.0.0 ok");
        assertThat(delivered.isFinished()).isTrue();
        assertThat(scheduler.pendingCount()).isZero();
        assertWaiting(0, 0);
    }

    @Test
    void shouldFailAMessageDeferredPastItsQueueLifetime()
    {
        final PendingMessage old = spooled.tell(Mail.message("192.0.2.1", "default", "mail", 1,
            drain.now() - TimeUnit.DAYS.toMillis(5) + 30 * MINUTE));
        sendAndReply(old.messageId(), "451 4.3.0 try later");
        assertWaiting(1, 0);
        drain.clock.advanceMillis(60 * MINUTE);

        final PendingMessage expired = sendAndReply(old.messageId(), "451 4.3.0 still later");

        assertThat(expired.recipients().get(0).disposition()).as("bounced by the outcome stage").isEqualTo(Disposition.FAILED);
        assertThat(scheduler.counters().get(DrainCounter.EXPIRED)).isEqualTo(1);
        assertThat(scheduler.pendingCount()).isZero();
        assertWaiting(0, 0);
    }

    @Test
    void shouldHoldBareUntilReleasedAndNeverPickItMeanwhile()
    {
        final PendingMessage message = spooled.tell(Mail.from("192.0.2.1"));
        final PendingMessage held =
            spooled.tell(Mail.all(message, new RecipientStatus(Disposition.HELD, 0, 0, "containment: held")));
        assertWaiting(0, 1);
        drain.clock.advanceMillis(TimeUnit.DAYS.toMillis(1));
        assertThat(scheduler.next("default")).isNull();

        spooled.tell(Mail.all(held, new RecipientStatus(Disposition.RELEASED, 0, 0, "released by an operator")));

        assertWaiting(0, 0);
        assertThat(sendAndReply(message.messageId(), "250 2.0.0 ok").isFinished()).isTrue();
        assertThat(scheduler.pendingCount()).isZero();
    }

    @Test
    void shouldHoldADeferredMessageAnOperatorHoldsById()
    {
        final PendingMessage message = spooled.tell(Mail.from("192.0.2.1"));
        sendAndReply(message.messageId(), "451 4.3.0 try later");
        final List<PendingMessage> journaled = new ArrayList<>();

        assertThat(scheduler.hold(List.of(message.messageId()), journaled::add)).isZero();

        assertThat(journaled).extracting(PendingMessage::messageId).containsExactly(message.messageId());
        assertThat(scheduler.status().held()).isEqualTo(1);
        assertThat(scheduler.waitingBareCount()).as("it waits for its hold to be journaled, with an entry").isZero();
        spooled.tell(Mail.all(journaled.get(0), new RecipientStatus(Disposition.HELD, 0, 0, "held by an operator")));
        assertWaiting(0, 1);
        drain.clock.advanceMillis(2 * 60 * MINUTE);
        assertThat(scheduler.next("default")).as("held past its retry time").isNull();
    }

    @Test
    void shouldRetryBareDeferredMessagesNowAllOrById()
    {
        final List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++)
        {
            ids.add(spooled.tell(Mail.from("192.0.2." + (i + 1))).messageId());
        }
        for (final long id : ids)
        {
            sendAndReply(id, "451 4.3.0 try later");
        }
        assertWaiting(3, 0);

        assertThat(scheduler.retryNow(List.of(ids.get(1), ids.get(1), 424_242L))).isEqualTo(1);
        assertThat(scheduler.status().deferred()).isEqualTo(2);
        assertThat(sendAndReply(ids.get(1), "250 2.0.0 ok").isFinished()).isTrue();
        assertThat(scheduler.next("default")).isNull();

        assertThat(scheduler.retryDeferredNow()).isEqualTo(2);
        assertThat(scheduler.status().deferred()).isZero();
        assertThat(scheduler.counters().get(DrainCounter.RETRIED_NOW)).isEqualTo(3);
        // Two sources: the fair tree takes them in its round's order, not by id.
        final Dispatch first = scheduler.next("default");
        final Dispatch second = scheduler.next("default");
        assertThat(List.of(first.messageId(), second.messageId())).containsExactlyInAnyOrder(ids.get(0), ids.get(2));
        final PendingMessage deferredAgain =
            spooled.reply(first.messageId() == ids.get(0) ? first : second, "451 4.3.0 still later");
        assertThat(spooled.reply(first.messageId() == ids.get(2) ? first : second, "250 2.0.0 ok").isFinished()).isTrue();
        assertThat(scheduler.next("default")).as("deferred again: the schedule applies again").isNull();
        assertWaiting(1, 0);
        drain.clock.advanceMillis(deferredAgain.recipients().get(0).notBeforeMillis() - drain.now());
        assertThat(sendAndReply(ids.get(0), "250 2.0.0 ok").isFinished()).isTrue();
    }

    @Test
    void shouldQuarantineBareDeferredMailOfASourceDemotedMeanwhileWhenItsRetryComesDue()
    {
        final List<Long> quarantined = new ArrayList<>();
        scheduler.quarantineTo((message, reason) -> quarantined.add(message.messageId()));
        final String abuser = "203.0.113.66";
        final PendingMessage waiting = spooled.tell(Mail.from(abuser));
        final long retryAt = sendAndReply(waiting.messageId(), "451 4.3.0 try later").recipients().get(0).notBeforeMillis();
        assertWaiting(1, 0);
        for (int i = 0; i < 3; i++)
        {
            final PendingMessage rejected = spooled.tell(Mail.from(abuser));
            sendAndReply(rejected.messageId(), "550 5.7.1 spam");
        }
        assertThat(scheduler.isDemoted(abuser)).isTrue();
        assertThat(quarantined).as("it waits for its retry time").isEmpty();

        drain.clock.advanceMillis(retryAt - drain.now());
        scheduler.tick();

        assertThat(quarantined).containsExactly(waiting.messageId());
        assertThat(scheduler.next("default")).isNull();
        assertThat(scheduler.status().held()).isEqualTo(1);
        spooled.tell(Mail.all(waiting, new RecipientStatus(Disposition.HELD, 0, 0, QuarantineSink.DETAIL_PREFIX + "demoted")));
        assertWaiting(0, 1);
    }

    @Test
    void shouldSendBareDeferredMailOfASourceDemotedMeanwhileInTheSuspectLane()
    {
        final SimulatedDrain suspect = new SimulatedDrain(SimulatedDrain.context(1_000, 100).demotionAction("suspect-lane"));
        final DrainScheduler demoting = suspect.scheduler;
        final String abuser = "203.0.113.66";
        final PendingMessage waiting = Mail.all(Mail.from(abuser), RecipientStatus.deferred(1, suspect.now() + MINUTE, "451"));
        demoting.onSnapshot(waiting);
        assertThat(demoting.waitingBareCount()).isEqualTo(1);
        for (int i = 0; i < 3; i++)
        {
            final PendingMessage rejected = Mail.from(abuser);
            demoting.onSnapshot(rejected);
            final Dispatch dispatch = demoting.next("default");
            demoting.onSnapshot(Mail.delivered(dispatch));
            Replies.onReply(demoting, dispatch, 0, SmtpReply.parse("550 5.7.1 spam"));
        }
        assertThat(demoting.isDemoted(abuser)).isTrue();

        suspect.clock.advanceMillis(MINUTE);
        demoting.tick();

        assertThat(demoting.status().lane("default", "suspect").ready()).isEqualTo(1);
        assertThat(demoting.status().deferred()).isZero();
        final Dispatch sent = demoting.next("default");
        assertThat(sent.messageId()).isEqualTo(waiting.messageId());
        assertThat(sent.lane()).isEqualTo("suspect");
    }

    @Test
    void shouldLoadDeferredAndHeldMailBareAfterARestart()
    {
        final List<PendingMessage> journal = new ArrayList<>();
        final long retryAt = drain.now() + 10 * MINUTE;
        for (int i = 0; i < 100; i++)
        {
            final PendingMessage message = Mail.from("192.0.2." + (i % 7 + 1));
            journal.add(i % 4 == 0 ? Mail.all(message, new RecipientStatus(Disposition.HELD, 0, 0, "containment: held"))
                : Mail.all(message, RecipientStatus.deferred(3, retryAt + i * 1000L, "451 later")));
        }
        journal.forEach(message -> spool.put(message.messageId(), message));

        scheduler.load(journal);

        assertWaiting(75, 25);
        assertThat(scheduler.status().ages().lanes().get(0).total()).isEqualTo(100);
        drain.clock.advanceMillis(retryAt + 1000 - drain.now());
        assertThat(scheduler.next("default").messageId()).isEqualTo(journal.get(1).messageId());
        assertThat(scheduler.next("default")).as("the next is a second later").isNull();
        drain.clock.advanceMillis(TimeUnit.HOURS.toMillis(1));
        // The first one's dispatch outlived the in-flight timeout meanwhile: it goes again (at-least-once).
        final Set<Long> sent = new HashSet<>();
        Dispatch dispatch;
        while ((dispatch = scheduler.next("default")) != null)
        {
            sent.add(dispatch.messageId());
        }
        assertThat(sent).hasSize(75).contains(journal.get(1).messageId());
        assertThat(scheduler.status().held()).isEqualTo(25);
    }

    @Test
    void shouldTakeTheRetryTimesOfDeferredMailFromARealJournalAfterARestart(@TempDir final Path dir) throws Exception
    {
        final SpoolContext context = new SpoolContext().directory(dir).blockSizeBytes(1 << 20).chunkBytes(64 << 10)
            .diskReserveBytes(8 << 20);
        final List<Long> ids = new ArrayList<>();
        try (Spool journal = Spool.open(context))
        {
            for (int i = 0; i < 6; i++)
            {
                final long id = journal.append(TestMessages.envelope("r" + i + "@example.org"), TestMessages.body("m" + i, 512))
                    .get().messageId();
                ids.add(id);
                // Deferred by the upstream before the restart: the first two minutes apart, the others an hour on.
                final long retryAt = drain.now() + (i < 2 ? (i + 1) * 2 * MINUTE : 60 * MINUTE);
                assertThat(journal.recordOutcome(id, 0, RecipientStatus.deferred(1, retryAt, "451 later")).get()).isTrue();
            }
        }
        try (Spool journal = Spool.open(context))
        {
            final SimulatedDrain clocked = new SimulatedDrain(new DrainContext());
            final DrainScheduler loaded = clocked.scheduler;
            loaded.readFrom(journal::pending);
            loaded.load(journal.pendingAfter(Long.MIN_VALUE, false));

            assertThat(loaded.status().deferred()).isEqualTo(6);
            assertThat(loaded.waitingBareCount()).isEqualTo(6);
            assertThat(loaded.next("default")).isNull();
            clocked.clock.advanceMillis(2 * MINUTE);
            assertThat(loaded.next("default").messageId()).isEqualTo(ids.get(0));
            assertThat(loaded.next("default")).isNull();
            clocked.clock.advanceMillis(2 * MINUTE);
            assertThat(loaded.next("default").messageId()).isEqualTo(ids.get(1));
            assertThat(loaded.status().deferred()).isEqualTo(4);
            assertThat(loaded.waitingBareCount()).isEqualTo(4);
        }
    }
}
