package io.sluice.spool;

/**
 * Told of every change to the pending set, after it is durable. Called on the journal writer's thread:
 * implementations must be quick and must not block or call back into the spool synchronously.
 */
public interface SpoolListener
{
    SpoolListener NONE = new SpoolListener()
    {
    };

    /** A new message is durable and pending. */
    default void onAccepted(final PendingMessage message)
    {
    }

    /** A recipient's outcome is durable; {@code message.isFinished()} tells if it left the spool. */
    default void onOutcome(final PendingMessage message)
    {
    }
}
