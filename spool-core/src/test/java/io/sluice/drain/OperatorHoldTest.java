package io.sluice.drain;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import io.sluice.spool.Disposition;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;
import org.junit.jupiter.api.Test;

/**
 * An operator's hold and requeue of single messages (sluice queue hold, requeue) on the drain thread, on a clock the
 * test moves: a held message is never picked, not between the request and the journal's record of the hold, and not
 * when the attempt under way when it was asked comes back deferred; a requeue makes one deferred message due now.
 */
class OperatorHoldTest
{
    private static final RecipientStatus HELD = new RecipientStatus(Disposition.HELD, 1, 0, "operator: held by test");

    private final SimulatedDrain drain = new SimulatedDrain(SimulatedDrain.context(1_000_000, 1_000_000));
    private final DrainScheduler scheduler = drain.scheduler;
    private final List<PendingMessage> journaled = new ArrayList<>();

    private boolean journal(final PendingMessage message)
    {
        journaled.add(message);
        return true;
    }

    @Test
    void shouldNeverPickAHeldMessageBeforeOrAfterItsHoldIsJournaled()
    {
        final PendingMessage poison = Mail.from("192.0.2.1");
        final PendingMessage other = Mail.from("192.0.2.2");
        drain.add(poison);
        drain.add(other);

        assertThat(scheduler.hold(List.of(poison.messageId(), 999L), this::journal)).as("none in flight").isZero();

        assertThat(journaled).extracting(PendingMessage::messageId).containsExactly(poison.messageId());
        assertThat(drain.take("default", 10)).extracting(Dispatch::messageId).containsExactly(other.messageId());
        assertThat(scheduler.status().held()).isEqualTo(1);

        drain.add(Mail.all(poison, HELD));
        drain.clock.advanceMillis(60_000);
        assertThat(drain.take("default", 10)).as("held across time").isEmpty();
        assertThat(scheduler.status().held()).isEqualTo(1);

        drain.add(Mail.all(poison, new RecipientStatus(Disposition.RELEASED, 1, 0, "operator: released by test")));
        assertThat(drain.take("default", 10)).extracting(Dispatch::messageId).containsExactly(poison.messageId());
    }

    @Test
    void shouldHoldAMessageInFlightOnlyAfterItsAttemptComesBackDeferred()
    {
        final PendingMessage poison = Mail.from("192.0.2.1");
        drain.add(poison);
        final Dispatch flying = scheduler.next("default");
        assertThat(flying).isNotNull();

        assertThat(scheduler.hold(Set.of(poison.messageId()), this::journal)).as("in flight").isEqualTo(1);
        assertThat(journaled).as("not before the attempt's outcome").isEmpty();

        drain.add(Mail.with(poison, 0, RecipientStatus.deferred(1, drain.now() + 1_000, "451 4.3.0 try later")));

        assertThat(journaled).hasSize(1);
        assertThat(journaled.get(0).recipients().get(0).disposition()).as("handed the deferral's snapshot")
            .isEqualTo(Disposition.DEFERRED);
        drain.clock.advanceMillis(5_000);
        assertThat(drain.take("default", 10)).as("its retry time came, but it is held").isEmpty();
    }

    @Test
    void shouldPlaceTheMessageAsBeforeWhenTheJournalFindsNothingToHold()
    {
        final PendingMessage message = Mail.from("192.0.2.1");
        drain.add(message);

        scheduler.hold(List.of(message.messageId()), m -> false);

        assertThat(drain.take("default", 10)).extracting(Dispatch::messageId).containsExactly(message.messageId());
    }

    @Test
    void shouldMakeOneDeferredMessageDueNowAndLeaveTheOthersWaiting()
    {
        final PendingMessage first = Mail.from("192.0.2.1");
        final PendingMessage second = Mail.from("192.0.2.2");
        final long later = drain.now() + 3_600_000;
        drain.add(Mail.with(first, 0, RecipientStatus.deferred(3, later, "451 4.3.0 try later")));
        drain.add(Mail.with(second, 0, RecipientStatus.deferred(3, later, "451 4.3.0 try later")));

        assertThat(scheduler.retryNow(List.of(first.messageId(), 12_345L))).isEqualTo(1);

        final List<Dispatch> sent = drain.take("default", 10);
        assertThat(sent).extracting(Dispatch::messageId).containsExactly(first.messageId());
        assertThat(sent.get(0).message().recipients().get(0).attempts()).as("attempts kept").isEqualTo(3);
        assertThat(scheduler.retryNow(List.of(first.messageId()))).as("no longer deferred").isZero();
    }
}
