package io.sluice.drain;

import io.sluice.spool.PendingMessage;
import org.agrona.collections.Hashing;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * The scheduler's way to a message's snapshot by id: the {@link SnapshotSource} it reads from (the spool), or, until
 * it is given one, the latest snapshots it was handed, kept here. Keeping them is what a scheduler without a spool
 * (tests, benchmarks) needs; with a source nothing per message is kept. Drain thread only.
 */
final class Snapshots
{
    private static final int INITIAL_KEPT = 1024;

    private SnapshotSource source;
    /** The latest snapshot of every pending message while there is no source; null once there is one. */
    private Long2ObjectHashMap<PendingMessage> kept =
        new Long2ObjectHashMap<>(INITIAL_KEPT, Hashing.DEFAULT_LOAD_FACTOR, false);

    /** From now on snapshots are read from {@code source}, which has every pending message: none is kept here. */
    void readFrom(final SnapshotSource source)
    {
        this.source = source;
        kept = null;
    }

    /** The scheduler applied this snapshot: kept if there is no source. */
    void applied(final PendingMessage message)
    {
        if (kept != null)
        {
            if (message.isFinished())
            {
                kept.remove(message.messageId());
            }
            else
            {
                kept.put(message.messageId(), message);
            }
        }
    }

    /** @return the latest snapshot of the message; null if it is no longer pending. */
    PendingMessage get(final long messageId)
    {
        return kept != null ? kept.get(messageId) : source.pending(messageId);
    }
}
