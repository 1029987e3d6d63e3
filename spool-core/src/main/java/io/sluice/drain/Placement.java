package io.sluice.drain;

import io.sluice.counters.EnumCounters;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.LongConsumer;
import java.util.function.Predicate;

import io.sluice.spool.Disposition;
import io.sluice.spool.Envelope;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;

/**
 * Where each pending message stands, and keeps every count right as it moves: ready (in the {@link FairTree}),
 * deferred (until its first recipient's retry time, on a timer), held (nothing to send: held, or quarantined because
 * its source is demoted), or in flight (dispatched, until its outcomes come back or the in-flight timeout passes).
 * Drain thread only.
 */
final class Placement
{
    private final DrainContext context;
    private final SchedulerTime time;
    private final EnumCounters<DrainCounter> counters;
    private final FairTree tree;
    private final ReplyFeedback feedback;
    private final Snapshots snapshots;
    /**
     * Flights, oldest dispatch first: the in-flight sweep stops at the first live one not yet due. A flight that ended
     * stays until the sweep or a compaction meets it ({@link MessageEntry.Flight#isLive}): no map node and boxed id per
     * dispatch, and no search to take it out.
     */
    private final ArrayDeque<MessageEntry.Flight> flights = new ArrayDeque<>();
    private int inFlight;
    private final RetryTimers deferTimers = new RetryTimers();
    /** Deferred and held messages kept without an entry: see {@link #place}. */
    private final WaitingIds waiting = new WaitingIds();
    /** False: every deferred and held message keeps its entry, as before (equivalence tests compare the two). */
    private boolean waitBare = true;
    /** Makes and keeps an entry for a message taken from {@link #waiting}, in no state: the scheduler's index. */
    private final BiFunction<PendingMessage, LaneQueue, MessageEntry> entryOf;
    /** Drops a message's entry from the scheduler's index: the message waits bare. */
    private final LongConsumer forget;
    /** Null: demoted mail goes to the demotion lane (no journal to hold it in, or {@code action=suspect-lane}). */
    private QuarantineSink quarantineSink;

    private static final int MIN_FLIGHTS_BEFORE_COMPACTION = 1024;
    /**
     * Messages placed again per tick, from an operator's retry-all and, apart, from retry timers come due: each reads its
     * snapshot back, so ten million in one go would stop the drain thread for seconds (97 s for 10M timers due at once
     * in {@code DrainFootprint}, as after a restart that outlived an outage's retry times); as many as the agent takes
     * events in a duty cycle. What is left is due at once, so the next ticks go on with it.
     */
    private static final int PLACEMENT_SLICE = 4096;

    Placement(final DrainContext context, final SchedulerTime time, final EnumCounters<DrainCounter> counters,
        final FairTree tree, final ReplyFeedback feedback, final Snapshots snapshots,
        final BiFunction<PendingMessage, LaneQueue, MessageEntry> entryOf, final LongConsumer forget)
    {
        this.entryOf = entryOf;
        this.forget = forget;
        this.snapshots = snapshots;
        this.context = context;
        this.time = time;
        this.counters = counters;
        this.tree = tree;
        this.feedback = feedback;
    }

    /** See {@link DrainScheduler#quarantineTo}. */
    void quarantineTo(final QuarantineSink sink)
    {
        quarantineSink = context.demotionQuarantines() ? Objects.requireNonNull(sink, "sink") : null;
    }

