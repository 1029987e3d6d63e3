package io.sluice.admission;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.github.bucket4j.BucketConfiguration;

/**
 * Every limit in force: a default per kind and traffic, and per-key overrides. Immutable; the control plane
 * builds a new one for each change and publishes it with one volatile write, so a decision sees either the old
 * or the new limits, never a mix, and the next decision for any key uses the change (buckets move to a changed
 * configuration lazily, on their next use).
 */
final class Limits
{
    private final Limit[][] defaults;
    private final BucketConfiguration[][] defaultConfigurations;
    /** Key to one configuration slot per traffic; a null slot means "the default". */
    private final Map<TrackedKey, KeyLimits> overrides;

    private Limits(final Limit[][] defaults, final BucketConfiguration[][] defaultConfigurations,
        final Map<TrackedKey, KeyLimits> overrides)
    {
        this.defaults = defaults;
        this.defaultConfigurations = defaultConfigurations;
        this.overrides = overrides;
    }

    static Limits of(final AdmissionContext context)
    {
        final Limit[][] defaults = new Limit[KeyKind.values().length][Traffic.values().length];
        for (final KeyKind kind : KeyKind.values())
        {
            for (final Traffic traffic : Traffic.values())
            {
                defaults[kind.ordinal()][traffic.ordinal()] = context.limit(kind, traffic);
            }
        }
        return new Limits(defaults, configurations(defaults), Map.of());
    }

    private static BucketConfiguration[][] configurations(final Limit[][] limits)
    {
        final BucketConfiguration[][] configurations = new BucketConfiguration[limits.length][];
        for (int kind = 0; kind < limits.length; kind++)
        {
            configurations[kind] = new BucketConfiguration[limits[kind].length];
            for (int traffic = 0; traffic < limits[kind].length; traffic++)
            {
                configurations[kind][traffic] = limits[kind][traffic].toConfiguration();
            }
        }
        return configurations;
    }

    /** @return the bucket configuration for {@code key}'s traffic; null when that traffic is not limited for it. */
    BucketConfiguration configuration(final TrackedKey key, final Traffic traffic)
    {
        return configuration(key.kind, key, traffic);
    }

    /**
     * @param lookup the key of {@code kind}, or a {@link KeyProbe} standing for it.
     * @return the bucket configuration for the key's traffic; null when that traffic is not limited for it.
     */
    BucketConfiguration configuration(final KeyKind kind, final Object lookup, final Traffic traffic)
    {
        if (!overrides.isEmpty())
        {
            final KeyLimits override = overrides.get(lookup);
            if (override != null && override.limits[traffic.ordinal()] != null)
            {
                return override.configurations[traffic.ordinal()];
            }
        }
        return defaultConfigurations[kind.ordinal()][traffic.ordinal()];
    }

    /** @return whether the kind's default for {@code traffic} is off and no key overrides it. */
    boolean isOff(final KeyKind kind, final Traffic traffic)
    {
        return defaultConfigurations[kind.ordinal()][traffic.ordinal()] == null && overrides.isEmpty();
    }

    Limit defaultLimit(final KeyKind kind, final Traffic traffic)
    {
        return defaults[kind.ordinal()][traffic.ordinal()];
    }

    Limits withDefault(final KeyKind kind, final Traffic traffic, final Limit limit)
    {
        final Limit[][] next = new Limit[defaults.length][];
        final BucketConfiguration[][] nextConfigurations = new BucketConfiguration[defaults.length][];
        for (int i = 0; i < defaults.length; i++)
        {
            next[i] = defaults[i].clone();
            nextConfigurations[i] = defaultConfigurations[i].clone();
        }
        next[kind.ordinal()][traffic.ordinal()] = limit;
        nextConfigurations[kind.ordinal()][traffic.ordinal()] = limit.toConfiguration();
        return new Limits(next, nextConfigurations, overrides);
    }

    Limits withOverride(final TrackedKey key, final Traffic traffic, final Limit limit)
    {
        final Map<TrackedKey, KeyLimits> next = new HashMap<>(overrides);
        final KeyLimits previous = next.get(key);
        final KeyLimits override = previous == null ? new KeyLimits(key) : previous.copy();
        override.limits[traffic.ordinal()] = limit;
        override.configurations[traffic.ordinal()] = limit == null ? null : limit.toConfiguration();
        if (override.isEmpty())
        {
            next.remove(key);
        }
        else
        {
            next.put(key, override);
        }
        return new Limits(defaults, defaultConfigurations, Map.copyOf(next));
    }

    /** @return whether an operator set any per-key limit at all. */
    boolean hasOverrides()
    {
        return !overrides.isEmpty();
    }

    /** @return whether an operator set any limit for this key (or the key a {@link KeyProbe} stands for). */
    boolean hasOverride(final Object key)
    {
        return !overrides.isEmpty() && overrides.containsKey(key);
    }

    Limit override(final TrackedKey key, final Traffic traffic)
    {
        final KeyLimits override = overrides.get(key);
        return override == null ? null : override.limits[traffic.ordinal()];
    }

    List<LimitOverride> overrides()
    {
        final List<LimitOverride> list = new ArrayList<>();
        overrides.forEach((key, override) ->
        {
            for (final Traffic traffic : Traffic.values())
            {
                final Limit limit = override.limits[traffic.ordinal()];
                if (limit != null)
                {
                    list.add(new LimitOverride(key.kind, traffic, key.text(), limit));
                }
            }
        });
        list.sort(Comparator.comparing(LimitOverride::kind)
            .thenComparing(LimitOverride::key)
            .thenComparing(LimitOverride::traffic));
        return list;
    }

    private static final class KeyLimits
    {
        final TrackedKey key;
        final Limit[] limits = new Limit[Traffic.values().length];
        final BucketConfiguration[] configurations = new BucketConfiguration[Traffic.values().length];

        KeyLimits(final TrackedKey key)
        {
            this.key = key;
        }

        KeyLimits copy()
        {
            final KeyLimits copy = new KeyLimits(key);
            System.arraycopy(limits, 0, copy.limits, 0, limits.length);
            System.arraycopy(configurations, 0, copy.configurations, 0, configurations.length);
            return copy;
        }

        boolean isEmpty()
        {
            for (final Limit limit : limits)
            {
                if (limit != null)
                {
                    return false;
                }
            }
            return true;
        }
    }
}
