package io.sluice.fleet;

import io.sluice.admission.SharedRates;
import io.sluice.bounce.BounceContext;
import io.sluice.bounce.BudgetShare;
import io.sluice.containment.Containment;
import io.sluice.containment.ContainmentListener;
import io.sluice.counters.EnumCounters;
import io.sluice.drain.EgressTokens;

/**
 * What this appliance shares with the others of its fleet, through Redis: the routes' egress rates (a provider
 * account's), the tenants', sender domains' and global admission message rates, tenant holds, the bounce budget, an
 * operator's drain pauses, blocks and limit overrides. {@link #NONE} is the single appliance: nothing shared, every
 * limit local, and no Redis class ever loaded ({@link #open} makes the Redis-backed one only when {@code fleet.redis}
 * is set).
 */
public interface Fleet extends AutoCloseable
{
    /** The single appliance. */
    Fleet NONE = new Fleet()
    {
        @Override
        public EgressTokens.Source egress()
        {
            return EgressTokens.Source.LOCAL;
        }

        @Override
        public SharedRates admissionRates()
        {
            return SharedRates.LOCAL;
        }

        @Override
        public ContainmentListener holds(final ContainmentListener local)
        {
            return local;
        }

        @Override
        public void bind(final Containment containment)
        {
        }

        @Override
        public BudgetShare bounceBudget(final BounceContext bounce)
        {
            return BudgetShare.ALONE;
        }

        @Override
        public FleetSwitches switches()
        {
            return FleetSwitches.NONE;
        }

        @Override
        public FleetStatus status()
        {
            return FleetStatus.SINGLE;
        }

        @Override
        public EnumCounters<FleetCounter> counters()
        {
            return null;
        }

        @Override
        public void close()
        {
        }
    };

    /**
     * @param context concluded settings.
     * @return {@link #NONE} without {@code fleet.redis}; else a node that connects in the background (it starts on
     *         local limits and shares once Redis answers: a fleet's appliance starts and takes mail with Redis away).
     */
    static Fleet open(final FleetContext context)
    {
        return context.enabled() ? RedisFleet.start(context) : NONE;
    }

    /** @return each route's shared egress gate, for the drain. */
    EgressTokens.Source egress();

    /** @return the shared admission message rates (tenants, sender domains, global), for admission. */
    SharedRates admissionRates();

    /** @return containment's listener: {@code local}, and the fleet told of each hold and release. */
    ContainmentListener holds(ContainmentListener local);

    /** Binds the containment that holds from other nodes are applied to, once it is open. */
    void bind(Containment containment);

    /** @return the bounce budget as the fleet shares it, for the bounce policy made with {@code bounce}. */
    BudgetShare bounceBudget(BounceContext bounce);

    /** @return an operator's switches the fleet shares (drain pauses, the blocklist). */
    FleetSwitches switches();

    /** @return where this node stands in the fleet now. Thread-safe. */
    FleetStatus status();

    /** @return the fleet's counters, or null for a single appliance. */
    EnumCounters<FleetCounter> counters();

    @Override
    void close();
}
