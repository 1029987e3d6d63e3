package io.sluice.drain;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import io.sluice.spool.MutableClock;

/**
 * A scheduler on a clock the test moves: {@link #run} steps simulated time in small increments and, at each step,
 * takes every dispatch the route allows, as an eager delivery layer with unlimited connections would. Nothing here
 * reads the wall clock.
 */
final class SimulatedDrain
{
    static final long START_MILLIS = Mail.RECEIVED_AT + 1_000;

    final MutableClock clock = new MutableClock(START_MILLIS);
    final DrainScheduler scheduler;
    final List<Pick> picks = new ArrayList<>();

    /** One dispatch and the simulated time it was made at. */
    record Pick(Dispatch dispatch, long atMillis)
    {
    }

    SimulatedDrain(final DrainContext context)
    {
        scheduler = new DrainScheduler(context.clock(clock).random(new java.util.Random(7)));
    }

    /**
     * @return a context with a route {@code default} of {@code rate}/s and burst {@code burst}, notifications elsewhere,
     *         and no rate of its own for the suspect lane: these tests measure weights and projections, and the
     *         shipped 1/s of the suspect lane (since issue 12) would only slow their suspect mail to a crawl.
     */
    static DrainContext context(final double rate, final int burst)
    {
        return new DrainContext().routes("default:" + rate + ":" + burst + ",notifications:20:5").laneRates("bounces:10");
    }

    void add(final io.sluice.spool.PendingMessage message)
    {
        scheduler.onSnapshot(message);
    }

    long now()
    {
        return clock.millis();
    }

    /**
     * Steps the clock by {@code stepMillis} up to {@code durationMillis}, picking on {@code route} until it refuses,
     * and, when {@code deliver} is true, reporting each dispatch delivered at once.
     *
     * @return the dispatches made, in order.
     */
    List<Pick> run(final String route, final long durationMillis, final long stepMillis, final boolean deliver)
    {
        return run(route, durationMillis, stepMillis, deliver, pick ->
        {
        });
    }

    List<Pick> run(
        final String route, final long durationMillis, final long stepMillis, final boolean deliver, final Consumer<Pick> onPick)
    {
        final List<Pick> made = new ArrayList<>();
        final long end = clock.millis() + durationMillis;
        while (true)
        {
            Dispatch dispatch;
            while ((dispatch = scheduler.next(route)) != null)
            {
                final Pick pick = new Pick(dispatch, clock.millis());
                made.add(pick);
                picks.add(pick);
                if (deliver)
                {
                    scheduler.onSnapshot(Mail.delivered(dispatch));
                }
                onPick.accept(pick);
            }
            if (clock.millis() >= end)
            {
                return made;
            }
            clock.advanceMillis(stepMillis);
        }
    }

    /** Takes up to {@code count} dispatches without moving time, delivering each at once. */
    List<Dispatch> take(final String route, final int count)
    {
        final List<Dispatch> taken = new ArrayList<>();
        Dispatch dispatch;
        while (taken.size() < count && (dispatch = scheduler.next(route)) != null)
        {
            taken.add(dispatch);
            scheduler.onSnapshot(Mail.delivered(dispatch));
        }
        return taken;
    }
}
