package io.sluice.drain;

import io.sluice.spool.PendingMessage;

/**
 * Where the drain hands mail it must keep from the upstream: the pending mail of a source or network it demoted for
 * policy rejections, while {@code drain.demotion.action=quarantine}. The drain owns no journal; the sink journals the
 * hold ({@code HELD}, detail {@link #DETAIL_PREFIX}{@code reason}) for every open recipient, and the drain keeps the
 * message held from this call on, so nothing is sent between the decision and the journal's record of it. The
 * journaled snapshot then keeps it held, across restarts too, until an operator releases it ({@code RELEASED}: the
 * drain sends it in its own lane, never quarantining it again) or it expires.
 */
@FunctionalInterface
public interface QuarantineSink
{
    /** Every journal detail of a quarantine hold starts with this, so it is told from containment's and deferred DSNs'. */
    String DETAIL_PREFIX = "quarantine: ";

    /**
     * Called on the drain thread, once per message it quarantines: must not block (queue the journal write).
     *
     * @param message the message's latest snapshot.
     * @param reason  why, for the journal and the mail log ({@code network 198.51.100.0/24 demoted after ...}).
     */
    void quarantine(PendingMessage message, String reason);
}
