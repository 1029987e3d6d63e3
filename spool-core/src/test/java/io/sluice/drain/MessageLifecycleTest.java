package io.sluice.drain;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.sluice.spool.Disposition;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;
import org.junit.jupiter.api.Test;

/** Retry times, flights, holds, pauses, demotion and expiry, on a clock the test moves. */
class MessageLifecycleTest
{
    private final SimulatedDrain drain = new SimulatedDrain(SimulatedDrain.context(1_000_000, 1_000_000));
    private final DrainScheduler scheduler = drain.scheduler;

    @Test
    void shouldNotSendADeferredRecipientBeforeItsRetryTime()
    {
        final PendingMessage message = Mail.all(Mail.from("192.0.2.1"),
            RecipientStatus.deferred(1, drain.now() + 60_000, "451 4.3.0 later"));
        drain.add(message);

        assertThat(scheduler.next("default")).isNull();
        assertThat(scheduler.status().deferred()).isEqualTo(1);
        drain.clock.advanceMillis(59_999);
        assertThat(scheduler.next("default")).isNull();
        drain.clock.advanceMillis(1);

        final Dispatch dispatch = scheduler.next("default");
        assertThat(dispatch.messageId()).isEqualTo(message.messageId());
        assertThat(scheduler.status().deferred()).isZero();
        assertThat(scheduler.status().inFlight()).isEqualTo(1);
    }

    @Test
    void shouldSendOnlyTheRecipientsThatAreDueAndWaitForTheRest()
    {
        PendingMessage message = Mail.message("192.0.2.1", "default", "mail", 3);
        message = Mail.with(message, 1, RecipientStatus.deferred(1, drain.now() + 120_000, "451"));
        message = Mail.with(message, 2, RecipientStatus.delivered(1, "250"));
        drain.add(message);

        final Dispatch dispatch = scheduler.next("default");
        assertThat(dispatch.recipientIndexes()).containsExactly(0);
        final ReplyOutcome outcome = Replies.onReply(scheduler, dispatch, 0, SmtpReply.parse("250 2.0.0 ok"));
        scheduler.onSnapshot(Mail.with(message, 0, outcome.status()));

        assertThat(scheduler.isInFlight(message.messageId())).isFalse();
        assertThat(scheduler.next("default")).as("recipient 1 waits for its retry time").isNull();
        drain.clock.advanceMillis(120_000);
        assertThat(scheduler.next("default").recipientIndexes()).containsExactly(1);
    }

    @Test
    void shouldKeepADispatchInFlightUntilEveryRecipientHasAnOutcome()
    {
        final PendingMessage message = Mail.message("192.0.2.1", "default", "mail", 2);
        drain.add(message);
        final Dispatch dispatch = scheduler.next("default");
        assertThat(dispatch.recipientIndexes()).containsExactly(0, 1);

        final PendingMessage half =
            Mail.with(message, 0, Replies.onReply(scheduler, dispatch, 0, SmtpReply.parse("250 ok")).status());
        scheduler.onSnapshot(half);
        assertThat(scheduler.next("default")).as("never dispatched twice while in flight").isNull();
        assertThat(scheduler.isInFlight(message.messageId())).isTrue();

        final ReplyOutcome deferred = Replies.onReply(scheduler, dispatch, 1, SmtpReply.parse("451 4.3.0 later"));
        scheduler.onSnapshot(Mail.with(half, 1, deferred.status()));

        assertThat(scheduler.isInFlight(message.messageId())).isFalse();
        assertThat(scheduler.status().deferred()).isEqualTo(1);
        assertThat(deferred.status().notBeforeMillis() - drain.now()).isBetween(54_000L, 60_000L);
        assertThat(scheduler.counters().get(DrainCounter.DELIVERED)).isEqualTo(1);
        assertThat(scheduler.counters().get(DrainCounter.DEFERRED)).isEqualTo(1);
    }

