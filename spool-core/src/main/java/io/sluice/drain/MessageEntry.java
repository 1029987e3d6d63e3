package io.sluice.drain;

import java.util.function.Predicate;

import io.sluice.spool.PendingMessage;

/** The scheduler's record of one pending message: its latest snapshot and where it stands. Drain thread only. */
final class MessageEntry
{
    static final int NONE = 0;
    static final int READY = 1;
    static final int DEFERRED = 2;
    static final int HELD = 3;
    static final int IN_FLIGHT = 4;

    final long messageId;
    PendingMessage snapshot;
    int state = NONE;
    /** The lane queue whose counts include this entry (deferred, held, in flight), or whose tree holds it (ready). */
    LaneQueue lane;
    /** The source queue holding it while ready. */
    FairNode leaf;
    long timerSeq;
    /** The dispatch it is in flight with. */
    Dispatch dispatch;
    long dispatchedAtNanos;
    /** An operator asked to retry now: its deferred recipients are ready whatever their retry time, until the next snapshot. */
    boolean retryNow;
    /** Handed to the quarantine sink: held until a snapshot shows the hold (or anything else) journaled. */
    boolean quarantining;
    /** An operator released it (a {@code RELEASED} status seen): never quarantined again while this process runs. */
    boolean released;
    /** An operator's hold, not yet handed to its journal: handed when the entry is next placed (after any flight). */
    Predicate<PendingMessage> holdRequest;
    /** An operator's hold was handed to its journal: held until a snapshot shows nothing waiting to be sent. */
    boolean holding;

    /** Throttle replies in a row this message drew, each put it back at the head of its queue: see {@link Dispatch}. */
    int throttleStreak;
    /** Its dispatch now in flight drew a throttle reply: the streak goes on when the flight resolves. */
    boolean throttledThisFlight;
    /** When the last throttle that counted in {@link #throttleStreak} came, scheduler nanos. */
    long lastThrottleNanos;

    MessageEntry(final PendingMessage snapshot)
    {
        this.messageId = snapshot.messageId();
        this.snapshot = snapshot;
    }
}
