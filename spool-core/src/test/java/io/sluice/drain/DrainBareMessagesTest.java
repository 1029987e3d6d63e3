package io.sluice.drain;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.NavigableMap;
import java.util.Random;
import java.util.TreeMap;

import io.sluice.spool.Disposition;
import io.sluice.spool.Envelope;
import io.sluice.spool.MutableClock;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;
import org.junit.jupiter.api.Test;

/**
 * A backlog's ready messages are kept bare, an id and no entry, until a second snapshot, a pick, a demotion or an
 * operator needs one; deferred and held messages wait bare too ({@link WaitingIds}) while their entry would
 * remember nothing their snapshot does not say. The drain must behave exactly as one that gives every message an
 * entry (as it did before): two schedulers on one clock, one of each, are walked through the same random life of a
 * backlog and must make the same dispatches and report the same counts, ages and bytes at every step.
 */
class DrainBareMessagesTest
{
    private static final long MINUTE = 60_000;
    private static final String[] SOURCES =
        {"192.0.2.1", "192.0.2.2", "192.0.2.3", "198.51.100.7", "198.51.100.8", "203.0.113.9", "203.0.113.10"};
    private static final String[] ROUTES = {"default", "notifications"};

    private final MutableClock clock = new MutableClock(SimulatedDrain.START_MILLIS);
    /** The spool: the latest snapshot of every pending message, which both schedulers read. */
    private final NavigableMap<Long, PendingMessage> latest = new TreeMap<>();
    private final List<PendingMessage> quarantinedByEntries = new ArrayList<>();
    private final List<PendingMessage> quarantinedByBare = new ArrayList<>();
    private DrainScheduler entries;
    private DrainScheduler bare;

    @Test
    void shouldBehaveAsADrainWithAnEntryPerMessageWithTheSuspectLane()
    {
        walk("suspect-lane", 18);
    }

    @Test
    void shouldBehaveAsADrainWithAnEntryPerMessageWithTheQuarantine()
    {
        walk("quarantine", 19);
    }

    @Test
    void shouldKeepAFloodBareAndCountItOnce()
    {
        start("quarantine");
        long bytes = 0;
        for (int i = 0; i < 1_000; i++)
        {
            bytes += tell(message(SOURCES[i % 3], "default", "mail", 1, clock.millis() - i * 1000L)).contentLength();
        }
        assertThat(bare.pendingCount()).isEqualTo(1_000);
        assertThat(bare.status().ready()).isEqualTo(1_000);
        assertThat(bare.status().ages().lanes().get(0).bytes()).isEqualTo(bytes);
        assertThat(rows(bare.status().ages())).isEqualTo(rows(entries.status().ages()));
        final Dispatch first = bare.next("default");
        assertThat(first.messageId()).as("oldest first").isEqualTo(entries.next("default").messageId());
        assertThat(bare.isInFlight(first.messageId())).isTrue();
    }

    private void start(final String demotionAction)
    {
        entries = twin(demotionAction);
        entries.keepEntriesForEveryMessage();
        bare = twin(demotionAction);
        entries.readFrom(latest::get);
        bare.readFrom(latest::get);
        if (demotionAction.equals("quarantine"))
        {
            entries.quarantineTo((message, reason) -> quarantinedByEntries.add(message));
            bare.quarantineTo((message, reason) -> quarantinedByBare.add(message));
        }
    }

