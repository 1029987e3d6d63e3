package io.sluice.bounce;

/**
 * Where the bounce budget is decided: on this appliance's own window ({@link #ALONE}, the single appliance), or for a
 * fleet of appliances that share one budget (the daemon's fleet provides it). The policy always keeps its own window
 * too (the state file, the fallback); a share only says whether the fleet's budget has room.
 *
 * <p>Calls come under the policy's lock, on delivery and maintenance threads, for the permanent failures only; an
 * implementation answers from memory and never waits on the network.
 */
public interface BudgetShare
{
    /** What {@link #tryCharge} says. */
    enum Answer
    {
        /** The fleet's budget had room, and this bounce is charged to it. */
        FITS,
        /** The fleet's budget is spent: the bounce is deferred, and an operator alerted. */
        SPENT,
        /**
         * The fleet's budget has room, but none of it is at hand on this node just now (asked for): the bounce is deferred
         * and sent within about a second, without an alert.
         */
        WAIT,
        /**
         * Decide on this node's own window, its budget's minimum divided by {@link #divisor()}: the single appliance,
         * or a fleet node whose shared store is away.
         */
        OWN_WINDOW
    }

    /** The single appliance: every decision on its own window, exactly as without a fleet. */
    BudgetShare ALONE = new BudgetShare()
    {
        @Override
        public void accepted(final long messages)
        {
        }

        @Override
        public Answer tryCharge()
        {
            return Answer.OWN_WINDOW;
        }

        @Override
        public void refund()
        {
        }

        @Override
        public void charged()
        {
        }

        @Override
        public int divisor()
        {
            return 1;
        }

        @Override
        public BudgetStatus status(final long windowMs)
        {
            return null;
        }
    };

    /** Messages this node accepted durably (its own DSNs and notices excluded): they raise the fleet's budget. */
    void accepted(long messages);

    /** @return whether one more bounce fits the fleet's budget (then charged to it), or to decide locally. */
    Answer tryCharge();

    /** A bounce {@link #tryCharge} charged as {@link Answer#FITS} was not sent after all (a later limit refused it). */
    void refund();

    /**
     * A bounce sent without asking the fleet (a trusted sender's, an operator's release, one the own window allowed):
     * counted in the fleet's budget all the same.
     */
    void charged();

    /** @return what the own window's minimum is divided by when it decides: the live nodes last seen; 1 alone. */
    int divisor();

    /** @return the fleet's budget as last seen, or null to report the own window's. */
    BudgetStatus status(long windowMs);
}
