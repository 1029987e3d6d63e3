package io.sluice.admission;

/**
 * One address's or one network's reputation: clean and bad points that decay with a half-life, and plain counts
 * of each {@link ReputationEvent} for the console. The entry is its own key in {@link ReputationTable} (a lookup
 * probe is a {@link KeyProbe}), held as two longs like {@link TrackedKey}, so a lookup never formats
 * an address.
 *
 * <p>Thread-safe: the points and counts are guarded by this entry's monitor, held for the arithmetic of one
 * update; decisions on event-loop threads read them under it too.
 */
final class ReputationEntry
{
    /** Bad points above this share of the clean points mark a bad record; at or below it, a clean one. */
    static final double TOLERANCE = 0.05;
    /**
     * Clean points stop growing here: a long clean history earns the larger buckets, but cannot hide a source that
     * turns bad. At the cap, {@code CLEAN_CAP * TOLERANCE} = 50 bad points demote it however clean it was.
     */
    static final float CLEAN_CAP = 1000;
    /**
     * The thresholds are met at 98 % of their points: the points of a handful of events that arrive over some
     * minutes have decayed a little by the last one (five over twenty minutes at a 12 h half-life make 4.90), and
     * "demoted after five" must mean five; four and three quarters must not.
     */
    static final double DECAY_SLACK = 0.98;
    private static final double LN2 = Math.log(2);

    final boolean ipv6;
    /** 32 or 128 for an address; the configured network prefix length for a network. */
    final byte prefixLength;
    final long high;
    final long low;

    /** Guarded by {@code this}. */
    private float clean;
    private float bad;
    private long updatedMillis;
    private final int[] counts = new int[ReputationEvent.values().length];
    private byte lastBad = -1;

    ReputationEntry(final boolean ipv6, final int prefixLength, final long high, final long low)
    {
        this.ipv6 = ipv6;
        this.prefixLength = (byte)prefixLength;
        this.high = high;
        this.low = low;
    }

    boolean isNetwork()
    {
        return prefixLength != (ipv6 ? 128 : 32);
    }

    /** @return the key as an operator writes it: {@code 198.51.100.7} or {@code 198.51.100.0/24}. */
    String text()
    {
        return TrackedKey.fromParts(isNetwork() ? KeyKind.NETWORK : KeyKind.IP, ipv6, prefixLength, high, low).text();
    }

    synchronized void record(final ReputationEvent event, final long nowMillis, final long halfLifeMillis)
    {
        decay(nowMillis, halfLifeMillis);
        if (event.isBad())
        {
            bad += (float)event.weight();
            lastBad = (byte)event.ordinal();
        }
        else
        {
            clean = Math.min(CLEAN_CAP, clean + (float)event.weight());
        }
        counts[event.ordinal()]++;
    }

    /** @return the class these points earn now: DEMOTED, CLEAN or UNKNOWN. */
    synchronized SourceClass standing(final long nowMillis, final long halfLifeMillis, final double demoteAfter,
        final double cleanAfter)
    {
        decay(nowMillis, halfLifeMillis);
        if (bad >= demoteAfter * DECAY_SLACK && bad > clean * TOLERANCE)
        {
            return SourceClass.DEMOTED;
        }
        if (clean >= cleanAfter * DECAY_SLACK && bad <= clean * TOLERANCE)
        {
            return SourceClass.CLEAN;
        }
        return SourceClass.UNKNOWN;
    }

    /**
     * @return whether these points make an established source: at least {@code establishedAfter} clean points (met at
     *         98 %, as the other thresholds) with bad points within the tolerance. A flood's network that turns clean
     *         on its first twenty deliveries is far from it; a partner that has been delivering for a while is not.
     */
    synchronized boolean isEstablished(final long nowMillis, final long halfLifeMillis, final double establishedAfter)
    {
        decay(nowMillis, halfLifeMillis);
        return clean >= establishedAfter * DECAY_SLACK && bad <= clean * TOLERANCE;
    }

    /** Guarded by {@code this}: exponential decay since the last update, then stamps {@code nowMillis}. */
    private void decay(final long nowMillis, final long halfLifeMillis)
    {
        final long elapsed = nowMillis - updatedMillis;
        if (elapsed > 0 && updatedMillis != 0)
        {
            final float factor = (float)Math.exp(-LN2 * elapsed / halfLifeMillis);
            clean *= factor;
            bad *= factor;
        }
        if (elapsed > 0 || updatedMillis == 0)
        {
            updatedMillis = nowMillis;
        }
    }

    /** @return clean plus bad points now; near 0 the entry carries nothing and may be dropped. */
    synchronized double weight(final long nowMillis, final long halfLifeMillis)
    {
        decay(nowMillis, halfLifeMillis);
        return clean + bad;
    }

    synchronized Saved save(final long nowMillis, final long halfLifeMillis)
    {
        decay(nowMillis, halfLifeMillis);
        return new Saved(clean, bad, updatedMillis, counts.clone(), lastBad);
    }

    /** Installs saved points (from the state file) into a fresh entry. */
    synchronized void restore(final Saved saved)
    {
        clean = Math.min(CLEAN_CAP, Math.max(0, saved.clean()));
        bad = Math.max(0, saved.bad());
        updatedMillis = saved.updatedMillis();
        System.arraycopy(saved.counts(), 0, counts, 0, Math.min(counts.length, saved.counts().length));
        lastBad = saved.lastBad() >= -1 && saved.lastBad() < counts.length ? saved.lastBad() : -1;
    }

    /** An entry's points as of {@code updatedMillis}, for the console and the state file. */
    record Saved(float clean, float bad, long updatedMillis, int[] counts, byte lastBad)
    {
    }

    @Override
    public boolean equals(final Object other)
    {
        return other instanceof ReputationEntry entry && entry.high == high && entry.low == low && entry.ipv6 == ipv6
            && entry.prefixLength == prefixLength;
    }

    @Override
    public int hashCode()
    {
        return hash(ipv6, prefixLength, high, low);
    }

    /** The hash of an entry; {@link KeyProbe} hashes the same way. */
    static int hash(final boolean ipv6, final int prefixLength, final long high, final long low)
    {
        final long mixed = (high * 0x9E37_79B9_7F4A_7C15L) ^ low ^ (ipv6 ? 0x5555_5555_0000_0000L : 0);
        final long spread = mixed * 0xC2B2_AE3D_27D4_EB4FL;
        // As the entry holds it: a byte, so an IPv6 address's 128 hashes as the stored -128, whoever asks.
        return (int)(spread ^ (spread >>> 32)) * 31 + (byte)prefixLength;
    }
}
