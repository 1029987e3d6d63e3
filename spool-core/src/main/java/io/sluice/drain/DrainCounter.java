package io.sluice.drain;

import io.sluice.counters.EnumCounters;
import io.sluice.counters.CounterDescriptor;

/**
 * The drain's counters, each with a stable id and a label, in the manner of Aeron's system counters: ids never
 * change meaning, so a console or a benchmark can read them by id. {@link EnumCounters} refuses duplicate ids at
 * start-up. Per-route figures (rates, decreases) are in {@link DrainStatus}.
 */
public enum DrainCounter implements CounterDescriptor
{
    DISPATCHES(0, "dispatches handed to delivery"),
    RECIPIENTS_DISPATCHED(1, "recipients in dispatches handed to delivery"),
    DELIVERED(2, "recipient outcomes: delivered (2xx)"),
    DEFERRED(3, "recipient outcomes: deferred for a retry (4xx)"),
    FAILED(4, "recipient outcomes: failed (5xx or expired)"),
    EXPIRED(5, "recipients failed because their queue lifetime ran out"),
    THROTTLE_SIGNALS(6, "throttling replies (421, 4.7.x, refused connections)"),
    RATE_DECREASES(7, "decreases of a route's learned rate"),
    RATE_INCREASES(8, "increases of a route's learned rate (climbing back, probing)"),
    POLICY_REJECTIONS(9, "recipients rejected for policy (5.7.x)"),
    SOURCES_DEMOTED(10, "sources demoted to the demotion lane"),
    DISPATCHES_RETURNED(11, "dispatches handed back undelivered"),
    FLIGHTS_EXPIRED(12, "dispatches assumed lost after the in-flight timeout"),
    READY_MESSAGES(13, "messages ready to send, paused ones included (gauge)"),
    DEFERRED_MESSAGES(14, "messages waiting for a retry time (gauge)"),
    IN_FLIGHT_MESSAGES(15, "messages being delivered (gauge)"),
    HELD_MESSAGES(16, "messages whose open recipients are all held (gauge)"),
    PAUSED_MESSAGES(17, "ready messages of paused routes, tenants or sources (gauge)"),
    SNAPSHOTS_APPLIED(18, "spool snapshots applied"),
    AGENT_ERRORS(19, "errors caught in the drain agent's duty cycle"),
    RETRIED_NOW(20, "deferred messages made ready at once by an operator's retry"),
    QUARANTINED(21, "messages quarantined because the drain demoted their source or network"),
    THROTTLED_REQUEUED(22, "throttled messages put back at the head of their queue, no attempt spent"),
    CAPACITY_SIGNALS(23, "intervals a route's delivery had no room for its ready mail (a slow or limiting upstream)"),
    LOCAL_STALLS(24, "intervals a route's delivery had no room because its slots waited on the journal: rate kept");

    private final int id;
    private final String label;

    DrainCounter(final int id, final String label)
    {
        this.id = id;
        this.label = label;
    }

    public int id()
    {
        return id;
    }

    public String label()
    {
        return label;
    }
}
