package io.sluice.metrics;

import java.util.function.LongSupplier;

import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.SpoolListener;

/**
 * Times each message from the spool's listener, which is told of every message once it is durable and of every
 * outcome: the acknowledgement latency (receipt, when the end of DATA arrived, to durable in the journal, when the
 * {@code 250} may go) and the time in queue (receipt to the last recipient's final outcome). Both come from the
 * envelope's receipt time, so nothing is added to the SMTP or delivery paths; an observation is a few striped adds.
 * The listener runs on the journal writer's thread, which then passes the message on unchanged.
 */
public final class SpoolTimings implements SpoolListener
{
    private final SpoolListener next;
    private final LongSupplier clockMillis;
    private final Histogram ackLatency;
    private final Histogram queueTime;

    /**
     * @param next        the listener this one passes every call on to
     * @param clockMillis the clock the envelopes' receipt times come from, epoch ms
     * @param registry    where the two histograms are registered
     */
    public SpoolTimings(final SpoolListener next, final LongSupplier clockMillis, final PrometheusRegistry registry)
    {
        this.next = next;
        this.clockMillis = clockMillis;
        ackLatency = Histogram.builder().name("sluice_smtp_ack_latency_seconds")
            .help("from a message's receipt (end of DATA) to durable in the journal, when its 250 may be sent")
            .classicUpperBounds(0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
            .classicOnly().register(registry);
        queueTime = Histogram.builder().name("sluice_queue_time_seconds")
            .help("from a message's receipt to the final outcome of its last recipient (delivered, failed or expired)")
            .classicUpperBounds(1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, 5 * 24 * 3600)
            .classicOnly().register(registry);
    }

    @Override
    public void onAccepted(final PendingMessage message)
    {
        ackLatency.observe(secondsSince(message));
        next.onAccepted(message);
    }

    @Override
    public void onOutcome(final PendingMessage message)
    {
        if (message.isFinished())
        {
            queueTime.observe(secondsSince(message));
        }
        next.onOutcome(message);
    }

    private double secondsSince(final PendingMessage message)
    {
        return Math.max(0, clockMillis.getAsLong() - message.envelope().receivedAtMillis()) / 1000.0;
    }
}