    @Test
    void shouldForgetAMessageOnceItIsFinished()
    {
        final PendingMessage message = Mail.from("192.0.2.1");
        drain.add(message);
        final Dispatch dispatch = scheduler.next("default");

        scheduler.onSnapshot(Mail.delivered(dispatch));

        assertThat(scheduler.pendingCount()).isZero();
        assertThat(scheduler.inFlightCount()).isZero();
        assertThat(scheduler.next("default")).isNull();
    }

    @Test
    void shouldTakeBackAnUnattemptedDispatchAndRefundItsToken()
    {
        final SimulatedDrain slow = new SimulatedDrain(SimulatedDrain.context(1, 1));
        final PendingMessage message = Mail.from("192.0.2.1");
        slow.add(message);
        final Dispatch dispatch = slow.scheduler.next("default");
        assertThat(slow.scheduler.next("default")).isNull();

        slow.scheduler.returnUndelivered(dispatch);

        final Dispatch again = slow.scheduler.next("default");
        assertThat(again.messageId()).as("the refunded token sends it again at once").isEqualTo(message.messageId());
        slow.scheduler.returnUndelivered(dispatch);
        assertThat(slow.scheduler.isInFlight(message.messageId())).as("a stale hand-back is ignored").isTrue();
        assertThat(slow.scheduler.counters().get(DrainCounter.DISPATCHES_RETURNED)).isEqualTo(1);
    }

    @Test
    void shouldRescheduleADispatchThatOutlivesTheInFlightTimeout()
    {
        final PendingMessage message = Mail.from("192.0.2.1");
        drain.add(message);
        scheduler.next("default");
        drain.clock.advanceMillis(TimeUnit.MINUTES.toMillis(59));
        assertThat(scheduler.next("default")).isNull();

        drain.clock.advanceMillis(TimeUnit.MINUTES.toMillis(1));

        assertThat(scheduler.next("default").messageId()).isEqualTo(message.messageId());
        assertThat(scheduler.counters().get(DrainCounter.FLIGHTS_EXPIRED)).isEqualTo(1);
    }

    @Test
    void shouldExpireOnlyTheFlightsStillOutBehindThousandsThatEnded()
    {
        final PendingMessage lost = Mail.from("192.0.2.1");
        drain.add(lost);
        assertThat(scheduler.next("default").messageId()).isEqualTo(lost.messageId());
        // Thousands of dispatches come and go after it, enough for the scheduler to tidy up the flights that ended.
        for (int i = 0; i < 3_000; i++)
        {
            drain.add(Mail.from("192.0.2.2"));
            scheduler.onSnapshot(Mail.delivered(scheduler.next("default")));
        }
        final PendingMessage late = Mail.from("192.0.2.3");
        drain.add(late);
        scheduler.next("default");
        assertThat(scheduler.inFlightCount()).isEqualTo(2);

        drain.clock.advanceMillis(TimeUnit.HOURS.toMillis(1));

        assertThat(scheduler.next("default").messageId()).as("the first out comes back first").isEqualTo(lost.messageId());
        assertThat(scheduler.next("default").messageId()).isEqualTo(late.messageId());
        assertThat(scheduler.counters().get(DrainCounter.FLIGHTS_EXPIRED)).isEqualTo(2);
        assertThat(scheduler.inFlightCount()).isEqualTo(2);
    }

    @Test
    void shouldHoldHeldMailUntilReleased()
    {
        final PendingMessage message = Mail.from("192.0.2.1");
        drain.add(Mail.all(message, new RecipientStatus(Disposition.HELD, 0, 0, "operator")));
        assertThat(scheduler.next("default")).isNull();
        assertThat(scheduler.status().held()).isEqualTo(1);

        scheduler.onSnapshot(Mail.all(message, new RecipientStatus(Disposition.RELEASED, 0, 0, "operator")));

        assertThat(scheduler.next("default").messageId()).isEqualTo(message.messageId());
        assertThat(scheduler.status().held()).isZero();
    }

