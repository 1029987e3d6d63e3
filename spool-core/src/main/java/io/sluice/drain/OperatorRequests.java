package io.sluice.drain;

import io.sluice.counters.EnumCounters;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongFunction;
import java.util.function.Predicate;

import io.sluice.spool.PendingMessage;

/**
 * An operator's requests about pending messages, on the drain thread: retry every deferred message now, requeue some
 * by id, hold some by id. Each moves the scheduler's entries through the {@link Placement}, which keeps the counts
 * right. Drain thread only.
 */
final class OperatorRequests
{
    private final Map<Long, MessageEntry> entries;
    private final LongFunction<MessageEntry> entryFor;
    private final Placement placement;
    private final EnumCounters<DrainCounter> counters;

    /**
     * @param entries  the scheduler's index of the pending messages that have an entry, read here, never changed.
     * @param entryFor a pending message's entry, made if it is bare (a ready message has none: see {@link SourceQueue}).
     */
    OperatorRequests(final Map<Long, MessageEntry> entries, final LongFunction<MessageEntry> entryFor,
        final Placement placement, final EnumCounters<DrainCounter> counters)
    {
        this.entries = entries;
        this.entryFor = entryFor;
        this.placement = placement;
        this.counters = counters;
    }

    /**
     * An operator's "retry deferred now" (Postfix's {@code postqueue -f}): every deferred message is ready at once,
     * its deferred recipients included, within the routes' rates. The retry schedule applies again from the next
     * outcome on. The few deferred with an entry are moved now; those deferred without one (an outage's whole backlog:
     * {@link WaitingIds}) are covered by one record of the request, not an entry each, and placed in slices from the
     * drain's next ticks on (the first slice now), bare in their source queues: see {@link Placement#retryAllWaiting}.
     *
     * @return how many deferred messages were made ready.
     */
    int retryDeferredNow()
    {
        final List<MessageEntry> deferred = new ArrayList<>();
        for (final MessageEntry entry : entries.values())
        {
            if (entry.state == MessageEntry.DEFERRED)
            {
                deferred.add(entry);
            }
        }
        final int waiting = placement.retryAllWaiting();
        counters.add(DrainCounter.RETRIED_NOW, waiting);
        return retryNow(deferred) + waiting;
    }

    /**
     * An operator's requeue of messages by id (Postfix's {@code postsuper -r}): each one deferred is ready at once, as
     * {@link #retryDeferredNow} makes them; its attempts count stays. Ids not pending or not deferred are skipped.
     *
     * @return how many deferred messages were made ready.
     */
    int retryNow(final Collection<Long> messageIds)
    {
        final List<MessageEntry> deferred = new ArrayList<>();
        // Each message once, however often it is named: the count is of messages made ready.
        for (final Long id : new LinkedHashSet<>(messageIds))
        {
            final MessageEntry entry = entries.get(id);
            if (entry != null && entry.state == MessageEntry.DEFERRED)
            {
                deferred.add(entry);
            }
            else if (entry == null && placement.isWaitingDeferred(id))
            {
                // Deferred without an entry: it gets one (taken out of its waiting and counts, in no state) to retry.
                final MessageEntry made = entryFor.apply(id);
                if (made != null)
                {
                    deferred.add(made);
                }
            }
        }
        return retryNow(deferred);
    }

    private int retryNow(final List<MessageEntry> deferred)
    {
        for (final MessageEntry entry : deferred)
        {
            entry.set(MessageEntry.RETRY_NOW, true);
            placement.move(entry);
        }
        counters.add(DrainCounter.RETRIED_NOW, deferred.size());
        return deferred.size();
    }

    /**
     * An operator's hold of messages by id (Postfix's {@code postsuper -h}): from now on none of them is picked. Each is
     * handed to {@code journal} (on this thread: it must not block, so queue the journal write) with its snapshot, and
     * held until a snapshot shows the hold journaled; {@code journal} answers false when it found nothing to hold. One
     * in flight is handed only once its dispatch resolves (or comes back, or times out): the outcomes of the attempt
     * under way would otherwise replace its hold. Ids not pending are skipped.
     *
     * @return how many of them were in flight.
     */
    int hold(final Collection<Long> messageIds, final Predicate<PendingMessage> journal)
    {
        Objects.requireNonNull(journal, "journal");
        int inFlight = 0;
        for (final Long id : messageIds)
        {
            final MessageEntry entry = entryFor.apply(id);
            if (entry == null)
            {
                continue;
            }
            entry.holdRequest(journal);
            if (entry.state == MessageEntry.IN_FLIGHT)
            {
                inFlight++;
            }
            else
            {
                placement.move(entry);
            }
        }
        return inFlight;
    }
}
