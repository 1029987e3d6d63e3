package io.sluice.control.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.sluice.control.TenantsControlMXBean;

/** {@code sluice hold|release|purge TENANT}: containment's operator actions, over the Tenants MXBean. */
final class TenantCommands
{
    private TenantCommands()
    {
    }

    static Reports.Report run(final Invocation invocation, final DaemonClient daemon) throws CommandException
    {
        final TenantsControlMXBean tenants = daemon.tenants();
        final String tenant = invocation.operands().get(0);
        switch (invocation.command())
        {
            case "hold":
            {
                final String note = invocation.option("note") == null ? "" : invocation.option("note");
                if (!daemon.call(() -> tenants.hold(tenant, note)))
                {
                    throw CommandException.refused("tenant " + tenant + " was already held (sluice tenants shows why)");
                }
                return report(tenant, "held", "tenant " + tenant + " held: its mail stays in the spool (sluice release "
                    + tenant + " sends it, sluice purge " + tenant + " --confirm " + tenant + " deletes it)");
            }
            case "release":
            {
                if (!daemon.call(() -> tenants.release(tenant)))
                {
                    throw CommandException.refused("tenant " + tenant + " was not held");
                }
                return report(tenant, "released", "tenant " + tenant + " released: its held mail drains at the tenant's limit");
            }
            default:
            {
                final String confirmation = invocation.option("confirm");
                daemon.call(() ->
                {
                    tenants.purge(tenant, confirmation);
                    return null;
                });
                return report(tenant, "purged", "tenant " + tenant + " purged: its pending mail is journaled PURGED and will"
                    + " not be sent; the tenant stays held (sluice release " + tenant + ")");
            }
        }
    }

    private static Reports.Report report(final String tenant, final String action, final String text)
    {
        final Map<String, Object> json = new LinkedHashMap<>();
        json.put("tenant", tenant);
        json.put("action", action);
        return new Reports.Report(List.of(text), json);
    }
}
