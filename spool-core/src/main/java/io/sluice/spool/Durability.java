package io.sluice.spool;

/** When an append is acknowledged. */
public enum Durability
{
    /**
     * Acknowledge only after an {@code msync} covers the record: it survives power loss. Many appends share
     * one sync (group commit); measured here, one sync per message costs ~250-600 µs, one per 16 ~40 µs a message.
     */
    DURABLE,
    /**
     * Acknowledge once the record is in the page cache: it survives {@code kill -9} of the process, not
     * power loss. For benchmarks and embedders who accept that trade.
     */
    ACK_ON_WRITE
}
