package io.sluice.bounce;

import java.util.ArrayList;
import java.util.List;

/**
 * The last {@code capacity} suppressions, overwritten oldest first: what an operator lists to see what the policy
 * refused and why, in memory bounded however long a flood lasts (every suppression is also counted and journaled).
 *
 * <p>NOT thread-safe: guarded by the {@link BouncePolicy}'s lock.
 */
final class SuppressionRing
{
    private final Suppression[] entries;
    private long written;

    SuppressionRing(final int capacity)
    {
        entries = new Suppression[capacity];
    }

    void add(final Suppression suppression)
    {
        entries[(int)(written % entries.length)] = suppression;
        written++;
    }

    /** @return up to {@code max} suppressions, newest first. */
    List<Suppression> newest(final int max)
    {
        final int count = (int)Math.min(Math.min(written, entries.length), Math.max(0, max));
        final List<Suppression> newest = new ArrayList<>(count);
        for (int i = 1; i <= count; i++)
        {
            newest.add(entries[(int)((written - i) % entries.length)]);
        }
        return newest;
    }
}
