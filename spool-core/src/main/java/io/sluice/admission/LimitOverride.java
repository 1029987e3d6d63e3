package io.sluice.admission;

/**
 * A limit that replaces the default for one key only.
 *
 * @param kind    the kind of key
 * @param traffic what the limit counts
 * @param key     the key as written: {@code 198.51.100.7}, {@code 198.51.100.0/24}, {@code example.com}, {@code acme}
 * @param limit   the limit for that key
 */
public record LimitOverride(KeyKind kind, Traffic traffic, String key, Limit limit)
{
}
