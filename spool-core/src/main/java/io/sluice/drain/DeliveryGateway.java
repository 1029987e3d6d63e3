package io.sluice.drain;

/**
 * The delivery layer as the {@link DrainAgent} sees it: how much each route can take now, and a hand-off.
 * Both methods are called on the drain thread and must not block.
 */
public interface DeliveryGateway
{
    /**
     * @param route a route name from {@code drain.routes}.
     * @return how many more dispatches the route can start now (free connections × transactions each); 0 stops
     *         the drain from spending the route's tokens on mail nobody can send.
     */
    int capacity(String route);

    /**
     * Asked when {@link #capacity} is 0: are the route's slots mostly held by replies waiting for their outcomes to be
     * journaled? Then the route is full because of this host's journal, not its upstream, and the rate learner does
     * not read it as the upstream's limit. Must not block.
     *
     * @param route a route name from {@code drain.routes}.
     * @return true if at least half of the route's busy slots wait on the journal; false by default.
     */
    default boolean waitsOnJournal(final String route)
    {
        return false;
    }

    /**
     * Takes one dispatch. Ownership passes to the delivery layer, which must journal an outcome for every
     * recipient in it or hand it back with {@link DrainAgent#returnUndelivered(Dispatch)}.
     */
    void deliver(Dispatch dispatch);
}
