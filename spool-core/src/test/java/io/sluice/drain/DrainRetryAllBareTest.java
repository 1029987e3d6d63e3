package io.sluice.drain;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.sluice.spool.Disposition;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;
import org.junit.jupiter.api.Test;

/**
 * An operator's "retry deferred now" for every message, after an outage: the messages deferred without an entry
 * ({@link WaitingIds}) are made ready by one record of the request, not an entry each, and placed bare in their source
 * queues in slices; each is sent now, not at its retry time, and follows the retry schedule again from its next snapshot.
 * The drain reads the snapshots back from a map standing for the spool, as it reads the spool's; the clock is injected
 * and stands still unless a test moves it.
 */
class DrainRetryAllBareTest
{
    private static final long MINUTE = TimeUnit.MINUTES.toMillis(1);

    private final SpooledDrain spooled = new SpooledDrain(new SimulatedDrain(SimulatedDrain.context(1_000, 100)));
    private final Map<Long, PendingMessage> spool = spooled.spool;
    private final SimulatedDrain drain = spooled.drain;
    private final DrainScheduler scheduler = drain.scheduler;

    /** @return the ids of {@code count} messages from as many sources, each deferred an hour by the upstream, bare. */
    private List<Long> deferredByAnOutage(final int count)
    {
        final List<Long> ids = new ArrayList<>();
        final int waitingBefore = scheduler.waitingBareCount();
        for (int i = 0; i < count; i++)
        {
            final PendingMessage message = Mail.from("192.0.2." + (i % 250 + 1));
            spooled.tell(Mail.all(message, RecipientStatus.deferred(2, drain.now() + 60 * MINUTE + i, "451 4.3.0 try later")));
            ids.add(message.messageId());
        }
        assertThat(scheduler.status().deferred()).isEqualTo(count);
        assertThat(scheduler.waitingBareCount()).as("waiting without an entry").isEqualTo(waitingBefore + count);
        return ids;
    }

    /** @return the ids dispatched now until the route has nothing to send; the clock does not move. */
    private List<Long> sendAllNow()
    {
        final List<Long> sent = new ArrayList<>();
        Dispatch dispatch;
        while ((dispatch = scheduler.next("default")) != null)
        {
            sent.add(dispatch.messageId());
            spooled.reply(dispatch, "250 2.0.0 ok");
        }
        return sent;
    }

    /** @return the ids dispatched, each once, as the route's tokens allow: the clock moves 1 ms a pick. */
    private Set<Long> sendEach()
    {
        final Set<Long> sent = new HashSet<>();
        for (int i = 0; i < 10_000; i++)
        {
            drain.clock.advanceMillis(1);
            final Dispatch dispatch = scheduler.next("default");
            if (dispatch != null)
            {
                assertThat(sent.add(dispatch.messageId())).as("sent once: %d", dispatch.messageId()).isTrue();
                spooled.reply(dispatch, "250 2.0.0 ok");
            }
        }
        for (final long id : sendAllNow())
        {
            assertThat(sent.add(id)).as("sent once: %d", id).isTrue();
        }
        return sent;
    }

    @Test
    void shouldSendEveryBareDeferredMessageNowNotAtItsRetryTimeWithoutAnEntryEach()
    {
        final List<Long> ids = deferredByAnOutage(50);

        assertThat(scheduler.retryDeferredNow()).isEqualTo(50);

        final DrainStatus status = scheduler.status();
        assertThat(status.deferred()).isZero();
        assertThat(status.ready()).isEqualTo(50);
        assertThat(scheduler.entryCount()).as("ready in their queues without an entry").isZero();
        assertThat(scheduler.waitingBareCount()).isZero();
        assertThat(scheduler.counters().get(DrainCounter.RETRIED_NOW)).isEqualTo(50);
        assertThat(sendAllNow()).as("an hour before their retry time").containsExactlyInAnyOrderElementsOf(ids);
        assertThat(scheduler.pendingCount()).isZero();
        assertThat(scheduler.entryCount()).isZero();
    }

    @Test
    void shouldFollowTheRetryScheduleAgainOnceDeferredAfterTheRetryAll()
    {
        final List<Long> ids = deferredByAnOutage(3);
        scheduler.retryDeferredNow();

        final Dispatch first = scheduler.next("default");
        final PendingMessage deferredAgain = spooled.reply(first, "451 4.3.0 still later");
        // Another's next snapshot comes while it waits in its queue (a new deferral, journaled by another stage): the
        // request covered the statuses it saw, the new one follows the schedule.
        final long second = ids.stream().filter(id -> id != first.messageId()).findFirst().orElseThrow();
        final long firstRetryAt = deferredAgain.recipients().get(0).notBeforeMillis();
        final long secondRetryAt = drain.now() + (firstRetryAt - drain.now()) / 2;
        spooled.tell(Mail.all(spool.get(second), RecipientStatus.deferred(3, secondRetryAt, "451 4.3.0 later")));

        assertThat(sendAllNow()).as("only the one the retry-all still covers").hasSize(1).doesNotContain(second);
        assertThat(scheduler.status().deferred()).isEqualTo(2);
        assertThat(scheduler.waitingBareCount()).as("deferred again, bare").isEqualTo(2);
        drain.clock.advanceMillis(secondRetryAt - drain.now() - 1);
        assertThat(scheduler.next("default")).as("not a millisecond early").isNull();
        drain.clock.advanceMillis(1);
        assertThat(sendAllNow()).containsExactly(second);
        assertThat(scheduler.next("default")).isNull();
        drain.clock.advanceMillis(firstRetryAt - drain.now());
        assertThat(sendAllNow()).containsExactly(first.messageId());
        assertThat(scheduler.pendingCount()).isZero();
    }

