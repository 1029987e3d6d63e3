package io.sluice.drain;

import io.sluice.counters.EnumCounters;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;
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
    /** In flight, oldest dispatch first: the in-flight sweep stops at the first that is not yet due. */
    private final LinkedHashMap<Long, MessageEntry> inFlight = new LinkedHashMap<>();
    private final PriorityQueue<DeferTimer> deferTimers = new PriorityQueue<>(Comparator.comparingLong(DeferTimer::dueMillis));
    /** Null: demoted mail goes to the demotion lane (no journal to hold it in, or {@code action=suspect-lane}). */
    private QuarantineSink quarantineSink;

    private record DeferTimer(long dueMillis, long seq, MessageEntry entry)
    {
    }

    Placement(final DrainContext context, final SchedulerTime time, final EnumCounters<DrainCounter> counters,
        final FairTree tree, final ReplyFeedback feedback)
    {
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

    /** Places an entry that is in no state ({@link MessageEntry#NONE}) where its latest snapshot says it belongs. */
    void place(final MessageEntry entry)
    {
        if ((entry.holdRequest != null || entry.holding) && holdForOperator(entry))
        {
            return;
        }
        final long nowMillis = time.wallMillis();
        if (quarantineSink != null && quarantine(entry, nowMillis))
        {
            return;
        }
        boolean ready = false;
        long nextDue = Long.MAX_VALUE;
        for (final RecipientStatus status : entry.snapshot.recipients())
        {
            if (isReady(entry, status, nowMillis))
            {
                ready = true;
            }
            else if (status.disposition() == Disposition.DEFERRED)
            {
                nextDue = Math.min(nextDue, status.notBeforeMillis());
            }
        }
        final Envelope envelope = entry.snapshot.envelope();
        final LaneQueue lane =
            tree.laneFor(envelope, quarantineSink == null && feedback.isDemoted(envelope.sourceKey(), nowMillis));
        entry.lane = lane;
        if (ready)
        {
            tree.enqueueReady(entry, lane);
        }
        else if (nextDue != Long.MAX_VALUE)
        {
            entry.state = MessageEntry.DEFERRED;
            lane.deferred++;
            deferTimers.add(new DeferTimer(nextDue, ++entry.timerSeq, entry));
        }
        else
        {
            entry.state = MessageEntry.HELD;
            lane.held++;
        }
    }

    /** Takes the entry out of its state and places it again: its snapshot, the time or a demotion changed. */
    void move(final MessageEntry entry)
    {
        leave(entry);
        place(entry);
    }

    /** @return true if the recipient can be sent now. */
    static boolean isReady(final MessageEntry entry, final RecipientStatus status, final long nowMillis)
    {
        return switch (status.disposition())
        {
            case PENDING, RELEASED -> true;
            case DEFERRED -> entry.retryNow || status.notBeforeMillis() <= nowMillis;
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
    private boolean quarantine(final MessageEntry entry, final long nowMillis)
    {
        if (!entry.quarantining)
        {
            if (entry.released || hasReleased(entry.snapshot))
            {
                // An operator (or containment's release) let it go: it is sent in its own lane, whatever the demotion,
                // also after a deferral has replaced its RELEASED status.
                entry.released = true;
                return false;
            }
            if (feedback.isEmpty())
            {
                return false;
            }
            final Envelope envelope = entry.snapshot.envelope();
            final String reason = feedback.demotionReason(envelope.sourceKey(), nowMillis);
            if (reason == null || !hasSendable(entry.snapshot) || tree.isStrictLane(envelope))
            {
                return false;
            }
            entry.quarantining = true;
            counters.increment(DrainCounter.QUARANTINED);
            quarantineSink.quarantine(entry.snapshot, reason);
        }
        final LaneQueue lane = tree.laneFor(entry.snapshot.envelope(), false);
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
    private boolean holdForOperator(final MessageEntry entry)
    {
        if (entry.holdRequest != null)
        {
            final Predicate<PendingMessage> journal = entry.holdRequest;
            entry.holdRequest = null;
            entry.holding = journal.test(entry.snapshot);
        }
        if (!entry.holding)
        {
            return false;
        }
        final LaneQueue lane = tree.laneFor(entry.snapshot.envelope(), false);
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
                inFlight.remove(entry.messageId);
                entry.dispatch = null;
            }
            default ->
            {
            }
        }
        entry.state = MessageEntry.NONE;
        entry.timerSeq++;
    }

    /** Puts an entry the fair tree picked in flight with its dispatch. */
    void fly(final MessageEntry entry, final Dispatch dispatch, final long nowNanos)
    {
        entry.state = MessageEntry.IN_FLIGHT;
        entry.dispatch = dispatch;
        entry.dispatchedAtNanos = nowNanos;
        entry.lane.inFlight++;
        inFlight.put(entry.messageId, entry);
    }

    int inFlightCount()
    {
        return inFlight.size();
    }

    /** @return how many deferred messages whose retry time came were placed again. */
    int retryDue(final long nowMillis)
    {
        int work = 0;
        while (!deferTimers.isEmpty() && deferTimers.peek().dueMillis() <= nowMillis)
        {
            final DeferTimer timer = deferTimers.poll();
            final MessageEntry entry = timer.entry();
            if (entry.state == MessageEntry.DEFERRED && entry.timerSeq == timer.seq())
            {
                move(entry);
                work++;
            }
        }
        return work;
    }

    /** @return milliseconds until the first deferred message's retry time; {@code Long.MAX_VALUE} for none. */
    long millisUntilRetry(final long nowMillis)
    {
        return deferTimers.isEmpty() ? Long.MAX_VALUE : deferTimers.peek().dueMillis() - nowMillis;
    }

    /**
     * Places again every dispatch in flight longer than the timeout: its outcomes never came back (at-least-once).
     *
     * @return how many.
     */
    int expireFlights(final long nowNanos, final long timeoutNanos)
    {
        List<MessageEntry> expired = null;
        for (final MessageEntry entry : inFlight.values())
        {
            if (nowNanos - entry.dispatchedAtNanos < timeoutNanos)
            {
                break;
            }
            if (expired == null)
            {
                expired = new ArrayList<>();
            }
            expired.add(entry);
        }
        if (expired == null)
        {
            return 0;
        }
        for (final MessageEntry entry : expired)
        {
            counters.increment(DrainCounter.FLIGHTS_EXPIRED);
            move(entry);
        }
        return expired.size();
    }
}
