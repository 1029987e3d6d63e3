package io.sluice.control;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

import io.sluice.config.InvalidSettingException;
import io.sluice.drain.DrainAgent;
import io.sluice.drain.DrainContext;
import io.sluice.fleet.FleetSwitches;
import io.sluice.net.Cidr;

/**
 * An operator's pauses of the drain: routes, tenants and sources whose mail stays in the spool until resumed. Each
 * change is checked first (nonsense changes nothing), written to the operator state as the {@code drain.paused*}
 * setting the drain reads at start (so a restart keeps it), then applied on the drain thread's next duty cycle, and
 * audited. Shared by the Spool MXBean (routes) and the Drain MXBean (tenants, sources). In a fleet, each change is told
 * to the other nodes, and theirs are applied here the same way ({@link FleetSwitches}).
 */
public final class DrainSwitches
{
    private final DrainAgent drain;
    private final ControlState state;
    private final Set<String> routes;
    private final Set<String> tenants;
    private final Set<String> sources;
    private final FleetSwitches fleet;

    /** @param context the drain's concluded settings: the pauses in force at start. */
    public DrainSwitches(final DrainAgent drain, final ControlState state, final DrainContext context)
    {
        this(drain, state, context, FleetSwitches.NONE);
    }

    /** @param fleet the fleet's shared switches: each change is told to it, and its changes applied here. */
    public DrainSwitches(final DrainAgent drain, final ControlState state, final DrainContext context,
        final FleetSwitches fleet)
    {
        this.drain = drain;
        this.state = state;
        this.fleet = fleet;
        routes = new TreeSet<>(context.pausedRouteNames());
        tenants = new TreeSet<>(context.pausedTenantNames());
        sources = new TreeSet<>(context.pausedSourceKeys());
        // A route this node does not have is not paused here (its mail goes elsewhere): nothing to change.
        fleet.bind(FleetSwitches.Kind.PAUSED_ROUTE, (route, pause, value) -> drain.routeNames().contains(route)
            && (pause ? pauseRoute(route) : resumeRoute(route)));
        fleet.bind(FleetSwitches.Kind.PAUSED_TENANT, (tenant, pause, value) -> pause ? pauseTenant(tenant)
            : resumeTenant(tenant));
        fleet.bind(FleetSwitches.Kind.PAUSED_SOURCE, (source, pause, value) -> pause ? pauseSource(source)
            : resumeSource(source));
    }

    /** @return false if the route was paused already (nothing changed). */
    public synchronized boolean pauseRoute(final String route)
    {
        requireRoute(route);
        return change(FleetSwitches.Kind.PAUSED_ROUTE, routes, route, true, drain::pauseRoute);
    }

    /** @return false if the route was not paused (nothing changed). */
    public synchronized boolean resumeRoute(final String route)
    {
        requireRoute(route);
        return change(FleetSwitches.Kind.PAUSED_ROUTE, routes, route, false, drain::resumeRoute);
    }

    public synchronized boolean pauseTenant(final String tenant)
    {
        return change(FleetSwitches.Kind.PAUSED_TENANT, tenants, tenant(tenant), true, drain::pauseTenant);
    }

    public synchronized boolean resumeTenant(final String tenant)
    {
        return change(FleetSwitches.Kind.PAUSED_TENANT, tenants, tenant(tenant), false, drain::resumeTenant);
    }

    public synchronized boolean pauseSource(final String source)
    {
        return change(FleetSwitches.Kind.PAUSED_SOURCE, sources, source(source), true, drain::pauseSource);
    }

    public synchronized boolean resumeSource(final String source)
    {
        return change(FleetSwitches.Kind.PAUSED_SOURCE, sources, source(source), false, drain::resumeSource);
    }

    public synchronized Set<String> pausedRoutes()
    {
        return Set.copyOf(routes);
    }

    public synchronized Set<String> pausedTenants()
    {
        return Set.copyOf(tenants);
    }

    public synchronized Set<String> pausedSources()
    {
        return Set.copyOf(sources);
    }

    /** Persisted first: if the state file cannot be written, the exception says so and nothing changed. */
    private boolean change(final FleetSwitches.Kind kind, final Set<String> names, final String name, final boolean pause,
        final Consumer<String> apply)
    {
        final String key = switch (kind)
        {
            case PAUSED_ROUTE -> DrainContext.PAUSED_ROUTES.key();
            case PAUSED_TENANT -> DrainContext.PAUSED_TENANTS.key();
            case PAUSED_SOURCE -> DrainContext.PAUSED_SOURCES.key();
            case BLOCKED_NETWORK, LIMIT_OVERRIDE -> throw new IllegalArgumentException("not a drain pause: " + kind);
        };
        if (names.contains(name) == pause)
        {
            return false;
        }
        final Set<String> updated = new TreeSet<>(names);
        if (pause)
        {
            updated.add(name);
        }
        else
        {
            updated.remove(name);
        }
        state.changed(key, String.join(",", names), String.join(",", updated));
        names.clear();
        names.addAll(updated);
        apply.accept(name);
        fleet.changed(kind, name, pause, "");
        return true;
    }

    private void requireRoute(final String route)
    {
        if (route == null || !drain.routeNames().contains(route))
        {
            throw new IllegalArgumentException("no such route: '" + route + "' (routes: " + drain.routeNames() + ")");
        }
    }

    /** A tenant name as the drain's settings accept it, so what is saved is read back at start. */
    private static String tenant(final String tenant)
    {
        final String trimmed = tenant == null ? "" : tenant.trim();
        if (trimmed.isEmpty() || trimmed.chars().anyMatch(c -> c == ',' || c == ':' || c == '/' || Character.isWhitespace(c)))
        {
            throw new IllegalArgumentException("expected a tenant name without , : / or spaces, got '" + tenant + "'");
        }
        return trimmed;
    }

    /**
     * A source as the drain knows it: the client's address in Java's own form ({@code 2001:db8:0:0:0:0:0:7}), so
     * {@code 2001:db8::7} pauses the same client.
     */
    private static String source(final String source)
    {
        final String trimmed = source == null ? "" : source.trim();
        try
        {
            if (Cidr.parse("source", trimmed).prefixLength() != (trimmed.indexOf(':') >= 0 ? 128 : 32))
            {
                throw new IllegalArgumentException("expected one client address, not a network: '" + source + "'");
            }
            // A literal (Cidr checked it), so no name is looked up.
            return InetAddress.getByName(trimmed).getHostAddress();
        }
        catch (final InvalidSettingException | UnknownHostException ex)
        {
            throw new IllegalArgumentException("expected a client's IP address, e.g. 192.0.2.7 or 2001:db8::7, got '"
                + source + "'", ex);
        }
    }
}
