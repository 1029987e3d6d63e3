package io.sluice.drain;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Which route a message leaves by, from its tenant and lane. The most specific mapping wins:
 * {@code tenant/lane}, then {@code tenant}, then {@code lane}, then the default route. So a tenant with
 * its own relay ("bring your own SMTP") sends everything, its notifications included, through that relay,
 * and the appliance's own notifications never queue on the shared default route, whose suspension would take
 * every tenant's notifications down with it.
 *
 * <p>Immutable and thread-safe.
 */
public final class RouteTable
{
    private final String defaultRoute;
    private final Set<String> routes;
    private final Map<String, String> laneRoutes;
    private final Map<String, String> tenantRoutes;
    private final Map<String, String> tenantLaneRoutes;

    RouteTable(
        final String defaultRoute,
        final List<String> routes,
        final Map<String, String> laneRoutes,
        final Map<String, String> tenantRoutes,
        final Map<String, String> tenantLaneRoutes)
    {
        this.defaultRoute = Objects.requireNonNull(defaultRoute, "defaultRoute");
        this.routes = Set.copyOf(routes);
        this.laneRoutes = Map.copyOf(laneRoutes);
        this.tenantRoutes = Map.copyOf(tenantRoutes);
        this.tenantLaneRoutes = Map.copyOf(tenantLaneRoutes);
    }

    /**
     * @param tenant the message's tenant; null for "no particular tenant" (lane and default mappings only).
     * @param lane   the lane the message was spooled on (before any demotion).
     * @return the route's name, always one of {@link #routes()}.
     */
    public String route(final String tenant, final String lane)
    {
        if (tenant != null)
        {
            if (!tenantLaneRoutes.isEmpty())
            {
                final String specific = tenantLaneRoutes.get(tenant + "/" + lane);
                if (specific != null)
                {
                    return specific;
                }
            }
            final String byTenant = tenantRoutes.get(tenant);
            if (byTenant != null)
            {
                return byTenant;
            }
        }
        return laneRoutes.getOrDefault(lane, defaultRoute);
    }

    public String defaultRoute()
    {
        return defaultRoute;
    }

    /** @return the {@code lane → route} mappings ({@code drain.laneRoutes}). */
    public Map<String, String> laneRoutes()
    {
        return laneRoutes;
    }

    /** @return every configured route name. */
    public Set<String> routes()
    {
        return routes;
    }
}
