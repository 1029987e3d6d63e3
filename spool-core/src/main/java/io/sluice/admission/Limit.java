package io.sluice.admission;

import java.time.Duration;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;

/**
 * A token bucket's limit: it holds at most {@code burst} tokens and refills greedily (continuously) at
 * {@code ratePerSecond}. A rate of 0 means no limit at all, and then no bucket is kept.
 *
 * @param ratePerSecond tokens added per second, from {@value #MIN_RATE_PER_SECOND} to {@value #MAX_RATE_PER_SECOND};
 *                      0 for no limit
 * @param burst         the bucket's capacity, from 1 to {@value #MAX_BURST}; ignored (0) when there is no limit
 */
public record Limit(double ratePerSecond, long burst)
{
    /** One token per 1000 s: anything slower is a block, which the blocklist says more plainly. */
    public static final double MIN_RATE_PER_SECOND = 0.001;
    public static final double MAX_RATE_PER_SECOND = 1_000_000;
    public static final long MAX_BURST = 1_000_000_000L;
    public static final Limit UNLIMITED = new Limit(0, 0);

    static final String RATE_EXPECTED = "expected 0 (no limit) or a rate from " + MIN_RATE_PER_SECOND + " to "
        + (long)MAX_RATE_PER_SECOND + " per second";
    static final String BURST_EXPECTED = "expected a burst from 1 to " + MAX_BURST;

    /**
     * @throws IllegalArgumentException if the rate or the burst is out of range; the message says which.
     */
    public Limit
    {
        if (!isValidRate(ratePerSecond))
        {
            throw new IllegalArgumentException("ratePerSecond=" + ratePerSecond + ": " + RATE_EXPECTED);
        }
        if (ratePerSecond == 0)
        {
            burst = 0;
        }
        else if (!isValidBurst(burst))
        {
            throw new IllegalArgumentException("burst=" + burst + ": " + BURST_EXPECTED);
        }
    }

    static boolean isValidRate(final double ratePerSecond)
    {
        return ratePerSecond == 0 || (ratePerSecond >= MIN_RATE_PER_SECOND && ratePerSecond <= MAX_RATE_PER_SECOND);
    }

    static boolean isValidBurst(final long burst)
    {
        return burst >= 1 && burst <= MAX_BURST;
    }

    public boolean isUnlimited()
    {
        return ratePerSecond == 0;
    }

    /**
     * @return the Bucket4j configuration for this limit, null when unlimited. Bucket4j does all the token
     *         arithmetic (greedy refill, rounding carry, delay until the next token); admission only stores
     *         its state per key.
     */
    BucketConfiguration toConfiguration()
    {
        if (isUnlimited())
        {
            return null;
        }
        final Bandwidth bandwidth;
        if (ratePerSecond == Math.rint(ratePerSecond))
        {
            bandwidth = Bandwidth.builder().capacity(burst).refillGreedy((long)ratePerSecond, Duration.ofSeconds(1)).build();
        }
        else
        {
            // A fractional rate as one token per period: 0.5/s is 1 per 2 s, 2.5/s is 1 per 400 ms (exact to 1 ns).
            final long periodNanos = Math.round(1e9 / ratePerSecond);
            bandwidth = Bandwidth.builder().capacity(burst).refillGreedy(1, Duration.ofNanos(periodNanos)).build();
        }
        return BucketConfiguration.builder().addLimit(bandwidth).build();
    }

    @Override
    public String toString()
    {
        return isUnlimited() ? "unlimited" : ratePerSecond + "/s burst " + burst;
    }
}
