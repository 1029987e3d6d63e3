package io.sluice.spool;

import java.util.function.BooleanSupplier;

/** Waits for a condition another thread makes true; fails the test rather than hang if it never does. */
public final class SpoolAwait
{
    private static final long DEFAULT_TIMEOUT_MS = 30_000;

    private SpoolAwait()
    {
    }

    public static void until(final BooleanSupplier condition)
    {
        until(condition, DEFAULT_TIMEOUT_MS);
    }

    public static void until(final BooleanSupplier condition, final long timeoutMs)
    {
        final long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("condition not met within " + timeoutMs + " ms");
            }
            try
            {
                Thread.sleep(5);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting", ex);
            }
        }
    }
}
