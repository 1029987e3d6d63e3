package io.sluice.drain;

/** What a reply says about the route and the source, beside the recipient's own status. */
public enum ReplySignal
{
    /** {@code 2xx}: the route is healthy; counts towards additive rate recovery. */
    ACCEPTED,
    /** A transient failure that says nothing about load: deferred and retried. */
    DEFERRED,
    /** The upstream asks us to slow down ({@code 421}, {@code 4.7.x}, refused connection): multiplicative decrease. */
    THROTTLED,
    /** A permanent failure: failed, handed to the bounce policy. */
    REJECTED,
    /** A permanent policy rejection ({@code 5.7.x}): failed, and counts towards demoting the source. */
    POLICY_REJECTED
}
