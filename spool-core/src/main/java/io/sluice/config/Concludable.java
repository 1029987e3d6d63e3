package io.sluice.config;

/**
 * A context's one life cycle: changed freely, then {@code conclude()}d (validated) and frozen, so a component never
 * sees a setting change under it. The contexts extend this rather than each repeating the check and its message.
 */
public abstract class Concludable
{
    private boolean concluded;

    /** @throws IllegalStateException once concluded. */
    protected final void checkMutable()
    {
        if (concluded)
        {
            throw new IllegalStateException(getClass().getSimpleName() + " is concluded and can no longer change");
        }
    }

    /** @throws IllegalStateException until concluded. */
    protected final void checkConcluded()
    {
        if (!concluded)
        {
            throw new IllegalStateException(getClass().getSimpleName() + " is not concluded yet");
        }
    }

    /** Called by {@code conclude()} once every setting is valid. */
    protected final void markConcluded()
    {
        concluded = true;
    }

    public final boolean isConcluded()
    {
        return concluded;
    }
}
