package io.sluice.containment;

/**
 * A tenant as an operator sees it.
 *
 * @param tenant      the tenant
 * @param state       where it stands
 * @param reason      why it is held; null when {@link TenantState#NORMAL}
 * @param sinceMillis when it was held, epoch milliseconds; 0 when normal
 * @param note        the hold's figures or the operator's note; empty when normal
 * @param figures     its figures over the window now
 */
public record TenantView(
    String tenant, TenantState state, HoldReason reason, long sinceMillis, String note, ContainmentFigures figures)
{
}
