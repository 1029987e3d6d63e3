package io.sluice.control;

/** The console for tenant containment: who is held and why, and the operator's hold, release and purge. */
@Description("Tenant containment: state per tenant, recent volume and upstream rejections; hold, release, purge")
@Requires(Role.OPERATOR)
public interface TenantsControlMXBean
{
    @Description("One line per known tenant: name, state, reason, since, window volume and rejection figures")
    String[] getTenants();

    @Description("Per tenant: state (NORMAL, HELD, PAUSED), reason, since, window volume and rejection rates (a table)")
    TenantRow[] getTenantTable();

    @Description("Tenants whose mail is held in the spool (not sent upstream)")
    String[] getHeldTenants();

    @Description("Holds a tenant's mail in the spool now; returns false if it was already held")
    boolean hold(
        @Description(value = "the tenant name", name = "tenant") String tenant,
        @Description(value = "why, for the journal and the console; may be empty", name = "note") String note);

    @Description("Releases a held tenant: its mail drains again at the tenant's limit; false if it was not held")
    boolean release(@Description(value = "the tenant name", name = "tenant") String tenant);

    @Description("Purges a held tenant's pending mail (irreversible, journaled PURGED); confirmation must be the tenant name")
    @Requires(Role.ADMIN)
    void purge(
        @Description(value = "the tenant name", name = "tenant") String tenant,
        @Description(value = "the tenant name again, exactly", name = "confirmation") String confirmation);

    @Description("Up to max (100) pending messages of a tenant, oldest first, to inspect before a release or purge: queue id,"
        + " sender, recipients, size, age, status and subject")
    String[] samples(
        @Description(value = "the tenant name", name = "tenant") String tenant,
        @Description(value = "how many at most", name = "max") int max);
}
