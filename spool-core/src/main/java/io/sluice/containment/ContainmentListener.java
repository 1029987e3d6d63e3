package io.sluice.containment;

/**
 * Told of every containment change, after the change is durable in the state file, on the thread that made it
 * ({@link Containment#evaluate()}'s, or an operator's), outside every lock of {@link Containment}: it may call
 * {@link Containment#reconcile} and read state, and may do I/O, but should not take long.
 *
 * <p>What the daemon does: on a hold, pause the tenant in the drain, journal what {@code reconcile} returns (its
 * pending mail becomes {@code HELD}), log an alert and append {@link HoldNotice}'s notice; on a release, journal
 * {@code reconcile} ({@code RELEASED}) and resume the tenant; on a purge, journal {@link Containment#purgeOutcomes}.
 */
public interface ContainmentListener
{
    ContainmentListener NONE = new ContainmentListener()
    {
    };

    /** The tenant is now held, automatically or by an operator ({@code reason} {@link HoldReason#OPERATOR}). */
    default void onHold(final String tenant, final HoldReason reason, final ContainmentFigures figures)
    {
    }

    /** An operator released the tenant: its held mail may drain again, at the tenant's own limit. */
    default void onRelease(final String tenant)
    {
    }

    /** An operator purged the held tenant's mail, with the confirmation; the tenant stays held. */
    default void onPurge(final String tenant, final String note)
    {
    }
}
