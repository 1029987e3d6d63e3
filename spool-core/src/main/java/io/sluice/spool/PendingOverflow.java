package io.sluice.spool;

/**
 * What a {@link PendingIndex} entry cannot hold in its 64 bytes, kept on the heap for the few messages that need it.
 * Immutable: the writer replaces it, so a reader sees one whole version.
 *
 * @param recordIndexes the message's records, when they are not consecutive (a roll between them, a salvaged
 *                      message's placeholders); null when they are the head's index and those after it
 * @param outcomes      per recipient, the journal index of the outcome record that set its status, 0 for the head's;
 *                      null when the entry holds them (at most {@link PendingIndex#INLINE_RECIPIENTS})
 * @param finals        per recipient, a bit set when final; null with {@code outcomes}
 * @param resident      the whole snapshot, for a message whose records are not (all) readable in the live journal: one
 *                      salvaged from a damaged file until it is written forward, or one an outcome from a damaged file
 *                      changed; null otherwise
 */
record PendingOverflow(long[] recordIndexes, long[] outcomes, long[] finals, PendingMessage resident)
{
    boolean isFinal(final int recipient)
    {
        if (resident != null)
        {
            return resident.recipients().get(recipient).isFinal();
        }
        return (finals[recipient >>> 6] & (1L << recipient)) != 0;
    }

    boolean holdsStatuses()
    {
        return outcomes != null || resident != null;
    }

    boolean isEmpty()
    {
        return recordIndexes == null && outcomes == null && resident == null;
    }

    /**
     * @return the overflow after an outcome for one recipient (or every one not final, for
     *         {@link JournalRecordCodec#ALL_RECIPIENTS}) journaled at {@code outcomeIndex}; null if it changes nothing.
     */
    static PendingOverflow withOutcome(final PendingOverflow before, final int recipients, final int recipientIndex,
        final RecipientStatus status, final long outcomeIndex)
    {
        final boolean held = before != null && before.outcomes() != null;
        final long[] outcomes = held ? before.outcomes().clone() : new long[recipients];
        final long[] finals = held ? before.finals().clone() : new long[(recipients + 63) >>> 6];
        boolean changed = false;
        for (int i = 0; i < recipients; i++)
        {
            if ((recipientIndex == JournalRecordCodec.ALL_RECIPIENTS || recipientIndex == i)
                && (finals[i >>> 6] & (1L << i)) == 0)
            {
                outcomes[i] = outcomeIndex;
                finals[i >>> 6] |= status.isFinal() ? 1L << i : 0;
                changed = true;
            }
        }
        return changed ? new PendingOverflow(before == null ? null : before.recordIndexes(), outcomes, finals, null) : null;
    }

    /** @return true if every one of {@code recipients} is final. */
    boolean allFinal(final int recipients)
    {
        for (int i = 0; i < recipients; i++)
        {
            if (!isFinal(i))
            {
                return false;
            }
        }
        return true;
    }
}
