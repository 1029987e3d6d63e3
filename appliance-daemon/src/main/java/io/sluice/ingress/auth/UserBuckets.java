package io.sluice.ingress.auth;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;

/**
 * Each authenticated user's own message bucket, for users whose line has {@code rate=}: one token per message at
 * MAIL FROM, taken before the tenant's buckets in admission, so one application of a tenant cannot spend the
 * whole tenant's allowance. Bucket4j's arithmetic on the injected clock. A user whose rate changes in the users
 * file gets a new, full bucket. Thread-safe.
 */
final class UserBuckets
{
    private record Held(AuthUser.Rate rate, Bucket bucket)
    {
    }

    private final Map<String, Held> buckets = new ConcurrentHashMap<>();
    private final TimeMeter time;

    UserBuckets(final Clock clock)
    {
        this.time = new TimeMeter()
        {
            @Override
            public long currentTimeNanos()
            {
                return clock.millis() * 1_000_000L;
            }

            @Override
            public boolean isWallClockBased()
            {
                return false;
            }
        };
    }

    /** @return 0 if {@code user} may send a message now (a token taken), else the milliseconds until it may. */
    long take(final AuthUser user)
    {
        final AuthUser.Rate rate = user.rate();
        if (rate == null)
        {
            return 0;
        }
        final Held held = buckets.compute(user.name(), (name, old) -> old != null && old.rate().equals(rate) ? old
            : new Held(rate, Bucket.builder()
                .addLimit(limit -> limit.capacity(rate.messages())
                    .refillGreedy(rate.messages(), Duration.ofSeconds(rate.seconds())))
                .withCustomTimePrecision(time)
                .build()));
        final ConsumptionProbe probe = held.bucket().tryConsumeAndReturnRemaining(1);
        return probe.isConsumed() ? 0 : Math.max(1, probe.getNanosToWaitForRefill() / 1_000_000L);
    }

    /** Forgets the buckets of users no longer in {@code users}. */
    void retain(final Map<String, AuthUser> users)
    {
        buckets.keySet().retainAll(users.keySet());
    }
}
