package io.sluice.admission;

/**
 * A second gate on a tenant's message bucket, beside the tenant's own bucket in this appliance: tokens a message must
 * also hold to come in. It is the seam for a tenant rate the appliance does not own alone, e.g. a fleet of appliances
 * behind one load balancer that divide a tenant's rate among themselves (the daemon's fleet); it mirrors the drain's
 * {@code EgressTokens}. The tenant's own bucket, its overrides and the other kinds' buckets stay as they are; this only
 * adds "and the shared rate allows it".
 *
 * <p>Admission asks only after the tenant's own bucket gave a token, and gives the token back ({@link #refund}) when a
 * bucket further on refuses the message.
 *
 * <p>Threads: called on the SMTP event loops, several at once, and must answer at once: no network round trip on the
 * caller's thread and no allocation per message once the tenant is known. An implementation backed by a remote store
 * takes from a batch it fetched ahead, refills it asynchronously, and says when asking again may succeed.
 */
public interface TenantTokens
{
    /** Today's single appliance: the tenant's own bucket is the whole limit. */
    TenantTokens LOCAL = new TenantTokens()
    {
        @Override
        public long tryTake(final String tenant, final double ratePerSecond, final long burst, final long nowNanos)
        {
            return 0;
        }

        @Override
        public void refund(final String tenant)
        {
        }
    };

    /**
     * Takes one token of the tenant's message rate.
     *
     * @param tenant        the tenant's name.
     * @param ratePerSecond the tenant's configured message rate (an override included): the shared rate follows it.
     * @param burst         the tenant's configured burst.
     * @param nowNanos      admission's time.
     * @return 0 if a token was taken: the message may come in; else nanoseconds until asking again may succeed (at
     *         least 1), for the refusal's retry hint.
     */
    long tryTake(String tenant, double ratePerSecond, long burst, long nowNanos);

    /** Gives back a token {@link #tryTake} took for a message another bucket refused. */
    void refund(String tenant);
}
