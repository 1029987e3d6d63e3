package io.sluice.admission;

/** Admission's answer; the SMTP layer maps each to exactly one reply, in one place. */
public enum Verdict
{
    /** Go ahead. */
    ACCEPT,
    /** The source is on the blocklist: {@code 554 5.7.1}. */
    BLOCKED,
    /** A token bucket is empty: {@code 450 4.7.1} (or {@code 421 4.7.0} at connect), retry later. */
    RATE_LIMITED,
    /** Backlog or oldest age over the high watermark: {@code 421 4.3.2} / {@code 452 4.3.1}. */
    BACKPRESSURE,
    /**
     * The backlog at its hard limit ({@code admission.backlog.hardLimit}): every source is refused, trusted ones too,
     * and the reply says so, {@code 421 4.3.2} / {@code 452 4.3.1} "spool backlog over its limit".
     */
    BACKLOG_FULL,
    /** The spool's disk is under its reserve: {@code 452 4.3.1}. */
    DISK_FULL,
    /** A new message would wait longer than the bound behind the backlog: {@code 451 4.3.2}. */
    PROJECTED_DELAY
}
