package io.sluice.drain;

import java.util.function.Predicate;

import io.sluice.spool.PendingMessage;

/**
 * The scheduler's record of one pending message: the compact facts it schedules by, not the message. Its snapshot
 * (envelope, recipients' statuses) stays in the spool and is read back by id ({@link SnapshotSource}) when the message
 * is placed, dispatched or handed to the quarantine: keeping it here kept every backlog envelope alive twice once the
 * spool's own index stopped holding it. 56 bytes with compressed references (12 header, 2 longs, 5 references or
 * ints, 2 bytes), against 80 plus the snapshot before. What only a message in flight, throttled or held by an
 * operator needs lives in its {@link Flight}, allocated for those few. Drain thread only.
 */
final class MessageEntry
{
    static final byte NONE = 0;
    static final byte READY = 1;
    static final byte DEFERRED = 2;
    static final byte HELD = 3;
    static final byte IN_FLIGHT = 4;

    /** An operator asked to retry now: its deferred recipients are ready whatever their retry time, until the next snapshot. */
    static final int RETRY_NOW = 1;
    /** Handed to the quarantine sink: held until a snapshot shows the hold (or anything else) journaled. */
    static final int QUARANTINING = 1 << 1;
    /** An operator released it (a {@code RELEASED} status seen): never quarantined again while this process runs. */
    static final int RELEASED = 1 << 2;
    /** An operator's hold was handed to its journal: held until a snapshot shows nothing waiting to be sent. */
    static final int HOLDING = 1 << 3;
    /** Its dispatch now in flight drew a throttle reply: the streak goes on when the flight resolves. */
    static final int THROTTLED_THIS_FLIGHT = 1 << 4;
    /**
     * Made for a bare message taken from its queue (picked, or moved by a demotion) before its snapshot was read: its
     * ages are still in its lane's {@link BareAges}, and its {@link #receivedAtMillis} and {@link #contentLength} not
     * yet known, until {@code Placement.settle} reads them from its snapshot.
     */
    static final int BARE_COUNTED = 1 << 5;

    final long messageId;
    /** From its envelope, for the status's backlog ages. */
    long receivedAtMillis;
    /** From its envelope, interned by the scheduler (one string per tenant, not per message): the ages' rows. */
    final String tenant;
    /** The raw size, for the ages' bytes; a message is far below 2 GiB ({@code spool.maxMessageBytes}). */
    int contentLength;
    byte state = NONE;
    /**
     * {@link #RETRY_NOW}, {@link #QUARANTINING}, {@link #RELEASED}, {@link #HOLDING}, {@link #THROTTLED_THIS_FLIGHT},
     * {@link #BARE_COUNTED}.
     */
    private byte flags;
    /** Moves on at every change of state, so a retry timer set for an earlier state is ignored. Compared, never ordered. */
    int timerSeq;
    /** The lane queue whose counts include this entry (deferred, held, in flight), or whose tree holds it (ready). */
    LaneQueue lane;
    /** The source queue holding it while ready. */
    FairNode leaf;
    /** Null unless it is in flight, drew throttles in a row, or waits to hand an operator's hold to its journal. */
    Flight flight;

    MessageEntry(final PendingMessage snapshot, final String tenant)
    {
        this.messageId = snapshot.messageId();
        this.tenant = tenant;
        facts(snapshot);
    }

    /** A bare message's entry, made as it leaves its queue: {@link #BARE_COUNTED} until its snapshot is read. */
    MessageEntry(final long messageId, final String tenant, final LaneQueue lane)
    {
        this.messageId = messageId;
        this.tenant = tenant;
        this.lane = lane;
        this.flags = BARE_COUNTED;
    }

    /** Takes the facts the ages count from the message's snapshot. */
    void facts(final PendingMessage snapshot)
    {
        receivedAtMillis = snapshot.envelope().receivedAtMillis();
        contentLength = (int)Math.min(Integer.MAX_VALUE, snapshot.contentLength());
    }

    boolean has(final int flag)
    {
        return (flags & flag) != 0;
    }

    /** @return true if no flag is set: the entry remembers nothing beyond its state. */
    boolean hasNoFlags()
    {
        return flags == 0;
    }

    void set(final int flag, final boolean on)
    {
        flags = (byte)(on ? flags | flag : flags & ~flag);
    }

    /** @return the dispatch it is in flight with; null when it is not in flight. */
    Dispatch dispatch()
    {
        return state == IN_FLIGHT ? flight.dispatch : null;
    }

    /** @return throttle replies in a row this message drew, each put it back at the head of its queue: see {@link Dispatch}. */
    int throttleStreak()
    {
        return flight == null ? 0 : flight.throttleStreak;
    }

    /** Ends the streak of throttles: a snapshot showed an outcome the flight drew that was not a throttle. */
    void endThrottleStreak()
    {
        if (flight != null)
        {
            flight.throttleStreak = 0;
            dropIdleFlight();
        }
    }

    /** @return an operator's hold not yet handed to its journal; null for none. */
    Predicate<PendingMessage> holdRequest()
    {
        return flight == null ? null : flight.holdRequest;
    }

    void holdRequest(final Predicate<PendingMessage> journal)
    {
        if (journal != null || flight != null)
        {
            extras().holdRequest = journal;
            dropIdleFlight();
        }
    }

    /** @return its {@link Flight}, made if it has none. */
    Flight extras()
    {
        if (flight == null)
        {
            flight = new Flight(this);
        }
        return flight;
    }

    /** Lets the {@link Flight} go once it keeps nothing: not in flight, no streak, no hold waiting. */
    void dropIdleFlight()
    {
        if (flight != null && state != IN_FLIGHT && flight.throttleStreak == 0 && flight.holdRequest == null)
        {
            flight = null;
        }
    }

    /**
     * What only a few entries need: the dispatch in flight and when it left, the streak of throttles, an operator's
     * hold waiting for the next placement. A new one is made for each dispatch (the streak and hold carried over), so
     * {@link Placement}'s queue of flights can tell a flight that ended from the one now under way.
     */
    static final class Flight
    {
        final MessageEntry entry;
        Dispatch dispatch;
        long dispatchedAtNanos;
        int throttleStreak;
        /** When the last throttle that counted in {@link #throttleStreak} came, scheduler nanos. */
        long lastThrottleNanos;
        /** An operator's hold, not yet handed to its journal: handed when the entry is next placed (after any flight). */
        Predicate<PendingMessage> holdRequest;

        Flight(final MessageEntry entry)
        {
            this.entry = entry;
        }

        /** @return true while this is the flight its entry is in. */
        boolean isLive()
        {
            return entry.flight == this && entry.state == IN_FLIGHT;
        }
    }
}
