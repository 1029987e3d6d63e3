package io.sluice.control;

import javax.management.ConstructorParameters;

/** One bounded page of {@code sluice queue list}: the matches, and where the next page starts. */
public final class QueuePage
{
    private final QueueRow[] rows;
    private final String next;
    private final int scanned;

    @ConstructorParameters({"rows", "next", "scanned"})
    public QueuePage(final QueueRow[] rows, final String next, final int scanned)
    {
        this.rows = rows.clone();
        this.next = next;
        this.scanned = scanned;
    }

    public QueueRow[] getRows()
    {
        return rows.clone();
    }

    /** The queue id to pass as {@code after} for the next page; empty when the whole queue was looked at. */
    public String getNext()
    {
        return next;
    }

    /** How many pending messages this page looked at. */
    public int getScanned()
    {
        return scanned;
    }
}
