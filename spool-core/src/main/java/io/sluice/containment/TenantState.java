package io.sluice.containment;

/** Where a tenant stands with containment. Both holding states keep its mail in the spool, unsent. */
public enum TenantState
{
    /** Its mail flows, within its limits. */
    NORMAL,
    /** Held automatically: it crossed a threshold ({@link HoldReason}). Only an operator releases it. */
    HELD,
    /** Held by an operator's {@link Containment#hold}, with no threshold crossed. Only an operator releases it. */
    PAUSED;

    /** @return true when the tenant's mail must stay in the spool, unsent. */
    public boolean isHolding()
    {
        return this != NORMAL;
    }
}
