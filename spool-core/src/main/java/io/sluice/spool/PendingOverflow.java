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
}
