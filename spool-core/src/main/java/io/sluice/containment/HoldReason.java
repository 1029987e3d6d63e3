package io.sluice.containment;

/** Why a tenant is held. */
public enum HoldReason
{
    /** Its accepted volume over the window exceeded {@code surgeFactor} times its normal rate. */
    VOLUME_SURGE,
    /** Over the window, more than {@code policyRejectionRatio} of its upstream verdicts were {@code 5.7.x}. */
    POLICY_REJECTIONS,
    /** Over the window, more than {@code permanentFailureRatio} of its upstream verdicts were {@code 5xx}. */
    PERMANENT_FAILURES,
    /** An operator held it ({@link TenantState#PAUSED}). */
    OPERATOR,
    /**
     * The state file was missing or unreadable at start, and the journal still held containment's hold records for
     * the tenant's mail: held again rather than sending what containment had stopped.
     */
    RECOVERED
}
