package io.sluice.drain;

/**
 * How the scheduler serves one lane on every route it shares with other lanes.
 *
 * @param name       the lane, e.g. {@code notifications}, {@code mail}, {@code bounces}, {@code suspect}
 * @param strict     true for strict priority: served before every weighted lane whenever it has ready mail
 * @param weight     for weighted lanes, the messages served per round-robin turn (its share is weight ÷ the sum
 *                   of the weights of the lanes with ready mail); 0 for strict lanes
 * @param ratePerSec the lane's own egress limit across all routes, messages per second; 0 for none
 */
public record LaneSpec(String name, boolean strict, int weight, double ratePerSec)
{
    /** @return true when the lane has its own egress limit on top of the route's. */
    public boolean isRateLimited()
    {
        return ratePerSec > 0;
    }
}
