package io.sluice.ingress;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Caps open connections overall and per client address, so thousands of idle or slow-drip connections
 * from one source cannot take every slot. Thread-safe; every successful {@link #tryAcquire} is matched by
 * one {@link #release}.
 */
final class ConnectionLimiter
{
    private final int maxTotal;
    private final int maxPerAddress;
    private final AtomicInteger total = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, Integer> perAddress = new ConcurrentHashMap<>();

    ConnectionLimiter(final int maxTotal, final int maxPerAddress)
    {
        this.maxTotal = maxTotal;
        this.maxPerAddress = maxPerAddress;
    }

    boolean tryAcquire(final InetAddress address)
    {
        if (total.incrementAndGet() > maxTotal)
        {
            total.decrementAndGet();
            return false;
        }
        final boolean[] admitted = new boolean[1];
        // compute() runs atomically per key, so a count can never be orphaned by a concurrent release.
        perAddress.compute(address, (a, count) ->
        {
            final int open = count == null ? 0 : count;
            if (open >= maxPerAddress)
            {
                return count;
            }
            admitted[0] = true;
            return open + 1;
        });
        if (!admitted[0])
        {
            total.decrementAndGet();
        }
        return admitted[0];
    }

    void release(final InetAddress address)
    {
        total.decrementAndGet();
        perAddress.computeIfPresent(address, (a, count) -> count <= 1 ? null : count - 1);
    }

    int open()
    {
        return total.get();
    }
}
