package io.sluice.drain;

/**
 * A second gate on a route's egress, beside the route's own bucket: tokens the route must also hold to send. It is the
 * seam for a rate the drain does not own alone, e.g. a provider account that several appliances send through and
 * divide among themselves (the daemon's fleet). The route's own bucket, its AIMD and its lanes stay as they are; this
 * only adds "and the shared rate allows it".
 *
 * <p>The drain asks only while the route has mail ready, its own bucket has a token and its delivery has room, so a
 * node that has nothing to send takes nothing from a shared rate. It takes one token per dispatch ({@link #tryTake})
 * and gives it back for a dispatch that was never attempted ({@link #refund}).
 *
 * <p>Threads: called on the drain thread only, and must answer at once: no network round trip on the caller's
 * thread. An implementation backed by a remote store refills itself asynchronously and says, through
 * {@link #nanosUntilRetry}, when asking again may succeed.
 */
public interface EgressTokens
{
    /** Today's single appliance: the route's own bucket is the whole limit. */
    EgressTokens UNLIMITED = new EgressTokens()
    {
        @Override
        public boolean tryTake(final long nowNanos)
        {
            return true;
        }

        @Override
        public void refund()
        {
        }

        @Override
        public long nanosUntilRetry(final long nowNanos)
        {
            return Long.MAX_VALUE;
        }

        @Override
        public void configure(final double ratePerSec, final int burst)
        {
        }
    };

    /** Where each route's gate comes from; {@link #LOCAL}: no second gate. */
    @FunctionalInterface
    interface Source
    {
        /** Every route's gate is {@link #UNLIMITED}: exactly the single appliance's drain. */
        Source LOCAL = route -> UNLIMITED;

        /** @return the gate for the route, made once when the drain is made. */
        EgressTokens forRoute(RouteSpec route);
    }

    /**
     * @param nowNanos the drain's time.
     * @return true if a token was taken: the drain may send one message on the route now.
     */
    boolean tryTake(long nowNanos);

    /** Gives back a token {@link #tryTake} took, for a dispatch that was never attempted. */
    void refund();

    /**
     * @param nowNanos the drain's time.
     * @return nanoseconds until {@link #tryTake} may succeed again when it has just failed (the drain sleeps at most
     *         this long before asking again); {@code Long.MAX_VALUE} if this gate never makes the drain wait.
     */
    long nanosUntilRetry(long nowNanos);

    /** An operator changed the route's configured rate and burst: the shared rate follows. */
    void configure(double ratePerSec, int burst);
}
