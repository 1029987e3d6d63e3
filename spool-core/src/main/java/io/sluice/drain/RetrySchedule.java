package io.sluice.drain;

import java.util.random.RandomGenerator;

/**
 * When a temporarily failed recipient is tried again: exponential backoff from {@code drain.retry.initialMs},
 * multiplied by {@code drain.retry.multiplier} per attempt up to {@code drain.retry.maxMs}, with jitter, until
 * the message's maximum queue lifetime; then it fails.
 *
 * <p>RFC 5321 §4.5.4.1 asks for retries that back off and for giving up after "at least 4-5 days"; it suggests
 * 30 minutes between attempts, which modern MTAs shorten for the first tries (Postfix starts at 5 minutes and
 * backs off to about an hour). The defaults here, 1 minute doubling to 1 hour and 5 days, follow the issue. Jitter
 * only ever shortens a delay, by up to {@code drain.retry.jitter} of it: the ceiling stays a ceiling, and the
 * thousands of recipients deferred by one upstream outage do not all come back in the same second.
 *
 * <p>Thread-safe if its random generator is.
 */
public final class RetrySchedule
{
    private final long initialMs;
    private final long maxMs;
    private final double multiplier;
    private final double jitter;
    private final long lifetimeMs;
    private final RandomGenerator random;

    public RetrySchedule(final DrainContext context)
    {
        this(context.retryInitialMs(), context.retryMaxMs(), context.retryMultiplier(), context.retryJitter(),
            context.maxQueueLifetimeMs(), context.random());
    }

    /** A schedule from explicit figures (the other constructor takes them from the drain's settings). */
    public RetrySchedule(
        final long initialMs,
        final long maxMs,
        final double multiplier,
        final double jitter,
        final long lifetimeMs,
        final RandomGenerator random)
    {
        this.initialMs = initialMs;
        this.maxMs = maxMs;
        this.multiplier = multiplier;
        this.jitter = jitter;
        this.lifetimeMs = lifetimeMs;
        this.random = random;
    }

    /**
     * @param attempts attempts made so far, at least 1.
     * @return the delay before the next attempt without jitter: {@code min(max, initial × multiplier^(attempts-1))}.
     */
    public long baseDelayMillis(final int attempts)
    {
        final double delay = initialMs * Math.pow(multiplier, Math.max(0, attempts - 1));
        return delay >= maxMs ? maxMs : (long)delay;
    }

    /** @return the delay before the next attempt, jittered into {@code ((1 - jitter) × base, base]}. */
    public long delayMillis(final int attempts)
    {
        final long base = baseDelayMillis(attempts);
        return Math.max(1, base - (long)(base * jitter * random.nextDouble()));
    }

    /** @return when a message received at {@code receivedAtMillis} expires. */
    public long expiresAtMillis(final long receivedAtMillis)
    {
        return receivedAtMillis + lifetimeMs;
    }

    /**
     * @param attempts         attempts made so far, this one included.
     * @param receivedAtMillis when the message was received.
     * @param nowMillis        now.
     * @return the earliest time of the next attempt, never after the expiry (so the last attempt happens at the
     *         expiry rather than never), or -1 when the message has expired and the recipient must fail.
     */
    public long nextAttemptMillis(final int attempts, final long receivedAtMillis, final long nowMillis)
    {
        final long expiresAt = expiresAtMillis(receivedAtMillis);
        if (nowMillis >= expiresAt)
        {
            return -1;
        }
        return Math.min(expiresAt, nowMillis + delayMillis(attempts));
    }

    public long lifetimeMillis()
    {
        return lifetimeMs;
    }
}
