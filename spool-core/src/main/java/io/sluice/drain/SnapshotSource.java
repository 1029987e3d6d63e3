package io.sluice.drain;

import io.sluice.spool.PendingMessage;

/**
 * Where the drain reads a pending message's latest snapshot when it needs one: to dispatch it, to place it again (a
 * retry came due, a demotion began or ended, an operator asked, a dispatch came back) or to hand it to the quarantine.
 * The drain keeps only compact facts per message ({@code MessageEntry}), so a backlog's envelopes and statuses are held
 * once, by the spool, not again by the drain. In production it is the spool ({@code spool::pending}, see
 * {@link DrainAgent#loadFrom}).
 */
@FunctionalInterface
public interface SnapshotSource
{
    /**
     * Called on the drain thread; it must not block for long (the spool reads its index, or its journal).
     *
     * @return the message's latest snapshot, or null if it is no longer pending.
     */
    PendingMessage pending(long messageId);
}
