package io.sluice.admission;

/**
 * What bounds the backlog an appliance can hold, read when the automatic watermarks are derived
 * ({@link BacklogWatermarks#derive}): the spool's disk, the direct memory its pending index may take, and how long the
 * drain would take to empty it.
 *
 * @param freeBytes        usable space on the spool's filesystem now, bytes
 * @param reserveBytes     the spool's disk reserve ({@code spool.diskReserveBytes}): new mail stops there anyway
 * @param pendingMessages  messages pending now
 * @param pendingBytes     content bytes of the pending messages
 * @param indexBytesLimit  direct memory the pending index may take, bytes (what {@code -XX:MaxDirectMemorySize} leaves
 *                         it); 0 when unknown
 * @param drainRatePerSec  what the drain may send per second, all routes together; 0 when unknown
 * @param maxWaitMs        how long a message may wait before it is bounced ({@code drain.maxQueueLifetimeMs}); 0 when
 *                         unknown
 */
public record SpoolCapacity(long freeBytes, long reserveBytes, long pendingMessages, long pendingBytes, long indexBytesLimit,
    double drainRatePerSec, long maxWaitMs)
{
}
