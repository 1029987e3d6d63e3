package io.sluice.fleet;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.TokensInheritanceStrategy;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.sluice.counters.EnumCounters;
import io.sluice.drain.EgressTokens;

/**
 * One rate the fleet divides (a route's egress, a tenant's admission): a Bucket4j bucket in Redis at the configured
 * rate and burst, from which this node borrows small batches (about {@code fleet.batchMs} worth of tokens) ahead of
 * need, so a caller takes a token without a Redis round trip and Redis sees about one request per batch per busy node.
 * A node borrows only when asked for a token (the drain asks only with mail ready; admission only for a message), so
 * the rate goes to the nodes that use it, in proportion to what they use, and none is set aside for an idle node.
 * Tokens a node borrowed and did not use within {@link #IDLE_RETURN_NANOS} go back to the shared bucket.
 *
 * <p>While Redis is away ({@link FleetHealth}), the node takes from a local bucket at the rate divided by the live
 * nodes it last saw, so the fleet as a whole keeps to about the shared rate and nothing waits for Redis.
 *
 * <p>Threads: {@link #tryTake}, {@link #refund} and {@link #nanosUntilRetry} on the drain thread or on several SMTP
 * event loops at once; a borrow completes on Lettuce's thread; {@link #returnIdle} on the fleet's timer. The borrowed
 * tokens are one atomic count; the fallback bucket is made under this object's monitor, rarely.
 */
final class SharedTokens implements EgressTokens
{
    static final long IDLE_RETURN_NANOS = 200_000_000L;
    /** How soon the drain asks again while a borrow is on its way (a loopback round trip is well under this). */
    private static final long BORROW_POLL_NANOS = 1_000_000L;
    /**
     * Borrows on their way at once, at most. One at a time would cap a node at one batch per round trip (5 tokens per
     * 270 ms measured on a loaded machine: a third of the rate); a new one is sent while the tokens already asked for
     * cover less than a batch, so a slow Redis costs latency, not rate, and Redis still sees about one request per
     * batch.
     */
    private static final int MAX_BORROWS_IN_FLIGHT = 8;

    private final String key;
    private final FleetHealth health;
    private final EnumCounters<FleetCounter> counters;
    private final TimeMeter time;
    private final AsyncProxyManagerSource buckets;
    private final long batchMs;
    /** Tokens borrowed and not yet spent; below 0, tokens spent on credit that the next borrows repay. */
    private final AtomicLong stash = new AtomicLong();
    /**
     * Whether a caller may take a token on credit, up to one batch, while its batch is on its way. Admission needs it:
     * a tenant that sends one message a minute would otherwise find its node's stash empty (returned when idle) at
     * each message and be refused each time, then again at each retry. The drain does not: it asks again within a
     * millisecond. Credit keeps the rate over time (the next borrows repay it), and lends a node at most one batch
     * ahead of the shared bucket.
     */
    private final boolean onCredit;
    /** Tokens asked for by borrows on their way, and how many borrows those are. */
    private final AtomicLong asked = new AtomicLong();
    private final AtomicInteger borrowing = new AtomicInteger();
    private volatile long emptyUntilNanos;
    private volatile long lastTakeNanos;
    private volatile double ratePerSec;
    private volatile int burst;
    private volatile AsyncBucketProxy shared;
    /** The fallback bucket; the divisor and rate it was made for, guarded by {@code this}. */
    private volatile Bucket local;
    private int localDivisor;
    private double localRate;

    /** Where the proxy manager comes from: null until Redis was first reached. */
    @FunctionalInterface
    interface AsyncProxyManagerSource
    {
        AsyncProxyManager<String> get();
    }

    SharedTokens(final String key, final double ratePerSec, final int burst, final long batchMs, final boolean onCredit,
        final FleetHealth health, final EnumCounters<FleetCounter> counters, final TimeMeter time,
        final AsyncProxyManagerSource buckets)
    {
        this.onCredit = onCredit;
        this.key = key;
        this.batchMs = batchMs;
        this.health = health;
        this.counters = counters;
        this.time = time;
        this.buckets = buckets;
        this.ratePerSec = ratePerSec;
        this.burst = burst;
        lastTakeNanos = time.currentTimeNanos();
    }

    /**
     * The shared bucket's configuration: {@code burst} tokens, refilled continuously at the rate. Bucket4j counts
     * refills in whole tokens per period, so the rate is written as thousandths of a token per 1000 s.
     */
    static BucketConfiguration configuration(final double ratePerSec, final long capacity)
    {
        final long perThousandSeconds = Math.max(1, Math.round(ratePerSec * 1000));
        return BucketConfiguration.builder()
            .addLimit(limit -> limit.capacity(Math.max(1, capacity)).refillGreedy(perThousandSeconds, Duration.ofSeconds(1000)))
            .build();
    }

    double ratePerSec()
    {
        return ratePerSec;
    }

    int burst()
    {
        return burst;
    }

    /** @return tokens to borrow at once: {@code fleet.batchMs} worth at the rate, at least 1, at most the burst. */
    long batch()
    {
        return Math.max(1, Math.min(burst, Math.round(ratePerSec * batchMs / 1000.0)));
    }

