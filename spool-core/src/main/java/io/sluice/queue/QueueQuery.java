package io.sluice.queue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

import io.sluice.spool.Envelope;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.Spool;

/**
 * Finds the pending messages a {@link MessageFilter} matches, a bounded page at a time, straight from the spool's live
 * index: a console lists a backlog of a million messages without the daemon building one reply (or one copy) of it.
 * A page ends when it has {@code limit} matches or has looked at {@code maxScanned} messages, whichever comes first, and
 * says where the next one starts. Thread-safe; reads only.
 */
public final class QueueQuery
{
    private final Spool spool;
    private final RouteOf routes;
    private final Predicate<Envelope> paused;
    private final LongSupplier clock;

    /** The route a message leaves by, from its tenant and lane (the drain's route table). */
    @FunctionalInterface
    public interface RouteOf
    {
        String route(String tenant, String lane);
    }

    /**
     * One page of matches.
     *
     * @param messages the matches, in the order asked for
     * @param next     the message id to continue after, or null when the scan reached the end of the queue
     * @param scanned  how many pending messages the page looked at
     */
    public record Page(List<PendingMessage> messages, Long next, int scanned)
    {
    }

    /**
     * @param spool  the spool whose pending messages are asked about.
     * @param routes the drain's route table.
     * @param paused whether a message's tenant, source or route is paused now (a {@link QueueState#PAUSED} message).
     * @param clock  epoch milliseconds, for ages and retry times.
     */
    public QueueQuery(final Spool spool, final RouteOf routes, final Predicate<Envelope> paused, final LongSupplier clock)
    {
        this.spool = spool;
        this.routes = routes;
        this.paused = paused;
        this.clock = clock;
    }

    /**
     * @param filter      which messages.
     * @param after       the id the previous page's {@link Page#next} gave, or null for the first page.
     * @param newestFirst the newest message first instead of the oldest.
     * @param limit       the most matches to return, at least 1.
     * @param maxScanned  the most pending messages to look at, at least {@code limit}.
     */
    public Page page(final MessageFilter filter, final Long after, final boolean newestFirst, final int limit,
        final int maxScanned)
    {
        if (limit < 1 || maxScanned < limit)
        {
            throw new IllegalArgumentException("expected 1 <= limit <= maxScanned: " + limit + ", " + maxScanned);
        }
        final long start = after != null ? after : newestFirst ? Long.MAX_VALUE : Long.MIN_VALUE;
        final long now = clock.getAsLong();
        final List<PendingMessage> found = new ArrayList<>();
        int scanned = 0;
        long last = start;
        for (final PendingMessage message : spool.pendingAfter(start, newestFirst))
        {
            if (found.size() >= limit || scanned >= maxScanned)
            {
                // More may follow: the next page starts after the last message this one looked at.
                return new Page(found, last, scanned);
            }
            scanned++;
            last = message.messageId();
            if (!message.isFinished() && filter.matches(message, now, () -> route(message), () -> state(message, now)))
            {
                found.add(message);
            }
        }
        return new Page(found, null, scanned);
    }

    /** @return every match, oldest first, but no more than {@code max}: for an action by filter. */
    public List<PendingMessage> all(final MessageFilter filter, final int max)
    {
        final long now = clock.getAsLong();
        final List<PendingMessage> found = new ArrayList<>();
        for (final PendingMessage message : spool.pendingAfter(Long.MIN_VALUE, false))
        {
            if (!message.isFinished() && filter.matches(message, now, () -> route(message), () -> state(message, now)))
            {
                if (found.size() == max)
                {
                    throw new IllegalArgumentException("the filter '" + filter + "' matches more than " + max
                        + " messages; narrow it");
                }
                found.add(message);
            }
        }
        return found;
    }

    /** @return the route the message leaves by. */
    public String route(final PendingMessage message)
    {
        return routes.route(message.envelope().tenant(), message.envelope().lane());
    }

    /** @return where the message stands now. */
    public QueueState state(final PendingMessage message)
    {
        return state(message, clock.getAsLong());
    }

    private QueueState state(final PendingMessage message, final long now)
    {
        return QueueState.of(message, now, paused.test(message.envelope()));
    }

    /** @return the current time this query measures by, epoch milliseconds. */
    public long nowMillis()
    {
        return clock.getAsLong();
    }
}
