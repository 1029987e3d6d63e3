package io.sluice.admission;

import java.util.Locale;

/**
 * The backlog watermarks in force, and where they came from. {@code admission.backlog.*} is a number or {@code auto};
 * {@code auto} is derived from what the appliance can hold ({@link SpoolCapacity}), the smallest of:
 *
 * <ul>
 * <li>the disk: the messages pending now plus the space above the disk reserve at their average size on disk (the
 *     pending average once there are {@value #MIN_SAMPLE} of them, else {@value #ASSUMED_CONTENT_BYTES} B, each with
 *     {@value #JOURNAL_OVERHEAD_BYTES} B of envelope and records around it);</li>
 * <li>the pending index's direct memory at {@value #INDEX_ENTRY_BYTES} B a message: past it the index can take no more
 *     (the spool then refuses, with no OutOfMemoryError, but refusing at admission says why);</li>
 * <li>the drain: its rate times the time a message may wait before it is bounced; a backlog that takes longer to send
 *     than that is mail accepted only to bounce.</li>
 * </ul>
 *
 * <p>That capacity is the hard limit (trusted sources stop there); the high watermark is two thirds of it and the low
 * half the high, the proportions of the fixed 150,000 / 100,000 / 50,000 shipped before. Derived again as the disk
 * fills or frees ({@link BacklogSizing}): the pending messages count in both the space they take and the capacity, so
 * the figure stays put while a backlog grows, and falls when something else fills the disk.
 *
 * @param low       backpressure, once on, stays on until the backlog is at or below this
 * @param high      backpressure turns on above this
 * @param hardLimit trusted sources are refused from this on
 * @param basis     where the figures came from, for the console and the log
 */
public record BacklogWatermarks(long low, long high, long hardLimit, String basis)
{
    /** What admission.backlog.* says for a figure derived from the capacity. */
    public static final long AUTO = -1;
    /** {@code PendingIndex}'s fixed entry, direct memory. */
    static final int INDEX_ENTRY_BYTES = 64;
    /** The content size assumed until enough messages are pending to measure it; the reference message. */
    static final long ASSUMED_CONTENT_BYTES = 4096;
    /** Envelope, record headers and outcome records around a message's content in the journal. */
    static final long JOURNAL_OVERHEAD_BYTES = 512;
    /** Pending messages from which their own average size is used. */
    static final long MIN_SAMPLE = 1000;
    /** The fixed figures, when nothing tells what the appliance can hold (an embedder without a capacity). */
    static final BacklogWatermarks FALLBACK = new BacklogWatermarks(50_000, 100_000, 150_000, "fixed: no spool capacity known");

    private static final long MIB = 1L << 20;

    /**
     * @param low      {@code admission.backlog.lowWatermark}, or {@link #AUTO}
     * @param high     {@code admission.backlog.highWatermark}, or {@link #AUTO}
     * @param hard     {@code admission.backlog.hardLimit}, or {@link #AUTO}
     * @param capacity what the appliance can hold; null when unknown ({@link #FALLBACK} then stands in for it)
     * @return the figures in force: configured ones as they are, the others derived. A configured low above a
     *         derived high is held at the high; a derived high above a configured hard limit is held at the limit.
     */
    public static BacklogWatermarks derive(final long low, final long high, final long hard, final SpoolCapacity capacity)
    {
        if (low != AUTO && high != AUTO && hard != AUTO)
        {
            return new BacklogWatermarks(low, high, hard, "configured");
        }
        final BacklogWatermarks auto = capacity == null ? FALLBACK : fromCapacity(capacity);
        final long effectiveHard = hard != AUTO ? hard : Math.max(auto.hardLimit, high);
        final long effectiveHigh = high != AUTO ? high : Math.min(auto.high, effectiveHard);
        final long effectiveLow = low != AUTO ? Math.min(low, effectiveHigh) : effectiveHigh / 2;
        return new BacklogWatermarks(effectiveLow, effectiveHigh, effectiveHard,
            (low != AUTO || high != AUTO || hard != AUTO ? "partly configured; auto: " : "auto: ") + auto.basis);
    }

    private static BacklogWatermarks fromCapacity(final SpoolCapacity capacity)
    {
        final long pending = Math.max(0, capacity.pendingMessages());
        final long content = pending >= MIN_SAMPLE ? capacity.pendingBytes() / pending : ASSUMED_CONTENT_BYTES;
        final long perMessage = content + JOURNAL_OVERHEAD_BYTES;
        final long room = Math.max(0, capacity.freeBytes() - capacity.reserveBytes());
        long limit = saturatedAdd(pending, room / perMessage);
        String basis = String.format(Locale.ROOT, "disk, %d MiB free above the %d MiB reserve at %d B a message", room / MIB,
            capacity.reserveBytes() / MIB, perMessage);
        if (capacity.indexBytesLimit() > 0 && capacity.indexBytesLimit() / INDEX_ENTRY_BYTES < limit)
        {
            limit = capacity.indexBytesLimit() / INDEX_ENTRY_BYTES;
            basis = String.format(Locale.ROOT, "index memory, %d MiB of direct memory at %d B a message",
                capacity.indexBytesLimit() / MIB, INDEX_ENTRY_BYTES);
        }
        final double drainable = capacity.drainRatePerSec() * capacity.maxWaitMs() / 1000.0;
        if (drainable > 0 && drainable < limit)
        {
            limit = (long)drainable;
            basis = String.format(Locale.ROOT, "drain, %.0f msgs/s for the %d h a message may wait",
                capacity.drainRatePerSec(), capacity.maxWaitMs() / 3_600_000);
        }
        final long hard = Math.max(1, limit);
        return new BacklogWatermarks(0, Math.max(1, hard / 3 * 2 + hard % 3 * 2 / 3), hard, basis);
    }

    private static long saturatedAdd(final long a, final long b)
    {
        final long sum = a + b;
        return sum < 0 ? Long.MAX_VALUE : sum;
    }

    /** @return the figures for the console: "low 50000, high 100000, hard limit 150000 (auto: disk, ...)". */
    @Override
    public String toString()
    {
        return "low " + low + ", high " + high + ", hard limit " + hardLimit + " (" + basis + ")";
    }
}
