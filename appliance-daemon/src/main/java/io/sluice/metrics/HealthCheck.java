package io.sluice.metrics;

import java.util.function.BooleanSupplier;

/**
 * One named check of {@code /healthz} or {@code /readyz}, run on each request; it must be cheap (read a flag or a
 * counter) and never block.
 *
 * @param name  its key in the JSON body, e.g. {@code spool_writable}
 * @param check true when fine
 */
public record HealthCheck(String name, BooleanSupplier check)
{
    /** @return the check's answer; a check that throws is a failed check, not a failed request. */
    boolean passes()
    {
        try
        {
            return check.getAsBoolean();
        }
        catch (final RuntimeException ex)
        {
            return false;
        }
    }
}
