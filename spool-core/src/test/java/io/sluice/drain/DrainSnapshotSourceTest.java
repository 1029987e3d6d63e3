package io.sluice.drain;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import io.sluice.spool.Disposition;
import io.sluice.spool.MutableClock;
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

    @Test
    void shouldBehaveAsASchedulerThatKeepsItsSnapshotsWhenTheSourceIsUpToDate()
    {
        // Two schedulers on one clock, one keeping its snapshots, one reading them from a source that is always as new
        // as the last snapshot it was told: every dispatch and every count must be the same, through arrivals, picks,
        // outcomes, throttles, returns, holds, pauses, retries and a demotion, and every message counted once.
        final MutableClock clock = new MutableClock(SimulatedDrain.START_MILLIS);
        final DrainScheduler keeping = twin(clock);
        final DrainScheduler reading = twin(clock);
        final Map<Long, PendingMessage> latest = new HashMap<>();
        reading.readFrom(latest::get);
        final List<Dispatch[]> flights = new ArrayList<>();
        final Random random = new Random(18);
        final String[] sources = {"192.0.2.1", "192.0.2.2", "198.51.100.7", "203.0.113.9", "203.0.113.10"};
        final String[] routes = {"default", "notifications"};
        for (int step = 0; step < 4_000; step++)
        {
            final int action = random.nextInt(100);
            if (action < 30)
            {
                final PendingMessage message = Mail.message(sources[random.nextInt(sources.length)],
                    random.nextBoolean() ? "default" : "t2", random.nextInt(8) == 0 ? "notifications" : "mail",
                    1 + random.nextInt(3));
                tell(keeping, reading, latest, message);
            }
            else if (action < 55)
            {
                final String route = routes[random.nextInt(routes.length)];
                final Dispatch kept = keeping.next(route);
                final Dispatch read = reading.next(route);
                assertSame(kept, read);
                if (kept != null)
                {
                    flights.add(new Dispatch[] {kept, read});
                }
            }
            else if (action < 80 && !flights.isEmpty())
            {
                resolve(keeping, reading, latest, flights.remove(random.nextInt(flights.size())), random);
            }
            else if (action < 85 && !flights.isEmpty())
            {
                final Dispatch[] flight = flights.remove(random.nextInt(flights.size()));
                if (random.nextBoolean())
                {
                    keeping.returnUndelivered(flight[0]);
                    reading.returnUndelivered(flight[1]);
                }
                else
                {
                    keeping.requeueThrottled(flight[0], true);
                    reading.requeueThrottled(flight[1], true);
                }
            }
            else if (action < 88 && !latest.isEmpty())
            {
                final long id = latest.keySet().stream().skip(random.nextInt(latest.size())).findFirst().orElseThrow();
                final List<PendingMessage> journaled = new ArrayList<>();
                keeping.hold(List.of(id), message -> journaled.add(message));
                reading.hold(List.of(id), message -> true);
                for (final PendingMessage message : journaled)
                {
                    tell(keeping, reading, latest,
                        Mail.all(message, new RecipientStatus(Disposition.HELD, 0, 0, "held by an operator")));
                }
            }
            else if (action < 90)
            {
                final String source = sources[random.nextInt(sources.length)];
                if (random.nextBoolean())
                {
                    keeping.switches().pauseSource(source);
                    reading.switches().pauseSource(source);
                }
                else
                {
                    keeping.switches().resumeSource(source);
                    reading.switches().resumeSource(source);
                }
            }
            else if (action < 92)
            {
                assertThat(reading.retryDeferredNow()).isEqualTo(keeping.retryDeferredNow());
            }
            else
            {
                clock.advanceMillis(random.nextInt(30_000));
            }
            assertCounted(keeping, reading, step);
        }
        assertThat(reading.counters().get(DrainCounter.DISPATCHES)).as("it sent").isGreaterThan(500);
        for (final DrainCounter walked : List.of(DrainCounter.DISPATCHES_RETURNED, DrainCounter.THROTTLED_REQUEUED,
            DrainCounter.RETRIED_NOW, DrainCounter.SOURCES_DEMOTED, DrainCounter.DEFERRED))
        {
            assertThat(reading.counters().get(walked)).as("the walk went through %s", walked).isPositive();
        }
        assertThat(reading.status().held()).as("it held some").isPositive();
    }

    /** Replies to every recipient of the flight, as both schedulers' outcome stage would, and journals the outcomes. */
    private static void resolve(final DrainScheduler keeping, final DrainScheduler reading,
        final Map<Long, PendingMessage> latest, final Dispatch[] flight, final Random random)
    {
        PendingMessage outcome = latest.get(flight[0].messageId());
        for (final int index : flight[0].recipientIndexes())
        {
            final String reply = switch (random.nextInt(5))
            {
                case 0 -> "451 4.3.0 later";
                case 1 -> "550 5.1.1 unknown";
                case 2 -> "554 5.7.1 policy";
                default -> "250 2.0.0 ok";
            };
            final ReplyOutcome kept = Replies.onReply(keeping, flight[0], index, SmtpReply.parse(reply));
            Replies.onReply(reading, flight[1], index, SmtpReply.parse(reply));
            outcome = Mail.with(outcome, index, kept.status());
        }
        tell(keeping, reading, latest, outcome);
    }

    private static DrainScheduler twin(final MutableClock clock)
    {
        return new DrainScheduler(SimulatedDrain.context(50, 5).demotionAction("suspect-lane").clock(clock)
            .random(new Random(7)));
    }

    private static void tell(final DrainScheduler keeping, final DrainScheduler reading, final Map<Long, PendingMessage> latest,
        final PendingMessage message)
    {
        if (message.isFinished())
        {
            latest.remove(message.messageId());
        }
        else
        {
            latest.put(message.messageId(), message);
        }
        keeping.onSnapshot(message);
        reading.onSnapshot(message);
    }

    /** Asserts two twins' dispatches are the same dispatch (DrainBareMessagesTest's twins too). */
    static void assertSame(final Dispatch kept, final Dispatch read)
    {
        if (kept == null)
        {
            assertThat(read).isNull();
            return;
        }
        assertThat(read).isNotNull();
        assertThat(read.messageId()).isEqualTo(kept.messageId());
        assertThat(read.lane()).isEqualTo(kept.lane());
        assertThat(read.recipientIndexes()).isEqualTo(kept.recipientIndexes());
        assertThat(read.throttledInARow()).isEqualTo(kept.throttledInARow());
        assertThat(read.message()).isEqualTo(kept.message());
    }

    private static void assertCounted(final DrainScheduler keeping, final DrainScheduler reading, final int step)
    {
        final DrainStatus kept = keeping.status();
        final DrainStatus read = reading.status();
        assertThat(List.of(read.ready(), read.paused(), read.deferred(), read.held(), read.inFlight()))
            .as("step %d", step).isEqualTo(List.of(kept.ready(), kept.paused(), kept.deferred(), kept.held(), kept.inFlight()));
        assertThat(read.ready() + read.paused() + read.deferred() + read.held() + read.inFlight())
            .as("every pending message counted once, step %d", step).isEqualTo(reading.pendingCount());
        assertThat(reading.inFlightCount()).isEqualTo(keeping.inFlightCount()).isEqualTo((int)read.inFlight());
    }
}