    private void walk(final String demotionAction, final long seed)
    {
        start(demotionAction);
        final Random random = new Random(seed);
        final List<Dispatch[]> flights = new ArrayList<>();
        int mostWaitingBare = 0;
        for (int step = 0; step < 6_000; step++)
        {
            final int action = random.nextInt(100);
            if (action < 28)
            {
                tell(randomMessage(random));
            }
            else if (action < 50)
            {
                final String route = ROUTES[random.nextInt(ROUTES.length)];
                final Dispatch kept = entries.next(route);
                final Dispatch read = bare.next(route);
                DrainSnapshotSourceTest.assertSame(kept, read);
                if (kept != null)
                {
                    flights.add(new Dispatch[] {kept, read});
                }
            }
            else if (action < 68 && !flights.isEmpty())
            {
                resolve(flights.remove(random.nextInt(flights.size())), random);
            }
            else if (action < 72 && !flights.isEmpty())
            {
                final Dispatch[] flight = flights.remove(random.nextInt(flights.size()));
                if (random.nextBoolean())
                {
                    entries.returnUndelivered(flight[0]);
                    bare.returnUndelivered(flight[1]);
                }
                else
                {
                    entries.requeueThrottled(flight[0], true);
                    bare.requeueThrottled(flight[1], true);
                }
            }
            else if (action < 75 && !latest.isEmpty())
            {
                holdById(randomPending(random));
            }
            else if (action < 80 && !latest.isEmpty())
            {
                toldByAnotherStage(latest.get(randomPending(random)), random);
            }
            else if (action < 82 && !latest.isEmpty())
            {
                final List<Long> ids = List.of(randomPending(random), randomPending(random));
                assertThat(bare.retryNow(ids)).isEqualTo(entries.retryNow(ids));
            }
            else if (action < 85)
            {
                pauseOrResume(random);
            }
            else if (action < 86)
            {
                assertThat(bare.retryDeferredNow()).isEqualTo(entries.retryDeferredNow());
            }
            else
            {
                clock.advanceMillis(random.nextInt(30_000));
            }
            journalQuarantines(step);
            assertCounted(step);
            assertThat(entries.waitingBareCount()).isZero();
            mostWaitingBare = Math.max(mostWaitingBare, bare.waitingBareCount());
        }
        assertThat(mostWaitingBare).as("deferred and held messages waited without an entry").isGreaterThan(50);
        assertThat(bare.counters().get(DrainCounter.DISPATCHES)).as("it sent").isGreaterThan(300);
        for (final DrainCounter walked : List.of(DrainCounter.DISPATCHES_RETURNED, DrainCounter.THROTTLED_REQUEUED,
            DrainCounter.RETRIED_NOW, DrainCounter.SOURCES_DEMOTED, DrainCounter.DEFERRED))
        {
            assertThat(bare.counters().get(walked)).as("the walk went through %s", walked).isPositive();
        }
        assertThat(bare.status().held()).as("it held some").isPositive();
        assertThat(bare.pendingCount()).as("a backlog was left").isPositive();
    }

    private PendingMessage randomMessage(final Random random)
    {
        // Arrivals on whole seconds: the bare counts keep ages to the second (BareAges), the entries to the millisecond.
        final long receivedAt = (clock.millis() / 1000 - random.nextInt(3 * 24 * 3600)) * 1000;
        final PendingMessage message = message(SOURCES[random.nextInt(SOURCES.length)], random.nextBoolean() ? "default" : "t2",
            random.nextInt(8) == 0 ? "notifications" : "mail", 1 + random.nextInt(3), receivedAt);
        return switch (random.nextInt(10))
        {
            case 0 -> Mail.all(message, RecipientStatus.deferred(1, clock.millis() + random.nextInt(120_000), "451 later"));
            case 1 -> Mail.all(message, RecipientStatus.deferred(1, clock.millis() - 1, "451 due already"));
            case 2 -> Mail.with(message, 0, new RecipientStatus(Disposition.HELD, 0, 0, "containment: held"));
            default -> message;
        };
    }

    private static PendingMessage message(final String source, final String tenant, final String lane, final int recipients,
        final long receivedAtMillis)
    {
        final PendingMessage message = Mail.message(source, tenant, lane, recipients, receivedAtMillis);
        final Envelope envelope = message.envelope();
        // Sizes differ, so that the bytes are checked.
        return new PendingMessage(message.messageId(), envelope, 100 + message.messageId() % 5000,
            Collections.nCopies(recipients, RecipientStatus.NEW));
    }

    private long randomPending(final Random random)
    {
        return latest.keySet().stream().skip(random.nextInt(latest.size())).findFirst().orElseThrow();
    }

    /** Another stage journaled something of a message (containment, expiry, an operator's release) or it is told again. */
    private void toldByAnotherStage(final PendingMessage message, final Random random)
    {
        switch (random.nextInt(4))
        {
            case 0 -> tell(message);
            case 1 -> tell(Mail.all(message, new RecipientStatus(Disposition.HELD, 0, 0, "containment: held")));
            case 2 -> tell(Mail.all(message, new RecipientStatus(Disposition.RELEASED, 0, 0, "released by an operator")));
            default -> tell(Mail.all(message, RecipientStatus.failed(0, "expired")));
        }
    }

    private void holdById(final long id)
    {
        final List<PendingMessage> journaledByEntries = new ArrayList<>();
        final List<PendingMessage> journaledByBare = new ArrayList<>();
        assertThat(bare.hold(List.of(id), journaledByBare::add)).isEqualTo(entries.hold(List.of(id), journaledByEntries::add));
        assertThat(journaledByBare).isEqualTo(journaledByEntries);
        for (final PendingMessage message : journaledByEntries)
        {
            tell(Mail.all(message, new RecipientStatus(Disposition.HELD, 0, 0, "held by an operator")));
        }
    }