    @Test
    void shouldLeaveMessagesInFlightAndHeldAsTheyAre()
    {
        final PendingMessage flying = spooled.tell(Mail.from("192.0.2.1"));
        final Dispatch inFlight = scheduler.next("default");
        assertThat(inFlight.messageId()).isEqualTo(flying.messageId());
        final PendingMessage held =
            spooled.tell(Mail.all(Mail.from("192.0.2.2"), new RecipientStatus(Disposition.HELD, 0, 0, "containment: held")));
        final List<Long> deferred = deferredByAnOutage(2);

        assertThat(scheduler.retryDeferredNow()).as("the deferred ones only").isEqualTo(2);

        assertThat(scheduler.status().held()).isEqualTo(1);
        assertThat(scheduler.status().inFlight()).isEqualTo(1);
        assertThat(sendAllNow()).containsExactlyInAnyOrderElementsOf(deferred);
        // In flight when the operator asked: its deferral now follows the schedule.
        final long retryAt = spooled.reply(inFlight, "451 4.3.0 try later").recipients().get(0).notBeforeMillis();
        assertThat(scheduler.next("default")).isNull();
        assertThat(scheduler.status().held()).as("held stays held").isEqualTo(1);
        drain.clock.advanceMillis(retryAt - drain.now());
        assertThat(sendAllNow()).containsExactly(flying.messageId());
        assertThat(scheduler.next("default")).isNull();
        assertThat(scheduler.pendingCount()).isEqualTo(1);
        assertThat(spool).containsOnlyKeys(held.messageId());
    }

    @Test
    void shouldPlaceALargeBacklogInSlicesEachMessageOnce()
    {
        final List<Long> ids = deferredByAnOutage(10_000);
        // One deferred twice while it waited (its first timer still in the heap): it is placed once.
        final long twice = ids.get(5);
        spooled.tell(Mail.all(spool.get(twice), RecipientStatus.deferred(3, drain.now() + 90 * MINUTE, "451 4.3.0 later")));

        assertThat(scheduler.retryDeferredNow()).isEqualTo(10_000);

        assertThat(scheduler.status().deferred()).as("the first slice is placed at once").isEqualTo(10_000 - 4_096);
        assertThat(scheduler.nanosUntilDue(route -> true)).as("the rest at the next ticks").isZero();
        scheduler.tick();
        scheduler.tick();
        final DrainStatus status = scheduler.status();
        assertThat(status.deferred()).isZero();
        assertThat(status.ready()).isEqualTo(10_000);
        assertThat(scheduler.nanosUntilDue(route -> true)).as("waits for the route's tokens, not for time").isPositive();
        assertThat(scheduler.entryCount()).isZero();
        assertThat(sendEach()).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(scheduler.pendingCount()).isZero();
    }

    @Test
    void shouldPlaceRetryTimersComingDueTogetherInSlicesToo()
    {
        // As after a restart that outlived an outage: every retry time has passed when the drain next looks.
        final List<Long> ids = deferredByAnOutage(10_000);
        drain.clock.advanceMillis(120 * MINUTE);

        scheduler.tick();
        assertThat(scheduler.status().deferred()).as("one slice placed by a tick").isEqualTo(10_000 - 4_096);
        assertThat(scheduler.nanosUntilDue(route -> true)).as("the rest still due at once").isZero();
        scheduler.tick();
        scheduler.tick();
        final DrainStatus status = scheduler.status();
        assertThat(status.deferred()).isZero();
        assertThat(status.ready()).isEqualTo(10_000);
        assertThat(scheduler.entryCount()).as("placed bare, as a single retry is").isZero();
        assertThat(sendEach()).containsExactlyInAnyOrderElementsOf(ids);
    }

    @Test
    void shouldKeepTheRequestThroughADispatchHandedBackAndCoverWhatWasDeferredSinceAtASecondRetryAll()
    {
        // One source: its queue gives the older first, and the one handed back is older again.
        final List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 2; i++)
        {
            final PendingMessage message = Mail.from("192.0.2.1");
            spooled.tell(Mail.all(message, RecipientStatus.deferred(2, drain.now() + 60 * MINUTE, "451 4.3.0 try later")));
            ids.add(message.messageId());
        }
        assertThat(scheduler.retryDeferredNow()).isEqualTo(2);
        final Dispatch returned = scheduler.next("default");
        assertThat(returned.messageId()).isEqualTo(ids.get(0));

        scheduler.returnUndelivered(returned);

        final Dispatch again = scheduler.next("default");
        assertThat(again.messageId()).as("still ready whatever its retry time").isEqualTo(returned.messageId());
        spooled.reply(again, "451 4.3.0 still later");
        assertThat(scheduler.status().deferred()).isEqualTo(1);
        // The operator asks again while the other still waits in its queue from the first request.
        assertThat(scheduler.retryDeferredNow()).isEqualTo(1);
        assertThat(sendAllNow()).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(scheduler.pendingCount()).isZero();
    }

    @Test
    void shouldRetryByIdAMessageOfARetryAllNotYetPlaced()
    {
        final List<Long> ids = deferredByAnOutage(5_000);
        scheduler.retryDeferredNow();
        final long notYetPlaced = ids.stream().filter(scheduler::isWaitingDeferred).findFirst().orElseThrow();

        assertThat(scheduler.retryNow(List.of(notYetPlaced))).isEqualTo(1);

        assertThat(scheduler.status().deferred()).isEqualTo(5_000 - 4_096 - 1);
        scheduler.tick();
        assertThat(scheduler.status().ready()).isEqualTo(5_000);
        assertThat(scheduler.isWaitingDeferred(notYetPlaced)).isFalse();
        assertThat(sendAllNow()).as("the route's burst").hasSize(100).doesNotHaveDuplicates();
    }
}
