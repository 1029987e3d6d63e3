package io.sluice.queue;

import java.util.Locale;

import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;

/**
 * Where a pending message stands for an operator, from its journaled statuses: what {@code sluice queue list --state}
 * filters on. A message with a recipient to send now is {@link #READY} (or {@link #PAUSED} while its tenant, source or
 * route is paused); else one waiting for a retry time is {@link #DEFERRED}; else every open recipient is held
 * ({@link #HELD}: by an operator, containment, the quarantine or the bounce budget, which its detail tells).
 */
public enum QueueState
{
    READY,
    DEFERRED,
    HELD,
    PAUSED;

    /** @return the word the console shows and {@code --state} takes. */
    public String word()
    {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @param word ready, deferred, held or paused (any case).
     * @throws IllegalArgumentException naming the word and the ones expected.
     */
    public static QueueState parse(final String word)
    {
        for (final QueueState state : values())
        {
            if (state.word().equalsIgnoreCase(word == null ? "" : word.trim()))
            {
                return state;
            }
        }
        throw new IllegalArgumentException("state: expected ready, deferred, held or paused, got: " + word);
    }

    /**
     * @param message   a pending message's snapshot.
     * @param nowMillis the time a deferral's retry is compared with.
     * @param paused    whether its tenant, source or route is paused in the drain.
     * @return its state.
     */
    public static QueueState of(final PendingMessage message, final long nowMillis, final boolean paused)
    {
        boolean sendable = false;
        boolean deferred = false;
        for (final RecipientStatus status : message.recipients())
        {
            switch (status.disposition())
            {
                case PENDING, RELEASED -> sendable = true;
                case DEFERRED ->
                {
                    if (status.notBeforeMillis() <= nowMillis)
                    {
                        sendable = true;
                    }
                    else
                    {
                        deferred = true;
                    }
                }
                default ->
                {
                }
            }
        }
        if (sendable)
        {
            return paused ? PAUSED : READY;
        }
        return deferred ? DEFERRED : HELD;
    }
}