    @Test
    void shouldSkipAPausedTenantAndCountItsMailUntilResumed()
    {
        for (int i = 0; i < 10; i++)
        {
            drain.add(Mail.message("192.0.2." + i, "held-back", "mail", 1));
            drain.add(Mail.message("198.51.100." + i, "other", "mail", 1));
        }
        scheduler.switches().pauseTenant("held-back");
        drain.add(Mail.message("192.0.2.99", "held-back", "mail", 1));

        final List<Dispatch> picks = drain.take("default", 100);

        assertThat(picks).hasSize(10).allSatisfy(d -> assertThat(d.envelope().tenant()).isEqualTo("other"));
        final DrainStatus status = scheduler.status();
        assertThat(status.paused()).isEqualTo(11);
        assertThat(status.ready()).isZero();
        assertThat(status.route("default").etaMillis()).as("paused mail does not drain").isZero();
        assertThat(scheduler.counters().get(DrainCounter.PAUSED_MESSAGES)).isEqualTo(11);
        assertThat(scheduler.pendingCount()).isEqualTo(11);

        scheduler.switches().resumeTenant("held-back");

        assertThat(drain.take("default", 100)).hasSize(11);
        assertThat(scheduler.status().paused()).isZero();
    }

    @Test
    void shouldStartWithTheTenantsAndSourcesAnOperatorPausedBeforeARestart()
    {
        final SimulatedDrain restarted = new SimulatedDrain(SimulatedDrain.context(200, 20)
            .pausedTenants("held-back, other-held").pausedSources("2001:db8::9"));
        restarted.add(Mail.message("192.0.2.1", "held-back", "mail", 1));
        restarted.add(Mail.message("2001:db8::9", "free", "mail", 1));
        restarted.add(Mail.message("192.0.2.2", "free", "mail", 1));

        assertThat(restarted.take("default", 10)).singleElement()
            .satisfies(d -> assertThat(d.envelope().sourceKey()).isEqualTo("192.0.2.2"));
        assertThat(restarted.scheduler.switches().pausedTenants()).containsExactlyInAnyOrder("held-back", "other-held");
        assertThat(restarted.scheduler.switches().isSourcePaused("2001:db8::9")).isTrue();
        assertThat(restarted.scheduler.status().paused()).isEqualTo(2);
    }

    @Test
    void shouldSkipAPausedSourceInEveryTenant()
    {
        drain.add(Mail.message("203.0.113.9", "a", "mail", 1));
        drain.add(Mail.message("203.0.113.9", "b", "mail", 1));
        drain.add(Mail.message("203.0.113.10", "a", "mail", 1));
        scheduler.switches().pauseSource("203.0.113.9");

        assertThat(drain.take("default", 10)).hasSize(1)
            .allSatisfy(d -> assertThat(d.envelope().sourceKey()).isEqualTo("203.0.113.10"));
        assertThat(scheduler.status().paused()).isEqualTo(2);

        scheduler.switches().resumeSource("203.0.113.9");
        assertThat(drain.take("default", 10)).hasSize(2);
    }