    /**
     * Places an entry that is in no state ({@link MessageEntry#NONE}) where its snapshot says it belongs. The snapshot is
     * used here, not kept.
     */
    void place(final MessageEntry entry, final PendingMessage snapshot)
    {
        if ((entry.holdRequest() != null || entry.has(MessageEntry.HOLDING)) && holdForOperator(entry, snapshot))
        {
            return;
        }
        final long nowMillis = time.wallMillis();
        if (quarantineSink != null && quarantine(entry, snapshot, nowMillis))
        {
            return;
        }
        boolean ready = false;
        long nextDue = Long.MAX_VALUE;
        final List<RecipientStatus> statuses = snapshot.recipients();
        for (int i = 0; i < statuses.size(); i++)
        {
            final RecipientStatus status = statuses.get(i);
            if (isReady(entry, status, nowMillis))
            {
                ready = true;
            }
            else if (status.disposition() == Disposition.DEFERRED)
            {
                nextDue = Math.min(nextDue, status.notBeforeMillis());
            }
        }
        final Envelope envelope = snapshot.envelope();
        final LaneQueue lane =
            tree.laneFor(envelope, quarantineSink == null && feedback.isDemoted(envelope.sourceKey(), nowMillis));
        entry.lane = lane;
        if (ready)
        {
            tree.enqueueReady(entry, lane, envelope);
        }
        else if (nextDue != Long.MAX_VALUE)
        {
            lane.deferred++;
            if (canWaitBare(entry, lane, envelope))
            {
                waiting.defer(entry.messageId, nextDue);
                waitBare(entry);
            }
            else
            {
                entry.state = MessageEntry.DEFERRED;
                deferTimers.add(nextDue, ++entry.timerSeq, entry);
            }
        }
        else
        {
            lane.held++;
            if (canWaitBare(entry, lane, envelope))
            {
                waiting.hold(entry.messageId);
                waitBare(entry);
            }
            else
            {
                entry.state = MessageEntry.HELD;
            }
        }
    }

    /**
     * A deferred or held message waits without an entry (in {@link #waiting}, its ages in its lane's {@link BareAges})
     * when the entry remembers nothing its snapshot does not say: no flag (an operator's retry, release or hold, a
     * quarantine on its way, a throttle), no {@link MessageEntry.Flight}, and in its own lane (not the demotion lane,
     * which its snapshot could not name again). An outage defers everything: 10M entries would not fit in -Xmx1g.
     */
    private boolean canWaitBare(final MessageEntry entry, final LaneQueue lane, final Envelope envelope)
    {
        return waitBare && entry.hasNoFlags() && entry.flight == null && lane == tree.laneFor(envelope, false);
    }

    /** The entry of a message now waiting bare, counted in its lane already, goes. */
    private void waitBare(final MessageEntry entry)
    {
        entry.lane.bareAges.add(entry.tenant, entry.receivedAtMillis, entry.contentLength);
        entry.state = MessageEntry.NONE;
        entry.timerSeq++;
        forget.accept(entry.messageId);
    }

    /**
     * Takes a message waiting bare ({@link #canWaitBare}) out of {@link #waiting} and its counts: a snapshot of it came,
     * its retry came due, or an operator asked for it by id. {@code snapshot} is any of its snapshots (its envelope and
     * size, which the counts are by, do not change).
     *
     * @return its lane, or null if it was not waiting bare.
     */
    LaneQueue takeWaiting(final PendingMessage snapshot)
    {
        final byte state = waiting.take(snapshot.messageId());
        if (state == MessageEntry.NONE)
        {
            return null;
        }
        final Envelope envelope = snapshot.envelope();
        final LaneQueue lane = tree.laneFor(envelope, false);
        if (state == MessageEntry.DEFERRED)
        {
            lane.deferred--;
        }
        else
        {
            lane.held--;
        }
        lane.bareAges.remove(envelope.tenant(), envelope.receivedAtMillis(), snapshot.contentLength());
        return lane;
    }

    /** @return true if the message is deferred without an entry. */
    boolean isWaitingDeferred(final long messageId)
    {
        return waiting.isDeferred(messageId);
    }

    /**
     * An operator's retry of every message deferred without an entry: recorded once ({@link WaitingIds#retryAll}), and
     * placed from the next {@link #retryDue}s on, {@link #PLACEMENT_SLICE} a tick, the first slice now.
     *
     * @return how many deferred messages it covers.
     */
    int retryAllWaiting()
    {
        final int count = waiting.retryAll();
        placeRetryAll();
        return count;
    }

    /**
     * A message a retry-all placed bare gets an entry (picked, or taken by a demotion or an operator): the entry
     * remembers the request ({@link MessageEntry#RETRY_NOW}), its id leaves the retry-all set.
     */
    void claimRetried(final MessageEntry entry)
    {
        if (waiting.claimRetried(entry.messageId))
        {
            entry.set(MessageEntry.RETRY_NOW, true);
        }
    }

    /** A message a retry-all placed bare had a snapshot (the next one ends the request) and left its queue. */
    void forgetRetried(final long messageId)
    {
        waiting.claimRetried(messageId);
    }

    /** @return how many deferred or held messages have no entry. */
    int waitingCount()
    {
        return waiting.size();
    }

    /** Keeps an entry for every deferred and held message from now on, as before: for equivalence tests. */
    void keepEntriesWhileWaiting()
    {
        waitBare = false;
    }

