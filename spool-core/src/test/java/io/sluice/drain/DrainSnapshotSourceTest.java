package io.sluice.drain;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;

import io.sluice.spool.Disposition;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;
import org.junit.jupiter.api.Test;

/**
 * A scheduler that reads its snapshots from a source (the spool, in production) keeps none of its own: what it sends
 * is what the source says now, and a message the source finished or held since the drain placed it is not sent.
 */
class DrainSnapshotSourceTest
{
    /** Stands in for the spool's index: the latest snapshot of every pending message, by id. */
    private final Map<Long, PendingMessage> spool = new HashMap<>();
    private final SimulatedDrain drain = new SimulatedDrain(SimulatedDrain.context(1, 1));
    private final DrainScheduler scheduler = drain.scheduler;

    DrainSnapshotSourceTest()
    {
        scheduler.readFrom(spool::get);
    }

    /** A snapshot the spool journaled and told the drain of. */
    private PendingMessage told(final PendingMessage message)
    {
        journaled(message);
        scheduler.onSnapshot(message);
        return message;
    }

    /** A snapshot the spool journaled whose news has not reached the drain yet. */
    private void journaled(final PendingMessage message)
    {
        if (message.isFinished())
        {
            spool.remove(message.messageId());
        }
        else
        {
            spool.put(message.messageId(), message);
        }
    }

    @Test
    void shouldDispatchTheSpoolsLatestSnapshotNotTheOneItWasTold()
    {
        final PendingMessage message = told(Mail.message("192.0.2.1", "default", "mail", 2));
        final PendingMessage half = Mail.with(message, 0, RecipientStatus.failed(0, "expired"));
        journaled(half);

        final Dispatch dispatch = scheduler.next("default");

        assertThat(dispatch.message()).isSameAs(half);
        assertThat(dispatch.recipientIndexes()).containsExactly(1);
    }

    @Test
    void shouldNotSendAMessageTheSpoolFinishedMeanwhileAndKeepItsToken()
    {
        final PendingMessage gone = told(Mail.from("192.0.2.1"));
        final PendingMessage next = told(Mail.from("192.0.2.1"));
        final PendingMessage finished = Mail.all(gone, RecipientStatus.failed(0, "expired"));
        journaled(finished);

        final Dispatch dispatch = scheduler.next("default");

        assertThat(dispatch.messageId()).as("the route's one token went to the next message").isEqualTo(next.messageId());
        assertThat(scheduler.pendingCount()).isEqualTo(2);
        scheduler.onSnapshot(finished);
        assertThat(scheduler.pendingCount()).isEqualTo(1);
        assertThat(scheduler.status().ready() + scheduler.status().deferred() + scheduler.status().held()).isZero();
        assertThat(scheduler.status().inFlight()).isEqualTo(1);
    }

    @Test
    void shouldHoldAMessageTheSpoolHeldMeanwhileAndCountItOnce()
    {
        final PendingMessage message = told(Mail.from("192.0.2.1"));
        final PendingMessage held = Mail.all(message, new RecipientStatus(Disposition.HELD, 0, 0, "held by an operator"));
        journaled(held);

        assertThat(scheduler.next("default")).isNull();
        assertThat(scheduler.status().held()).isEqualTo(1);
        scheduler.onSnapshot(held);
        assertThat(scheduler.status().held()).isEqualTo(1);
        assertThat(scheduler.status().ready()).isZero();
        drain.clock.advanceMillis(1_000);
        assertThat(scheduler.next("default")).as("its token is still there, for nothing").isNull();
    }

    @Test
    void shouldReadADeferredMessageBackWhenItsRetryComesDue()
    {
        final PendingMessage message = told(Mail.all(Mail.from("192.0.2.1"),
            RecipientStatus.deferred(1, drain.now() + 60_000, "451 4.3.0 later")));
        assertThat(scheduler.next("default")).isNull();
        final PendingMessage retried = Mail.with(message, 0, RecipientStatus.deferred(1, drain.now() + 60_000, "451 again"));
        journaled(retried);
        drain.clock.advanceMillis(60_000);

        final Dispatch dispatch = scheduler.next("default");

        assertThat(dispatch.message()).isSameAs(retried);
        assertThat(dispatch.statusAtDispatch(0).detail()).isEqualTo("451 again");
    }
}
