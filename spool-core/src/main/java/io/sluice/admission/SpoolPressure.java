package io.sluice.admission;

/**
 * What admission needs to know about the spool and the drain to slow ingress down before the backlog
 * becomes hours of delay. The daemon implements it over the spool's counters and the drain's rates.
 */
public interface SpoolPressure
{
    /** @return messages waiting in the spool. */
    long pendingMessages();

    /** @return age of the oldest pending message, ms; 0 when nothing is pending. */
    long oldestPendingAgeMillis();

    /** @return false while the spool's disk is under its reserve. */
    boolean acceptingMessages();

    /**
     * @param lane the lane a new message would join.
     * @return how long, in ms, a new message on that lane would wait behind the backlog ahead of it at the
     *         current drain rate; 0 when there is no estimate yet.
     */
    long projectedDelayMillis(String lane);

    /**
     * @return what bounds the backlog the spool can hold (its disk, its index's memory, the drain's rate), read when
     *         the automatic backlog watermarks are derived, every few seconds; null when not known, and the watermarks
     *         then fall back to fixed figures ({@link BacklogWatermarks#FALLBACK}).
     */
    default SpoolCapacity capacity()
    {
        return null;
    }
}
