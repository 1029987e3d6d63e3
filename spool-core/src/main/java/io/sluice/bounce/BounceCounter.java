package io.sluice.bounce;

import io.sluice.counters.EnumCounters;
import io.sluice.counters.CounterDescriptor;

/**
 * The bounce policy's counters, each with a stable id and a label, in the manner of Aeron's system counters: ids
 * never change meaning, so a console or the flood benchmark can read them by id (bounce amplification is
 * {@link #BOUNCES_ALLOWED} over the accepted mail). One counter per {@link SuppressionReason}. Gauges hold a
 * current value instead. {@link EnumCounters} refuses duplicate ids at start-up.
 */
public enum BounceCounter implements CounterDescriptor
{
    DECISIONS(0, "permanent failures decided", false),
    BOUNCES_ALLOWED(1, "bounces allowed: a DSN to build and send", false),
    SUPPRESSED(2, "bounces suppressed, all reasons", false),
    SUPPRESSED_NULL_SENDER(3, "bounces suppressed: null sender (RFC 5321 4.5.5)", false),
    SUPPRESSED_BOUNCE_OF_BOUNCE(4, "bounces suppressed: the failed message was itself a bounce", false),
    SUPPRESSED_INVALID_SENDER(5, "bounces suppressed: sender is not a mailbox", false),
    SUPPRESSED_SPOOF_PATTERN(6, "bounces suppressed: forged sender pattern from outside", false),
    SUPPRESSED_POLICY_FAILURE(7, "bounces suppressed: policy or malware rejection (5.7.x)", false),
    SUPPRESSED_SUPPRESSION_LIST(8, "bounces suppressed: sender on the suppression list", false),
    SUPPRESSED_DUPLICATE(9, "bounces suppressed: identical bounce within the dedup window", false),
    /** Id 10 counted the same event when a DSN over the budget was dropped; since then it is held, not dropped. */
    DEFERRED_OVER_BUDGET(10, "bounces deferred: over the global bounce budget, held in the spool", false),
    SUPPRESSED_RATE_LIMITED_RECIPIENT(11, "bounces suppressed: bounce recipient over its rate", false),
    SUPPRESSED_RATE_LIMITED_DOMAIN(12, "bounces suppressed: bounce recipient domain over its rate", false),
    ADDRESSES_SUPPRESSED(13, "addresses put on the suppression list", false),
    SUPPRESSION_LIST_SIZE(14, "addresses on the suppression list (gauge)", true),
    MESSAGES_ACCEPTED(15, "accepted messages the bounce budget is a fraction of", false),
    BUDGET_ALERTS(16, "bounce budget alerts raised (at most one per budget window)", false),
    STATE_FILES_WRITTEN(17, "bounce state files written (suppression list, dedup, budget)", false),
    STATE_FILE_FAILURES(18, "bounce state files that could not be read or written", false),
    DEFERRED_RELEASED(19, "deferred bounces released as the budget window allowed", false),
    DEFERRED_RELEASED_BY_OPERATOR(20, "deferred bounces released by an operator, over the budget", false),
    DEFERRED_WAITING(21, "deferred bounces held in the spool now (gauge)", true),
    DEFERRED_EXPIRED(22, "deferred bounces failed undelivered: still held when their queue lifetime ran out", false),
    QUARANTINED(23, "messages quarantined: held in the spool until an operator releases them", false),
    QUARANTINE_RELEASED(24, "quarantined messages released by an operator", false),
    QUARANTINE_DELETED(25, "quarantined messages deleted by an operator (PURGED)", false),
    QUARANTINE_EXPIRED(26, "quarantined messages failed after quarantine.expiryMs", false),
    QUARANTINE_WAITING(27, "quarantined messages held in the spool now (gauge)", true);

    private final int id;
    private final String label;
    private final boolean gauge;

    BounceCounter(final int id, final String label, final boolean gauge)
    {
        this.id = id;
        this.label = label;
        this.gauge = gauge;
    }

    public int id()
    {
        return id;
    }

    public String label()
    {
        return label;
    }

    /** @return whether this holds a current value rather than counting events. */
    public boolean isGauge()
    {
        return gauge;
    }
}
