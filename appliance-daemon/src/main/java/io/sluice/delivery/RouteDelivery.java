package io.sluice.delivery;

import io.sluice.drain.Dispatch;

/**
 * One route's delivery, as {@link Delivery} sees it. {@link #capacity()} and {@link #deliver(Dispatch)} are called on
 * the drain thread and never block; everything else may be called from any thread.
 */
interface RouteDelivery
{
    /** @return how many more dispatches the route can take now. */
    int capacity();

    /** Takes a dispatch; it gets an outcome for each recipient or is handed back to the drain. */
    void deliver(Dispatch dispatch);

    /** @return dispatches taken and not yet finished. */
    int inUse();

    /** @return dispatches whose replies are in and whose outcomes wait to be journaled (their slots still busy). */
    default int awaitingJournal()
    {
        return 0;
    }

    /** Stops taking dispatches and closes what is idle; dispatches in progress go on. */
    void beginClose();

    /** Ends whatever is still in progress at once: its recipients are reported as lost connections. */
    void abort();

    /** @return the route's name, target and limit, for the start-up log. */
    String describe();

    /** @return what the route is doing now, for the console: connections in use, and why it waits if it does. */
    String state();
}
