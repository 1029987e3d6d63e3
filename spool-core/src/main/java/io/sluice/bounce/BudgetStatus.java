package io.sluice.bounce;

/**
 * The global bounce budget now: over the last {@code windowMs}, {@code bouncesInWindow} bounces were allowed of
 * the {@code allowed} that {@code acceptedInWindow} accepted messages permit.
 *
 * @param windowMs         the sliding window
 * @param acceptedInWindow messages accepted over the window
 * @param bouncesInWindow  bounces allowed over the window
 * @param allowed          the budget: {@code max(minimum, floor(fraction x accepted))}
 */
public record BudgetStatus(long windowMs, long acceptedInWindow, long bouncesInWindow, long allowed)
{
    /** @return true when no further bounce is allowed until the window moves on or more mail is accepted. */
    public boolean isSpent()
    {
        return bouncesInWindow >= allowed;
    }
}