    @Test
    void shouldDemoteAWholeNetworkWhoseAddressesEachDrawARejectionOrTwo()
    {
        // A snowshoe flood: many addresses in one /24, one message each already spooled when the first are refused.
        for (int i = 1; i <= 100; i++)
        {
            drain.add(Mail.from("203.0.113." + i));
            drain.add(Mail.from("198.51.100." + i));
        }
        int rejected = 0;
        while (rejected < 5)
        {
            final Dispatch dispatch = scheduler.next("default");
            scheduler.onSnapshot(Mail.delivered(dispatch));
            if (dispatch.envelope().sourceKey().startsWith("203.0.113."))
            {
                Replies.onReply(scheduler, dispatch, 0, SmtpReply.parse("554 5.7.1 Malware found"));
                rejected++;
            }
        }
        assertThat(scheduler.isDemoted("203.0.113.99")).as("an address of the network never refused itself").isTrue();
        assertThat(scheduler.isDemoted("198.51.100.99")).isFalse();
        assertThat(scheduler.counters().get(DrainCounter.SOURCES_DEMOTED)).as("the network, no address alone").isEqualTo(1);
        assertThat(scheduler.status().lane("default", "suspect").ready()).as("its spooled mail left the mail lane")
            .isEqualTo(95);

        drain.clock.advanceMillis(TimeUnit.HOURS.toMillis(1));
        scheduler.tick();
        assertThat(scheduler.isDemoted("203.0.113.99")).isFalse();
        assertThat(scheduler.status().lane("default", "suspect").ready()).isZero();
    }

    @Test
    void shouldDemoteASourceTheUpstreamRejectsForPolicyAndRestoreItLater()
    {
        final String abuser = "203.0.113.66";
        for (int i = 0; i < 200; i++)
        {
            drain.add(Mail.from(abuser));
            drain.add(Mail.from("198.51.100." + (i % 20)));
        }
        for (int i = 0; i < 3; i++)
        {
            Dispatch dispatch;
            do
            {
                dispatch = scheduler.next("default");
                scheduler.onSnapshot(Mail.delivered(dispatch));
            }
            while (!dispatch.envelope().sourceKey().equals(abuser));
            Replies.onReply(scheduler, dispatch, 0, SmtpReply.parse("550 5.7.1 Message rejected as spam"));
        }

        assertThat(scheduler.isDemoted(abuser)).isTrue();
        assertThat(scheduler.counters().get(DrainCounter.SOURCES_DEMOTED)).isEqualTo(1);
        assertThat(scheduler.counters().get(DrainCounter.POLICY_REJECTIONS)).isEqualTo(3);
        assertThat(scheduler.status().lane("default", "suspect").ready()).isEqualTo(197);
        final long abusive = drain.take("default", 170).stream().filter(d -> d.envelope().sourceKey().equals(abuser)).count();
        assertThat(abusive).as("1 pick in 17 while legitimate mail waits").isEqualTo(10);
        drain.add(Mail.from(abuser));
        assertThat(scheduler.status().lane("default", "suspect").ready()).as("new mail is demoted too").isEqualTo(188);

        drain.clock.advanceMillis(TimeUnit.HOURS.toMillis(1));
        scheduler.tick();

        assertThat(scheduler.isDemoted(abuser)).isFalse();
        assertThat(scheduler.status().lane("default", "suspect").ready()).isZero();
    }

    @Test
    void shouldQuarantineADemotedSourcesDeferredMailWhenItsRetryComesDueButNeverMailAnOperatorReleased()
    {
        final List<Long> quarantined = new ArrayList<>();
        scheduler.quarantineTo((message, reason) -> quarantined.add(message.messageId()));
        final String abuser = "203.0.113.66";
        final PendingMessage waiting = Mail.all(Mail.from(abuser), RecipientStatus.deferred(1, drain.now() + 60_000, "451"));
        final PendingMessage released = Mail.all(Mail.from(abuser),
            new RecipientStatus(Disposition.RELEASED, 0, 0, QuarantineSink.DETAIL_PREFIX + "released by an operator"));
        drain.add(waiting);
        for (int i = 0; i < 3; i++)
        {
            drain.add(Mail.from(abuser));
            final Dispatch dispatch = scheduler.next("default");
            scheduler.onSnapshot(Mail.delivered(dispatch));
            Replies.onReply(scheduler, dispatch, 0, SmtpReply.parse("550 5.7.1 spam"));
        }
        assertThat(scheduler.isDemoted(abuser)).isTrue();
        assertThat(quarantined).as("the deferred message waits for its retry time").isEmpty();

        drain.add(released);
        final Dispatch sent = scheduler.next("default");
        assertThat(sent.messageId()).isEqualTo(released.messageId());
        assertThat(sent.lane()).isEqualTo("mail");
        // The upstream defers it: its RELEASED status is gone, the operator's word is not.
        scheduler.onSnapshot(Mail.all(released, RecipientStatus.deferred(1, drain.now() + 1_000, "451")));
        drain.clock.advanceMillis(60_000);
        scheduler.tick();

        assertThat(quarantined).containsExactly(waiting.messageId());
        assertThat(scheduler.next("default").messageId()).isEqualTo(released.messageId());
        assertThat(scheduler.counters().get(DrainCounter.QUARANTINED)).isEqualTo(1);
    }

