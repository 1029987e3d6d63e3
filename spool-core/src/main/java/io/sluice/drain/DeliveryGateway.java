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
     * Takes one dispatch. Ownership passes to the delivery layer, which must journal an outcome for every
     * recipient in it or hand it back with {@link DrainAgent#returnUndelivered(Dispatch)}.
     */
    void deliver(Dispatch dispatch);
}
