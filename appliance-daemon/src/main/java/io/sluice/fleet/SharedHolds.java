package io.sluice.fleet;

import java.util.Locale;

import io.sluice.containment.Containment;
import io.sluice.containment.ContainmentFigures;
import io.sluice.containment.ContainmentListener;
import io.sluice.containment.HoldReason;

/**
 * Tenant holds and releases across the fleet, as one kind of {@link SharedEntries}: hash {@code <fleet.name>:holds}
 * (tenant to "node reason"), events {@code hold <node> <tenant> <reason>} and {@code release <node> <tenant>}. A hold or
 * release on this node (an operator's, or containment's own) is told to the fleet; every other node applies it to its
 * own containment as an operator hold ("held on fleet node A") or release, which journals its {@code HELD} or
 * {@code RELEASED} statuses as a local one does. A tenant purge is not shared: it deletes one node's own spooled mail.
 */
final class SharedHolds implements ContainmentListener
{
    private final SharedEntries entries;
    private final ContainmentListener local;

    SharedHolds(final SharedEntries entries, final ContainmentListener local)
    {
        this.entries = entries;
        this.local = local;
    }

    /** Applies other nodes' holds and releases to {@code containment}. */
    static void bind(final SharedEntries entries, final Containment containment)
    {
        entries.bind((tenant, held, reason, node) ->
            held ? containment.hold(tenant, "held on fleet node " + node) : containment.release(tenant));
    }

    @Override
    public void onHold(final String tenant, final HoldReason reason, final ContainmentFigures figures)
    {
        local.onHold(tenant, reason, figures);
        if (!entries.isApplying(tenant))
        {
            entries.share(tenant, true, reason.name().toLowerCase(Locale.ROOT));
        }
    }

    @Override
    public void onRelease(final String tenant)
    {
        local.onRelease(tenant);
        if (!entries.isApplying(tenant))
        {
            entries.share(tenant, false, "");
        }
    }

    @Override
    public void onPurge(final String tenant, final String note)
    {
        // A purge deletes this node's own spooled mail: each node's operator decides it for its own spool.
        local.onPurge(tenant, note);
    }
}
