package io.sluice.delivery;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds the message content deliveries hold in memory at once (each dispatch reads its whole message from the
 * spool). While the bytes in flight are at or above the budget, every route reports no capacity, so a run of large
 * messages waits in the drain instead of exhausting the heap; one message is always allowed, however large, so a
 * message bigger than the budget still goes out. Thread-safe.
 */
final class ContentBudget
{
    private final long maxBytes;
    private final AtomicLong inFlight = new AtomicLong();

    ContentBudget(final long maxBytes)
    {
        this.maxBytes = maxBytes;
    }

    /** @return true if another dispatch may start. */
    boolean hasRoom()
    {
        final long bytes = inFlight.get();
        return bytes == 0 || bytes < maxBytes;
    }

    void acquire(final long bytes)
    {
        inFlight.addAndGet(bytes);
    }

    void release(final long bytes)
    {
        inFlight.addAndGet(-bytes);
    }

    long inFlight()
    {
        return inFlight.get();
    }
}
