package io.sluice.control;

import javax.management.ConstructorParameters;

/**
 * One row of the backlog's shape, as JConsole shows it (a table) and as the {@code sluice queue} command reads it:
 * pending messages of a route and lane, or of one tenant on them, per age bucket ({@code AgeBucketUpperMinutes}), and
 * their content bytes.
 */
public final class PendingAgeRow
{
    private final String route;
    private final String lane;
    private final String tenant;
    private final long[] byAge;
    private final long bytes;

    /**
     * @param route  the route
     * @param lane   the lane
     * @param tenant the tenant; empty for the whole lane
     * @param byAge  messages per age bucket, youngest first
     * @param bytes  the content bytes of those messages
     */
    @ConstructorParameters({"route", "lane", "tenant", "byAge", "bytes"})
    public PendingAgeRow(final String route, final String lane, final String tenant, final long[] byAge, final long bytes)
    {
        this.bytes = bytes;
        this.route = route;
        this.lane = lane;
        this.tenant = tenant == null ? "" : tenant;
        this.byAge = byAge.clone();
    }

    public String getRoute()
    {
        return route;
    }

    public String getLane()
    {
        return lane;
    }

    public String getTenant()
    {
        return tenant;
    }

    public long[] getByAge()
    {
        return byAge.clone();
    }

    public long getBytes()
    {
        return bytes;
    }

    /** @return the messages in every bucket. */
    public long getTotal()
    {
        long total = 0;
        for (final long count : byAge)
        {
            total += count;
        }
        return total;
    }
}