    /**
     * Takes the entry out of its state and places it again, by its latest snapshot: the time, a demotion or an operator
     * changed where it belongs. If the spool no longer has it, it stays out of every queue (state {@code NONE}, counted
     * nowhere) until the snapshot that finished it arrives and the scheduler forgets it.
     */
    void move(final MessageEntry entry)
    {
        leave(entry);
        final PendingMessage snapshot = snapshots.get(entry.messageId);
        settle(entry, snapshot);
        if (snapshot != null && !snapshot.isFinished())
        {
            place(entry, snapshot);
        }
    }

    /**
     * A bare message's entry ({@link MessageEntry#BARE_COUNTED}) learns its arrival and size from a snapshot, and its
     * ages leave its lane's bare counts. Call before the entry is placed anywhere. Nothing for any other entry, or
     * without a snapshot (the spool finished it: its last snapshot, on its way, settles it).
     */
    static void settle(final MessageEntry entry, final PendingMessage snapshot)
    {
        if (snapshot != null && entry.has(MessageEntry.BARE_COUNTED))
        {
            entry.facts(snapshot);
            entry.lane.bareAges.remove(entry.tenant, entry.receivedAtMillis, snapshot.contentLength());
            entry.set(MessageEntry.BARE_COUNTED, false);
        }
    }

    /**
     * Places a message told for the first time without an entry, if it needs none: it is ready now and there is nothing
     * to remember about it (not quarantined, not released by an operator). See {@link SourceQueue}.
     *
     * @return true if it is queued bare; false, changing no count, if it needs an entry.
     */
    boolean placeBare(final PendingMessage snapshot)
    {
        return placeBare(snapshot, false);
    }

    /** {@link #placeBare(PendingMessage)}, its deferred recipients ready whatever their retry time if {@code retryNow}. */
    private boolean placeBare(final PendingMessage snapshot, final boolean retryNow)
    {
        final long nowMillis = time.wallMillis();
        final Envelope envelope = snapshot.envelope();
        if (quarantineSink != null && (hasReleased(snapshot) || !feedback.isEmpty()
            && feedback.demotionReason(envelope.sourceKey(), nowMillis) != null))
        {
            return false;
        }
        final List<RecipientStatus> statuses = snapshot.recipients();
        boolean ready = false;
        for (int i = 0; i < statuses.size() && !ready; i++)
        {
            ready = isReady(retryNow, statuses.get(i), nowMillis);
        }
        return ready && tree.enqueueBare(snapshot,
            tree.laneFor(envelope, quarantineSink == null && feedback.isDemoted(envelope.sourceKey(), nowMillis)));
    }

    /** @return true if the recipient can be sent now. */
    static boolean isReady(final MessageEntry entry, final RecipientStatus status, final long nowMillis)
    {
        return isReady(entry.has(MessageEntry.RETRY_NOW), status, nowMillis);
    }

    private static boolean isReady(final boolean retryNow, final RecipientStatus status, final long nowMillis)
    {
        return switch (status.disposition())
        {
            case PENDING, RELEASED -> true;
            case DEFERRED -> retryNow || status.notBeforeMillis() <= nowMillis;
            default -> false;
        };
    }

    /**
     * Quarantines the message if its source or network is demoted and it has something to send that no operator
     * released: it is handed to the sink once and held here until the journal's snapshot of the hold comes back.
     * Strict lanes (notifications) are never quarantined, as they are never demoted. No allocation unless it
     * quarantines: the common case is an empty policy map.
     *
     * @return true if the entry is now held for quarantine.
     */
    private boolean quarantine(final MessageEntry entry, final PendingMessage snapshot, final long nowMillis)
    {
        if (!entry.has(MessageEntry.QUARANTINING))
        {
            if (entry.has(MessageEntry.RELEASED) || hasReleased(snapshot))
            {
                // An operator (or containment's release) let it go: it is sent in its own lane, whatever the demotion,
                // also after a deferral has replaced its RELEASED status.
                entry.set(MessageEntry.RELEASED, true);
                return false;
            }
            if (feedback.isEmpty())
            {
                return false;
            }
            final Envelope envelope = snapshot.envelope();
            final String reason = feedback.demotionReason(envelope.sourceKey(), nowMillis);
            if (reason == null || !hasSendable(snapshot) || tree.isStrictLane(envelope))
            {
                return false;
            }
            entry.set(MessageEntry.QUARANTINING, true);
            counters.increment(DrainCounter.QUARANTINED);
            quarantineSink.quarantine(snapshot, reason);
        }
        final LaneQueue lane = tree.laneFor(snapshot.envelope(), false);
        entry.lane = lane;
        entry.state = MessageEntry.HELD;
        lane.held++;
        return true;
    }

