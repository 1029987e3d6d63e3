package io.sluice.bounce;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.BucketState;
import io.github.bucket4j.MathType;

/**
 * One Bucket4j token bucket per key (a bounce recipient, a domain), at most {@code maxKeys} of them: the least
 * recently used goes first, and comes back with a full bucket. All token arithmetic is Bucket4j's, on a
 * {@link BucketState} mutated in place, as admission's {@code TrackedKey} does.
 *
 * <p>NOT thread-safe: guarded by the {@link BouncePolicy}'s lock.
 */
final class KeyedBuckets
{
    private final BucketConfiguration configuration;
    private final Map<String, BucketState> states;

    /**
     * @param ratePerHour tokens refilled per hour, greedily; 0 for no limit (no bucket is ever kept).
     * @param burst       the bucket's capacity.
     * @param maxKeys     the most keys with a bucket.
     */
    KeyedBuckets(final long ratePerHour, final long burst, final int maxKeys)
    {
        configuration = ratePerHour == 0 ? null : BucketConfiguration.builder()
            .addLimit(limit -> limit.capacity(burst).refillGreedy(ratePerHour, Duration.ofHours(1)))
            .build();
        states = new LinkedHashMap<>(16, 0.75f, true)
        {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(final Map.Entry<String, BucketState> eldest)
            {
                return size() > maxKeys;
            }
        };
    }

    boolean isOff()
    {
        return configuration == null;
    }

    /** @return true if a token was taken (or there is no limit), false if the key's bucket is empty. */
    boolean tryConsume(final String key, final long nowNs)
    {
        if (configuration == null)
        {
            return true;
        }
        BucketState state = states.get(key);
        if (state == null)
        {
            state = BucketState.createInitialState(configuration, MathType.INTEGER_64_BITS, nowNs);
            states.put(key, state);
        }
        state.refillAllBandwidth(nowNs);
        if (state.getAvailableTokens() < 1)
        {
            return false;
        }
        state.consume(1);
        return true;
    }

    /** Gives back a token taken by {@link #tryConsume} for a bounce refused further on; never above the burst. */
    void refund(final String key, final long nowNs)
    {
        final BucketState state = configuration == null ? null : states.get(key);
        if (state != null)
        {
            state.refillAllBandwidth(nowNs);
            state.addTokens(1);
        }
    }

    int size()
    {
        return states.size();
    }
}
