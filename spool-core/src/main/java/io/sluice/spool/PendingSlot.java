package io.sluice.spool;

/**
 * One {@link PendingIndex} entry as a reader copied it out: where the message's records are and where each
 * recipient's status is. A reader fills its own (they are not shared between threads).
 */
final class PendingSlot
{
    long messageId;
    long headIndex;
    /** Where the head record's bytes start in its cycle file, or 0 when not known. */
    long headPosition;
    long receivedAtMillis;
    int flags;
    int recipients;
    int contentLength;
    long recordBytes;
    int cycle;
    int parts;
    final long[] inlineOutcomes = new long[PendingIndex.INLINE_RECIPIENTS];
    PendingOverflow overflow;

    long messageId()
    {
        return messageId;
    }

    int cycle()
    {
        return cycle;
    }

    long recordBytes()
    {
        return recordBytes;
    }

    long contentLength()
    {
        return contentLength;
    }

    int recipients()
    {
        return recipients;
    }

    PendingOverflow overflow()
    {
        return overflow;
    }

    /** @return the resident snapshot of a message not readable from the live journal, or null. */
    PendingMessage resident()
    {
        return overflow == null ? null : overflow.resident();
    }

    long[] recordIndexes()
    {
        if (overflow != null && overflow.recordIndexes() != null)
        {
            return overflow.recordIndexes();
        }
        final long[] indexes = new long[parts];
        for (int i = 0; i < parts; i++)
        {
            indexes[i] = headIndex + i;
        }
        return indexes;
    }

    /** @return the journal index of the outcome that set this recipient's status, or 0 if the head record holds it. */
    long outcomeIndex(final int recipient)
    {
        if (overflow != null && overflow.outcomes() != null)
        {
            return overflow.outcomes()[recipient];
        }
        return recipient < PendingIndex.INLINE_RECIPIENTS ? inlineOutcomes[recipient] : 0;
    }

    boolean isFinal(final int recipient)
    {
        if (overflow != null && overflow.holdsStatuses())
        {
            return overflow.isFinal(recipient);
        }
        return recipient < PendingIndex.INLINE_RECIPIENTS && (flags & (IndexChunk.FINAL_0 << recipient)) != 0;
    }
}
