package io.sluice.control;

import javax.management.ConstructorParameters;

/** What an operator's hold, release, requeue or delete of queued messages did. */
public final class QueueChange
{
    private final String action;
    private final String[] queueIds;
    private final String note;

    @ConstructorParameters({"action", "queueIds", "note"})
    public QueueChange(final String action, final String[] queueIds, final String note)
    {
        this.action = action;
        this.queueIds = queueIds.clone();
        this.note = note;
    }

    /** held, released, requeued or deleted. */
    public String getAction()
    {
        return action;
    }

    /** The messages it acted on. */
    public String[] getQueueIds()
    {
        return queueIds.clone();
    }

    /** Anything the operator should know beyond the count (messages in delivery now); empty if nothing. */
    public String getNote()
    {
        return note;
    }
}