    @Override
    public boolean tryTake(final long nowNanos)
    {
        final long now = time.currentTimeNanos();
        lastTakeNanos = now;
        final AsyncBucketProxy proxy = proxy();
        if (proxy == null || !health.isShared())
        {
            return takeBorrowed(0) || takeLocal();
        }
        final long batch = batch();
        if (borrowing.get() < MAX_BORROWS_IN_FLIGHT && stash.get() + asked.get() <= batch && now - emptyUntilNanos >= 0)
        {
            borrow(proxy, batch);
        }
        return takeBorrowed(onCredit ? batch : 0);
    }

    /** @param credit how far below 0 the stash may go: tokens taken ahead of a borrow on its way. */
    private boolean takeBorrowed(final long credit)
    {
        long left;
        do
        {
            left = stash.get();
            if (left <= -credit)
            {
                return false;
            }
        }
        while (!stash.compareAndSet(left, left - 1));
        return true;
    }

    private boolean takeLocal()
    {
        return localBucket().tryConsume(1);
    }

    /** @return the fallback bucket at the rate divided by the live nodes, made again when either changed. */
    private synchronized Bucket localBucket()
    {
        final int divisor = health.liveNodes();
        Bucket bucket = local;
        if (bucket == null || divisor != localDivisor || localRate != ratePerSec)
        {
            localDivisor = divisor;
            localRate = ratePerSec;
            final BucketConfiguration share = configuration(ratePerSec / divisor, Math.max(1, burst / divisor));
            bucket = Bucket.builder().addLimit(share.getBandwidths()[0]).withCustomTimePrecision(time).build();
            local = bucket;
        }
        return bucket;
    }

    private void borrow(final AsyncBucketProxy proxy, final long tokens)
    {
        borrowing.incrementAndGet();
        asked.addAndGet(tokens);
        counters.increment(FleetCounter.BORROWS);
        final CompletableFuture<Long> answer;
        try
        {
            answer = proxy.tryConsumeAsMuchAsPossible(tokens);
        }
        catch (final RuntimeException ex)
        {
            asked.addAndGet(-tokens);
            borrowing.decrementAndGet();
            health.failed(ex);
            return;
        }
        answer.whenComplete((got, error) ->
        {
            asked.addAndGet(-tokens);
            if (error != null)
            {
                health.failed(error);
            }
            else
            {
                health.succeeded();
                if (got > 0)
                {
                    stash.addAndGet(got);
                    counters.add(FleetCounter.TOKENS_BORROWED, got);
                }
                else
                {
                    // Empty: other nodes took it. Ask again when about half a batch has refilled, not at once.
                    emptyUntilNanos = time.currentTimeNanos() + (long)(batch() * 500_000_000L / ratePerSec);
                }
            }
            borrowing.decrementAndGet();
        });
    }

    private AsyncBucketProxy proxy()
    {
        AsyncBucketProxy proxy = shared;
        if (proxy == null)
        {
            final AsyncProxyManager<String> manager = buckets.get();
            if (manager == null)
            {
                return null;
            }
            final BucketConfiguration configuration = configuration(ratePerSec, burst);
            proxy = manager.builder().build(key, () -> CompletableFuture.completedFuture(configuration));
            shared = proxy;
        }
        return proxy;
    }

    @Override
    public void refund()
    {
        stash.incrementAndGet();
    }

    @Override
    public long nanosUntilRetry(final long nowNanos)
    {
        if (stash.get() > 0)
        {
            return 0;
        }
        if (shared == null || !health.isShared())
        {
            final Bucket fallback = local;
            return fallback == null ? 0 : fallback.estimateAbilityToConsume(1).getNanosToWaitForRefill();
        }
        if (borrowing.get() > 0)
        {
            return BORROW_POLL_NANOS;
        }
        return Math.max(0, emptyUntilNanos - time.currentTimeNanos());
    }

    @Override
    public void configure(final double rate, final int newBurst)
    {
        ratePerSec = rate;
        burst = newBurst;
        final AsyncBucketProxy proxy = shared;
        if (proxy != null)
        {
            proxy.replaceConfiguration(configuration(rate, newBurst), TokensInheritanceStrategy.AS_IS)
                .whenComplete((done, error) ->
                {
                    if (error != null)
                    {
                        health.failed(error);
                    }
                });
        }
    }

    /** Gives borrowed tokens back to the shared bucket when the drain has not taken one for a while. Timer thread. */
    void returnIdle()
    {
        final AsyncBucketProxy proxy = shared;
        if (proxy == null || !health.isShared() || stash.get() <= 0
            || time.currentTimeNanos() - lastTakeNanos < IDLE_RETURN_NANOS)
        {
            return;
        }
        long unused;
        do
        {
            unused = stash.get();
            if (unused <= 0)
            {
                // Spent meanwhile, or taken on credit: nothing to give back, and a debt stays to be repaid.
                return;
            }
        }
        while (!stash.compareAndSet(unused, 0));
        counters.add(FleetCounter.TOKENS_RETURNED, unused);
        proxy.addTokens(unused).whenComplete((done, error) ->
        {
            if (error != null)
            {
                health.failed(error);
            }
        });
    }

    /** @return nanoseconds since a caller last asked for a token, at {@code nowNanos} on this gate's time meter. */
    long idleNanos(final long nowNanos)
    {
        return nowNanos - lastTakeNanos;
    }

    /** @return tokens borrowed and not yet spent. */
    long borrowed()
    {
        return stash.get();
    }
}
