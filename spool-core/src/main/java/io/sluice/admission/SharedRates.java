package io.sluice.admission;

/**
 * A second gate on the message buckets of the kinds an appliance shares with others: tokens a message must also hold
 * to come in. It is the seam for a rate the appliance does not own alone, e.g. a fleet of appliances behind one load
 * balancer that divide a tenant's, a sender domain's and the global message rate among themselves (the daemon's
 * fleet); it mirrors the drain's {@code EgressTokens}. The appliance's own buckets, their overrides and the kinds not
 * shared (per address, per network: a load balancer spreads one source across the nodes) stay as they are; this only
 * adds "and the shared rate allows it".
 *
 * <p>Admission asks only for the {@link #shares shared} kinds' message buckets, only after the key's own bucket gave
 * a token, and gives the token back ({@link #refund}) when a bucket further on refuses the message.
 *
 * <p>Threads: called on the SMTP event loops, several at once, and must answer at once: no network round trip on the
 * caller's thread and no allocation per message once the key is known. An implementation backed by a remote store
 * takes from a batch it fetched ahead, refills it asynchronously, and says when asking again may succeed.
 */
public interface SharedRates
{
    /** Today's single appliance: each key's own bucket is the whole limit. */
    SharedRates LOCAL = new SharedRates()
    {
        @Override
        public boolean shares(final KeyKind kind)
        {
            return false;
        }

        @Override
        public long tryTake(final KeyKind kind, final String name, final double ratePerSecond, final long burst,
            final long nowNanos)
        {
            return 0;
        }

        @Override
        public void refund(final KeyKind kind, final String name)
        {
        }
    };

    /**
     * Asked once, when admission opens.
     *
     * @return whether the message buckets of this kind are shared: {@link #tryTake} is asked for them.
     */
    boolean shares(KeyKind kind);

    /**
     * Takes one token of a key's message rate.
     *
     * @param kind          a {@link #shares shared} kind.
     * @param name          the key's name: the tenant, the sender domain (normalized); empty for the global key.
     * @param ratePerSecond the key's configured message rate (an override included): the shared rate follows it.
     * @param burst         the key's configured burst.
     * @param nowNanos      admission's time.
     * @return 0 if a token was taken: the message may come in; else nanoseconds until asking again may succeed (at
     *         least 1), for the refusal's retry hint.
     */
    long tryTake(KeyKind kind, String name, double ratePerSecond, long burst, long nowNanos);

    /** Gives back a token {@link #tryTake} took for a message another bucket refused. */
    void refund(KeyKind kind, String name);
}
