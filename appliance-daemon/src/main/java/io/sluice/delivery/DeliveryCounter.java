package io.sluice.delivery;

import io.sluice.counters.EnumCounters;
import io.sluice.counters.CounterDescriptor;

/**
 * Delivery's counters, each with a stable id and a label (as {@code DrainCounter}): ids never change meaning, so a
 * console or a benchmark can read them by id. {@link EnumCounters} refuses duplicate ids at start-up.
 */
public enum DeliveryCounter implements CounterDescriptor
{
    CONNECTIONS_OPENED(0, "upstream connections established (greeting and EHLO/HELO answered)"),
    CONNECT_FAILURES(1, "connection attempts refused, timed out, or greeted with an error"),
    CONNECTIONS_LOST(2, "connections lost, timed out or broken by a protocol error during a transaction"),
    TRANSACTIONS(3, "SMTP transactions started (MAIL sent)"),
    PIPELINED_TRANSACTIONS(4, "transactions sent with PIPELINING: MAIL, RCPTs and DATA in one flush"),
    REUSED_TRANSACTIONS(5, "transactions on a connection reused after RSET"),
    DEAD_CONNECTIONS(6, "idle pooled connections found dead before use (by RSET, or before the next transaction's first reply)"),
    TIMEOUTS(7, "replies or data blocks that timed out (RFC 5321 4.5.3.2)"),
    LOST_AFTER_DATA(8, "connections lost after the end of data, before its reply: the message may arrive twice"),
    FILES_WRITTEN(9, "messages written into dir: routes"),
    LOCAL_ERRORS(10, "dispatches deferred for a local error (unreadable content, dir: write failure)"),
    UNUSED_11(11, DeliveryCounter.MOVED),
    UNUSED_12(12, DeliveryCounter.MOVED),
    UNUSED_13(13, DeliveryCounter.MOVED),
    DISPATCHES_RETURNED(14, "dispatches handed back to the drain unattempted"),
    UNUSED_15(15, DeliveryCounter.MOVED),
    TLS_SESSIONS(16, "upstream connections encrypted with STARTTLS"),
    TLS_FAILURES(17, "STARTTLS required but not offered, refused, or its handshake or certificate check failed"),
    AUTHENTICATED(18, "upstream connections authenticated with SMTP AUTH"),
    AUTH_FAILURES(19, "SMTP AUTH refused by the upstream, not offered, or withheld from a clear connection"),
    RECIPIENT_PROBES(20, "recipient verification probes sent upstream (MAIL FROM:<>, RCPT, RSET; never DATA)"),
    RECIPIENT_CACHE_HITS(21, "recipient verifications answered from the cache, without a probe"),
    RECIPIENTS_UNKNOWN(22, "recipients the upstream refused as unknown (probe or cache): refused at RCPT with 550 5.1.1"),
    RECIPIENT_PROBES_TEMPFAILED(23, "recipient probes the upstream answered 4xx"),
    RECIPIENTS_UNVERIFIED(24, "recipients without a verdict: upstream unreachable, too slow, or over the probe budget"),
    RECIPIENT_PROBES_OVER_BUDGET(25, "recipient verifications over the route's probe budget: not probed, left unverified");

    /** Ids 11 to 13 and 15 counted outcomes, which the outcome stage journals now: {@code OutcomeCounter}. */
    private static final String MOVED = "unused: outcomes are counted by the outcome stage (OutcomeCounter)";

    private final int id;
    private final String label;

    DeliveryCounter(final int id, final String label)
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

    @Override
    public boolean inUse()
    {
        return !MOVED.equals(label);
    }
}
