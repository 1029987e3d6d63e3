package io.sluice.daemon;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiPredicate;

import io.sluice.delivery.TestSmtpSink;
import io.sluice.spool.SpoolAwait;

/**
 * The one SMTP sink a fleet test's nodes deliver to (a real {@link TestSmtpSink} on loopback), with each arrival's time
 * and text in order, so a test measures the fleet's rate where the provider would: over arrivals, waiting for them,
 * never for time. A message's text names the node that spooled it as {@code node-<id>}.
 */
final class FleetSink implements AutoCloseable
{
    private final TestSmtpSink sink;
    /** Arrival times, nanoseconds, in order; guards {@link #texts} too. */
    private final List<Long> times = new ArrayList<>();
    private final List<String> texts = new ArrayList<>();

    private FleetSink(final TestSmtpSink sink)
    {
        this.sink = sink;
    }

    static FleetSink start() throws IOException
    {
        final FleetSink fleetSink = new FleetSink(TestSmtpSink.start());
        fleetSink.sink.handTo(received ->
        {
            synchronized (fleetSink.times)
            {
                fleetSink.times.add(System.nanoTime());
                fleetSink.texts.add(received.text());
            }
        });
        return fleetSink;
    }

    /** @return the sink's address, for {@code delivery.route.default.target}. */
    String target()
    {
        return sink.target();
    }

    int arrived()
    {
        synchronized (times)
        {
            return times.size();
        }
    }

    /**
     * @param settle   arrivals to let pass first.
     * @param measured arrivals the rate is measured over.
     * @return the rate over {@code measured} arrivals after the next {@code settle}, messages/s; printed with the
     *         nodes' shares of them.
     */
    double measureRate(final int settle, final int measured, final String more)
    {
        final int from = arrived() + settle;
        SpoolAwait.until(() -> arrived() > from + measured, 60_000);
        final double rate;
        synchronized (times)
        {
            rate = measured * 1e9 / (times.get(from + measured) - times.get(from));
        }
        System.out.printf("fleet: %.1f msgs/s over arrivals %d to %d: %s%s%n", rate, from, from + measured,
            markersIn(from, from + measured), more);
        return rate;
    }

    /** @return how many of the arrivals from {@code from} to {@code to} each node spooled, by {@code node-<id>}. */
    Map<String, Integer> markersIn(final int from, final int to)
    {
        final Map<String, Integer> counts = new HashMap<>();
        synchronized (times)
        {
            for (final String text : texts.subList(from, to))
            {
                final int at = text.indexOf("node-");
                if (at >= 0)
                {
                    counts.merge(text.substring(at, at + 6), 1, Integer::sum);
                }
            }
        }
        return counts;
    }

    /** @return how many arrivals the test counts: {@code which} is asked with each one's time and text. */
    long count(final BiPredicate<Long, String> which)
    {
        synchronized (times)
        {
            long count = 0;
            for (int i = 0; i < times.size(); i++)
            {
                if (which.test(times.get(i), texts.get(i)))
                {
                    count++;
                }
            }
            return count;
        }
    }

    /** @return a copy of the arrivals' texts, in order. */
    List<String> texts()
    {
        synchronized (times)
        {
            return List.copyOf(texts);
        }
    }

    @Override
    public void close() throws IOException
    {
        sink.close();
    }
}