    private void pauseOrResume(final Random random)
    {
        final String source = SOURCES[random.nextInt(SOURCES.length)];
        final boolean pause = random.nextBoolean();
        final boolean tenant = random.nextInt(4) == 0;
        for (final DrainScheduler scheduler : List.of(entries, bare))
        {
            if (tenant)
            {
                scheduler.switches().pauseTenant("t2");
            }
            if (pause)
            {
                scheduler.switches().pauseSource(source);
            }
            else
            {
                scheduler.switches().resumeSource(source);
                scheduler.switches().resumeTenant("t2");
            }
        }
    }

    /** What the daemon's quarantine does: journal the hold, whose snapshot comes back. Both must have asked the same. */
    private void journalQuarantines(final int step)
    {
        assertThat(ids(quarantinedByBare)).as("step %d", step).containsExactlyInAnyOrderElementsOf(ids(quarantinedByEntries));
        final List<PendingMessage> held = new ArrayList<>(quarantinedByEntries);
        quarantinedByEntries.clear();
        quarantinedByBare.clear();
        for (final PendingMessage message : held)
        {
            tell(Mail.all(message, new RecipientStatus(Disposition.HELD, 0, 0, QuarantineSink.DETAIL_PREFIX + "demoted")));
        }
    }

    private static List<Long> ids(final List<PendingMessage> messages)
    {
        return messages.stream().map(PendingMessage::messageId).toList();
    }

    /** Replies to every recipient of the flight, as the outcome stage would, and journals the outcomes. */
    private void resolve(final Dispatch[] flight, final Random random)
    {
        PendingMessage outcome = latest.get(flight[0].messageId());
        if (outcome == null)
        {
            return;
        }
        for (final int index : flight[0].recipientIndexes())
        {
            final String reply = switch (random.nextInt(6))
            {
                case 0 -> "451 4.3.0 later";
                case 1 -> "550 5.1.1 unknown";
                case 2 -> "554 5.7.1 policy";
                case 3 -> "421 4.7.0 slow down";
                default -> "250 2.0.0 ok";
            };
            final ReplyOutcome kept = Replies.onReply(entries, flight[0], index, SmtpReply.parse(reply));
            Replies.onReply(bare, flight[1], index, SmtpReply.parse(reply));
            outcome = Mail.with(outcome, index, kept.status());
        }
        tell(outcome);
    }

    private DrainScheduler twin(final String demotionAction)
    {
        return new DrainScheduler(SimulatedDrain.context(50, 5).demotionAction(demotionAction).clock(clock)
            .random(new Random(7)));
    }

    private PendingMessage tell(final PendingMessage message)
    {
        if (message.isFinished())
        {
            latest.remove(message.messageId());
        }
        else
        {
            latest.put(message.messageId(), message);
        }
        entries.onSnapshot(message);
        bare.onSnapshot(message);
        return message;
    }

    private void assertCounted(final int step)
    {
        final DrainStatus kept = entries.status();
        final DrainStatus read = bare.status();
        assertThat(List.of(read.ready(), read.paused(), read.deferred(), read.held(), read.inFlight()))
            .as("step %d", step).isEqualTo(List.of(kept.ready(), kept.paused(), kept.deferred(), kept.held(), kept.inFlight()));
        assertThat(read.ready() + read.paused() + read.deferred() + read.held() + read.inFlight())
            .as("every pending message counted once, step %d", step).isEqualTo(bare.pendingCount());
        assertThat(bare.pendingCount()).isEqualTo(entries.pendingCount());
        assertThat(bare.inFlightCount()).isEqualTo(entries.inFlightCount());
        assertThat(rows(read.ages())).as("ages, step %d", step).isEqualTo(rows(kept.ages()));
        assertThat(read.ages().oldestReceivedAtMillis()).isEqualTo(kept.ages().oldestReceivedAtMillis());
        assertThat(read.routes()).as("step %d", step).isEqualTo(kept.routes());
    }

    private static List<String> rows(final DrainStatus.PendingAges ages)
    {
        final List<String> rows = new ArrayList<>();
        for (final List<DrainStatus.AgeRow> list : List.of(ages.lanes(), ages.tenants()))
        {
            for (final DrainStatus.AgeRow row : list)
            {
                rows.add(row.route() + "/" + row.lane() + "/" + row.tenant() + " " + java.util.Arrays.toString(row.byAge())
                    + " " + row.bytes());
            }
        }
        rows.add("left out " + ages.tenantRowsLeftOut());
        return rows;
    }
}
