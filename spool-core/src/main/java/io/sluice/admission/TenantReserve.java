package io.sluice.admission;

import io.github.bucket4j.BucketConfiguration;

/**
 * The share of a tenant's message bucket kept for the sources it knows ({@link ReputationSettings#TENANT_RESERVE}).
 *
 * <p>Why: every source no tenant mapping names lands in the catch-all tenant, so a flood of new senders whose mail
 * is clean (bulk mail the upstream accepts, so no reputation ever demotes it) drains the very bucket a busy partner of
 * long standing draws on, and the partner's mail is tempfailed with the flood's (measured: 2.9 % of a 20/s partner's
 * mail refused at first try, p99 2.85 s, in the bulk flood at the shipped defaults). A class split alone does not
 * hold: the flood's networks turn clean on their first twenty deliveries, a second after the flood starts. So the
 * line is drawn higher, at an established record ({@link ReputationSettings#ESTABLISHED_AFTER}): mail from anyone
 * else may take a token only while the bucket holds more than the reserve, and established, trusted and
 * authenticated sources may take it down to empty. The bucket itself still bounds the tenant's total, and whoever is
 * refused is told to retry when the open share has refilled.
 *
 * <p>Immutable and thread-safe; costs nothing until a bucket is down to its reserve, and then one or two reputation
 * lookups for clean mail only.
 */
final class TenantReserve
{
    private final double share;
    private final ReputationTable reputation;

    TenantReserve(final double share, final ReputationTable reputation)
    {
        this.share = share;
        this.reputation = reputation;
    }

    /**
     * @param sourceClass the class the message is charged as; null where none applies (connections, recipients).
     * @return the tokens a message of this class must leave in a tenant's message bucket: 0 for sources that may
     *         use the reserve by their class alone, else the reserve (which an established clean source may still
     *         use: {@link #mayUse}).
     */
    long tokensKept(final Traffic traffic, final BucketConfiguration configuration, final SourceClass sourceClass)
    {
        if (share == 0 || traffic != Traffic.MESSAGES || sourceClass == null || isKnownByClass(sourceClass))
        {
            return 0;
        }
        return (long)(configuration.getBandwidths()[0].getCapacity() * share);
    }

    /** @return whether a source that {@link #tokensKept} kept out may draw on the reserve after all: established. */
    boolean mayUse(final SourceClass sourceClass, final byte[] address, final long nowMillis)
    {
        return sourceClass == SourceClass.CLEAN && reputation.isEstablished(address, nowMillis);
    }

    /** Trusted sources are the appliance's own networks, authenticated ones are known by their credentials. */
    private static boolean isKnownByClass(final SourceClass sourceClass)
    {
        return sourceClass == SourceClass.TRUSTED || sourceClass == SourceClass.AUTHENTICATED;
    }
}
