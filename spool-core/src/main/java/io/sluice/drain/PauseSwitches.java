package io.sluice.drain;

import java.util.HashSet;
import java.util.Set;

/**
 * The drain's switches: an operator's pauses of tenants, sources and routes (kept across restarts in the settings)
 * and containment's holds of tenants, kept apart so that lifting one never lifts the other. Each change is applied to
 * the {@link FairTree}'s queues at once: a paused queue leaves the round robin, its mail stays in the spool, counted,
 * and is skipped until resumed. Drain thread only.
 */
final class PauseSwitches
{
    private final FairTree tree;
    private final Set<String> pausedTenants = new HashSet<>();
    /** Tenants containment holds: apart from an operator's pauses, so lifting one never lifts the other. */
    private final Set<String> heldTenants = new HashSet<>();
    private final Set<String> pausedSources = new HashSet<>();

    /**
     * @param context the operator's pauses in force at start, from the settings.
     * @param tree    the queues the switches apply to.
     */
    PauseSwitches(final DrainContext context, final FairTree tree)
    {
        this.tree = tree;
        pausedTenants.addAll(context.pausedTenantNames());
        pausedSources.addAll(context.pausedSourceKeys());
    }

    /** Holds back a tenant's mail on every route and lane until resumed; it stays in the spool and is counted. */
    void pauseTenant(final String tenant)
    {
        if (pausedTenants.add(tenant))
        {
            tree.setTenantPaused(tenant, true);
        }
    }

    /** Lifts an operator's pause; a tenant containment holds stays held. */
    void resumeTenant(final String tenant)
    {
        if (pausedTenants.remove(tenant))
        {
            tree.setTenantPaused(tenant, isTenantStopped(tenant));
        }
    }

    /**
     * Containment's hold: holds back a tenant's mail as {@link #pauseTenant} does, but on its own account, so an
     * operator's resume does not send a held tenant's mail, and a release does not undo an operator's pause.
     */
    void holdTenant(final String tenant)
    {
        if (heldTenants.add(tenant))
        {
            tree.setTenantPaused(tenant, true);
        }
    }

    /** Ends containment's hold; an operator's pause of the tenant stays. */
    void unholdTenant(final String tenant)
    {
        if (heldTenants.remove(tenant))
        {
            tree.setTenantPaused(tenant, isTenantStopped(tenant));
        }
    }

    /** @return true while an operator pauses the tenant or containment holds it. */
    boolean isTenantStopped(final String tenant)
    {
        return pausedTenants.contains(tenant) || heldTenants.contains(tenant);
    }

    boolean isTenantPaused(final String tenant)
    {
        return pausedTenants.contains(tenant);
    }

    boolean isTenantHeld(final String tenant)
    {
        return heldTenants.contains(tenant);
    }

    /** Holds back a source's mail in every tenant, route and lane until resumed. */
    void pauseSource(final String sourceKey)
    {
        if (pausedSources.add(sourceKey))
        {
            tree.setSourcePaused(sourceKey, true);
        }
    }

    void resumeSource(final String sourceKey)
    {
        if (pausedSources.remove(sourceKey))
        {
            tree.setSourcePaused(sourceKey, false);
        }
    }

    boolean isSourcePaused(final String sourceKey)
    {
        return pausedSources.contains(sourceKey);
    }

    /** @return the paused tenants, a copy. */
    Set<String> pausedTenants()
    {
        return Set.copyOf(pausedTenants);
    }

    /** @return the paused sources, a copy. */
    Set<String> pausedSources()
    {
        return Set.copyOf(pausedSources);
    }

    /**
     * Stops sending on a route: its mail stays in the spool, counted as paused, until resumed.
     *
     * @throws IllegalArgumentException for an unknown route.
     */
    void pauseRoute(final String route)
    {
        tree.knownRoute(route).paused = true;
    }

    /** @throws IllegalArgumentException for an unknown route. */
    void resumeRoute(final String route)
    {
        tree.knownRoute(route).paused = false;
    }

    /** @throws IllegalArgumentException for an unknown route. */
    boolean isRoutePaused(final String route)
    {
        return tree.knownRoute(route).paused;
    }

    /** @return the paused routes, a copy. */
    Set<String> pausedRoutes()
    {
        final Set<String> paused = new HashSet<>();
        for (final RouteState route : tree.routes())
        {
            if (route.paused)
            {
                paused.add(route.name);
            }
        }
        return paused;
    }

    /** @return the paused sources themselves, for the status, on the drain thread. */
    Set<String> pausedSourceKeys()
    {
        return pausedSources;
    }
}