    /**
     * An operator's hold ({@link DrainScheduler#hold}): handed to its journal the first time the entry is placed after
     * the request, then held until the journal's snapshot shows it. The journal may find nothing left to hold.
     *
     * @return true if the entry is now held for the operator.
     */
    private boolean holdForOperator(final MessageEntry entry, final PendingMessage snapshot)
    {
        final Predicate<PendingMessage> journal = entry.holdRequest();
        if (journal != null)
        {
            entry.holdRequest(null);
            entry.set(MessageEntry.HOLDING, journal.test(snapshot));
        }
        if (!entry.has(MessageEntry.HOLDING))
        {
            return false;
        }
        final LaneQueue lane = tree.laneFor(snapshot.envelope(), false);
        entry.lane = lane;
        entry.state = MessageEntry.HELD;
        lane.held++;
        return true;
    }

    /** @return true if a recipient waits to be sent (pending, deferred or released): what an operator's hold keeps. */
    static boolean waitsToBeSent(final PendingMessage message)
    {
        return hasSendable(message) || hasReleased(message);
    }

    private static boolean hasReleased(final PendingMessage message)
    {
        final List<RecipientStatus> statuses = message.recipients();
        for (int i = 0; i < statuses.size(); i++)
        {
            if (statuses.get(i).disposition() == Disposition.RELEASED)
            {
                return true;
            }
        }
        return false;
    }

    /** @return true if a recipient is waiting to be sent (pending or deferred), which a quarantine would hold. */
    static boolean hasSendable(final PendingMessage message)
    {
        final List<RecipientStatus> statuses = message.recipients();
        for (int i = 0; i < statuses.size(); i++)
        {
            final Disposition disposition = statuses.get(i).disposition();
            if (disposition == Disposition.PENDING || disposition == Disposition.DEFERRED)
            {
                return true;
            }
        }
        return false;
    }

    /** Takes the entry out of whatever state it is in, keeping every count right. */
    void leave(final MessageEntry entry)
    {
        switch (entry.state)
        {
            case MessageEntry.READY -> tree.removeReady(entry);
            case MessageEntry.DEFERRED -> entry.lane.deferred--;
            case MessageEntry.HELD -> entry.lane.held--;
            case MessageEntry.IN_FLIGHT ->
            {
                entry.lane.inFlight--;
                inFlight--;
                entry.flight.dispatch = null;
                forget(entry.flight);
            }
            default ->
            {
            }
        }
        entry.state = MessageEntry.NONE;
        entry.timerSeq++;
        entry.dropIdleFlight();
    }

    /**
     * Puts an entry the fair tree picked in flight with its dispatch. A new {@link MessageEntry.Flight} each time (the
     * streak and a waiting hold carried over): the one allocation this adds per dispatch replaces the map node and
     * boxed id the in-flight map made.
     */
    void fly(final MessageEntry entry, final Dispatch dispatch, final long nowNanos)
    {
        final MessageEntry.Flight previous = entry.flight;
        final MessageEntry.Flight flight = new MessageEntry.Flight(entry);
        if (previous != null)
        {
            flight.throttleStreak = previous.throttleStreak;
            flight.lastThrottleNanos = previous.lastThrottleNanos;
            flight.holdRequest = previous.holdRequest;
        }
        flight.dispatch = dispatch;
        flight.dispatchedAtNanos = nowNanos;
        entry.flight = flight;
        entry.state = MessageEntry.IN_FLIGHT;
        entry.lane.inFlight++;
        inFlight++;
        flights.addLast(flight);
        if (flights.size() > 2 * inFlight + MIN_FLIGHTS_BEFORE_COMPACTION)
        {
            // Flights that ended are only met by the sweep once they reach the head; a long in-flight timeout would
            // let them pile up behind one slow dispatch. Amortised O(1): at least half of what is walked goes.
            flights.removeIf(kept -> !kept.isLive());
        }
    }