    @Test
    void shouldNotDemoteForRejectionsSpreadBeyondTheWindow()
    {
        final PendingMessage message = Mail.message("203.0.113.66", "default", "mail", 1);
        drain.add(message);
        final Dispatch dispatch = scheduler.next("default");
        for (int i = 0; i < 4; i++)
        {
            Replies.onReply(scheduler, dispatch, 0, SmtpReply.parse("550 5.7.1 spam"));
            drain.clock.advanceMillis(TimeUnit.MINUTES.toMillis(40));
            scheduler.tick();
        }

        assertThat(scheduler.isDemoted("203.0.113.66")).isFalse();
    }

    @Test
    void shouldFailARecipientWhoseQueueLifetimeRanOut()
    {
        final PendingMessage old = Mail.message("192.0.2.1", "default", "mail", 1, drain.now() - TimeUnit.DAYS.toMillis(5));
        drain.add(old);
        final Dispatch dispatch = scheduler.next("default");

        final ReplyOutcome outcome = Replies.onReply(scheduler, dispatch, 0, SmtpReply.parse("451 4.3.0 still busy"));

        assertThat(outcome.status().disposition()).isEqualTo(Disposition.FAILED);
        assertThat(outcome.expired()).isTrue();
        assertThat(scheduler.counters().get(DrainCounter.EXPIRED)).isEqualTo(1);
        assertThat(scheduler.counters().get(DrainCounter.FAILED)).isEqualTo(1);
        scheduler.onSnapshot(Mail.with(old, 0, outcome.status()));
        assertThat(scheduler.pendingCount()).isZero();
    }

    @Test
    void shouldSplitRecipientsBeyondTheDispatchLimit()
    {
        final SimulatedDrain small = new SimulatedDrain(SimulatedDrain.context(1_000_000, 1_000_000).maxRecipientsPerDispatch(2));
        PendingMessage message = Mail.message("192.0.2.1", "default", "mail", 5);
        small.add(message);

        final Dispatch first = small.scheduler.next("default");
        assertThat(first.recipientIndexes()).containsExactly(0, 1);
        message = Mail.delivered(first);
        small.scheduler.onSnapshot(message);
        assertThat(small.scheduler.next("default").recipientIndexes()).containsExactly(2, 3);
    }

    @Test
    void shouldResumeFromTheJournalsSnapshotsAfterARestart()
    {
        final PendingMessage deferred = Mail.all(Mail.from("192.0.2.1"), RecipientStatus.deferred(2, drain.now() + 1_000, "451"));
        final PendingMessage fresh = Mail.from("192.0.2.2");
        final PendingMessage done = Mail.all(Mail.from("192.0.2.3"), RecipientStatus.delivered(1, "250"));

        scheduler.load(List.of(deferred, fresh, done));

        assertThat(scheduler.pendingCount()).isEqualTo(2);
        assertThat(scheduler.next("default").messageId()).isEqualTo(fresh.messageId());
        assertThat(scheduler.next("default")).isNull();
        drain.clock.advanceMillis(1_000);
        assertThat(scheduler.next("default").messageId()).isEqualTo(deferred.messageId());
    }
}
