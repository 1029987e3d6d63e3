package io.sluice.containment;

import java.util.Objects;

import io.sluice.spool.RecipientStatus;

/**
 * One outcome to journal so the journal agrees with containment: pass it to
 * {@code spool.recordOutcome(messageId(), recipientIndex(), status())}.
 *
 * @param messageId      the spool id
 * @param recipientIndex the recipient, or -1 for every recipient not yet final (used for purges only)
 * @param status         {@code HELD}, {@code RELEASED} or {@code PURGED}, keeping the recipient's attempts
 */
public record Reconciliation(long messageId, int recipientIndex, RecipientStatus status)
{
    public Reconciliation
    {
        Objects.requireNonNull(status, "status");
    }
}