    /**
     * Takes an ended flight out at once when it is at either end of the queue, as it mostly is (the last dispatch, or the
     * oldest): the sweep and the compaction then seldom meet it, each meeting costing a read of an entry long out of cache.
     */
    private void forget(final MessageEntry.Flight ended)
    {
        if (flights.peekLast() == ended)
        {
            flights.pollLast();
        }
        else if (flights.peekFirst() == ended)
        {
            flights.pollFirst();
        }
    }

    int inFlightCount()
    {
        return inFlight;
    }

    /**
     * Places again the deferred messages whose retry time came, at most {@link #PLACEMENT_SLICE} timers a call (the rest
     * stay due: {@link #millisUntilRetry} says 0), then the next slice of a retry-all.
     *
     * @return how many were placed again.
     */
    int retryDue(final long nowMillis)
    {
        int work = 0;
        int polled = 0;
        while (polled < PLACEMENT_SLICE && !deferTimers.isEmpty() && deferTimers.firstDueMillis() <= nowMillis)
        {
            polled++;
            final MessageEntry entry = deferTimers.pollLive();
            if (entry != null)
            {
                move(entry);
                work++;
            }
        }
        while (polled < PLACEMENT_SLICE && waiting.hasDue(nowMillis))
        {
            polled++;
            final long id = waiting.pollDue();
            if (id != 0 && placeWaiting(id, false))
            {
                work++;
            }
        }
        return work + placeRetryAll();
    }

    /**
     * Places the next {@link #PLACEMENT_SLICE} messages of a retry-all ({@link #placeWaiting}, ready whatever their
     * retry time).
     *
     * @return how many were placed.
     */
    private int placeRetryAll()
    {
        int placed = 0;
        long id;
        while (placed < PLACEMENT_SLICE && (id = waiting.pollRetryAll()) != 0)
        {
            if (placeWaiting(id, true))
            {
                placed++;
            }
        }
        return placed;
    }

    /**
     * Places a message deferred without an entry, by its snapshot: bare in its source queue if it can be, else with an
     * entry (as {@link #move} places one). For a retry come due ({@code retryNow} false) a message not yet due by its
     * snapshot (an earlier timer of the message's, left from before it was deferred again) is simply deferred again,
     * bare. For a retry-all ({@code retryNow}) its deferred recipients are ready whatever their retry time: placed bare,
     * its id is kept, negated, in the retry-all set until it is picked; given an entry, the entry remembers the request.
     * Without a snapshot (the spool finished it: the snapshot saying so is on its way) it stays counted until that
     * snapshot takes it out.
     *
     * @return true if it was placed.
     */
    private boolean placeWaiting(final long id, final boolean retryNow)
    {
        final PendingMessage snapshot = snapshots.get(id);
        if (snapshot == null || snapshot.isFinished())
        {
            return false;
        }
        final LaneQueue lane = takeWaiting(snapshot);
        if (placeBare(snapshot, retryNow))
        {
            if (retryNow)
            {
                waiting.retriedBare(id);
            }
            return true;
        }
        final MessageEntry entry = entryOf.apply(snapshot, lane);
        if (retryNow)
        {
            entry.set(MessageEntry.RETRY_NOW, true);
        }
        place(entry, snapshot);
        return true;
    }

    /** @return milliseconds until the first deferred message's retry time; {@code Long.MAX_VALUE} for none. */
    long millisUntilRetry(final long nowMillis)
    {
        if (waiting.hasRetryAll())
        {
            return 0;
        }
        final long first = Math.min(deferTimers.isEmpty() ? Long.MAX_VALUE : deferTimers.firstDueMillis(),
            waiting.firstDueMillis());
        return first == Long.MAX_VALUE ? Long.MAX_VALUE : first - nowMillis;
    }

    /**
     * Places again every dispatch in flight longer than the timeout: its outcomes never came back (at-least-once).
     *
     * @return how many.
     */
    int expireFlights(final long nowNanos, final long timeoutNanos)
    {
        int expired = 0;
        MessageEntry.Flight head;
        while ((head = flights.peekFirst()) != null)
        {
            if (head.isLive())
            {
                if (nowNanos - head.dispatchedAtNanos < timeoutNanos)
                {
                    break;
                }
                counters.increment(DrainCounter.FLIGHTS_EXPIRED);
                flights.pollFirst();
                move(head.entry);
                expired++;
            }
            else
            {
                flights.pollFirst();
            }
        }
        return expired;
    }
}
