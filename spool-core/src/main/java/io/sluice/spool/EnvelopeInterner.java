package io.sluice.spool;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Shares the strings that repeat from envelope to envelope (the client's source key, tenant, lane and sender) and the
 * recipient statuses that repeat from message to message, so a backlog holds one copy of each instead of one per
 * pending message. Measured with {@code PendingFootprint}: the pending index kept a private copy of every one of them
 * per message (see docs/spool.md, "What a pending message costs").
 *
 * <p>The table is bounded: when it holds {@link #capacity} strings it starts afresh, so a stream of distinct senders
 * (VERP return paths) costs at most that many entries and never grows the heap with the backlog. Safe for any thread:
 * producers canonicalize on their own threads before the journal writer sees the envelope.
 */
final class EnvelopeInterner
{
    /** Distinct strings kept: about 1.5 MiB at most for typical addresses; a backlog's senders repeat far below it. */
    static final int DEFAULT_CAPACITY = 16_384;

    private final ConcurrentHashMap<String, String> strings;
    private final int capacity;

    EnvelopeInterner()
    {
        this(DEFAULT_CAPACITY);
    }

    EnvelopeInterner(final int capacity)
    {
        if (capacity < 1)
        {
            throw new IllegalArgumentException("capacity must be >= 1: " + capacity);
        }
        this.capacity = capacity;
        this.strings = new ConcurrentHashMap<>(Math.min(capacity, 1024));
    }

    /** @return the envelope itself when its strings already are the shared copies, else an equal one that uses them. */
    Envelope canonical(final Envelope envelope)
    {
        final String sourceKey = intern(envelope.sourceKey());
        final String tenant = intern(envelope.tenant());
        final String lane = intern(envelope.lane());
        final String sender = intern(envelope.sender());
        if (sourceKey == envelope.sourceKey() && tenant == envelope.tenant() && lane == envelope.lane()
            && sender == envelope.sender())
        {
            return envelope;
        }
        return new Envelope(sourceKey, tenant, lane, sender, envelope.recipients(), envelope.receivedAtMillis(),
            envelope.smtpUtf8(), envelope.eightBitMime(), envelope.authenticated());
    }

    /** @return the statuses, with each one equal to {@link RecipientStatus#NEW} replaced by that shared instance. */
    static List<RecipientStatus> canonical(final List<RecipientStatus> statuses)
    {
        boolean fresh = false;
        for (final RecipientStatus status : statuses)
        {
            fresh |= status != RecipientStatus.NEW && RecipientStatus.NEW.equals(status);
        }
        if (!fresh)
        {
            return statuses;
        }
        return statuses.stream().map(status -> RecipientStatus.NEW.equals(status) ? RecipientStatus.NEW : status).toList();
    }

    String intern(final String value)
    {
        final String shared = strings.get(value);
        if (shared != null)
        {
            return shared;
        }
        if (strings.size() >= capacity)
        {
            // Starting afresh keeps the bound without per-entry bookkeeping; strings already shared stay shared.
            strings.clear();
        }
        final String raced = strings.putIfAbsent(value, value);
        return raced == null ? value : raced;
    }

    int size()
    {
        return strings.size();
    }
}
