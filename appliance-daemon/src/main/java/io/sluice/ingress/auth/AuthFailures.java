package io.sluice.ingress.auth;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Failed authentications, counted per client address and per user name: {@code maxFailures} within
 * {@code windowMs} locks the key out for a back-off that starts at {@code lockoutMs} and doubles with each further
 * lock-out, up to {@code maxLockoutMs}. A locked address is answered {@code 454 4.7.0} before its password is even
 * checked (a guesser's tries cost it a reconnect, not us a PBKDF2); a locked user {@code 535 5.7.8}, the right
 * password included, so guessing one account from many addresses gets nowhere either. A success clears the user's
 * count, never the address's: a guesser holding one good account must not reset its own count with it.
 *
 * <p>Thread-safe: each key is updated inside {@link ConcurrentHashMap#compute}. Bounded: at {@code maxKeys} the
 * entries whose lock-out and window are over are dropped ({@link #prune}), and a table still full counts no new key
 * (it would be a flood of distinct addresses, which admission throttles per network already).
 */
public final class AuthFailures
{
    /** Which kind of key: a client address or a user name. */
    public enum Kind
    {
        ADDRESS, USER
    }

    /**
     * One key's record, as {@code sluice top} lists it.
     *
     * @param kind          address or user
     * @param key           the address literal or the user name
     * @param failures      failures in the current window
     * @param lockedUntilMs until when it is locked out (epoch ms), or 0
     * @param lockouts      how many times it has been locked out since its record began
     */
    public record Entry(Kind kind, String key, int failures, long lockedUntilMs, int lockouts)
    {
    }

    private static final class Track
    {
        private int failures;
        private long windowStartMs;
        private long lockedUntilMs;
        private int lockouts;
    }

    private final Clock clock;
    private final int maxFailures;
    private final long windowMs;
    private final long lockoutMs;
    private final long maxLockoutMs;
    private final int maxKeys;
    private final Map<String, Track> addresses = new ConcurrentHashMap<>();
    private final Map<String, Track> users = new ConcurrentHashMap<>();

    public AuthFailures(final Clock clock, final int maxFailures, final long windowMs, final long lockoutMs,
        final long maxLockoutMs, final int maxKeys)
    {
        this.clock = clock;
        this.maxFailures = maxFailures;
        this.windowMs = windowMs;
        this.lockoutMs = lockoutMs;
        this.maxLockoutMs = maxLockoutMs;
        this.maxKeys = maxKeys;
    }

    /** @return whether {@code key} is locked out now. */
    public boolean isLocked(final Kind kind, final String key)
    {
        final Track track = table(kind).get(key);
        if (track == null)
        {
            return false;
        }
        synchronized (track)
        {
            return track.lockedUntilMs > clock.millis();
        }
    }

    /** Counts a failure for {@code key}; @return true if it is locked out now (by this failure or before). */
    public boolean failed(final Kind kind, final String key)
    {
        final Map<String, Track> table = table(kind);
        if (table.size() >= maxKeys && !table.containsKey(key))
        {
            prune();
            if (table.size() >= maxKeys)
            {
                return false;
            }
        }
        final long now = clock.millis();
        final Track track = table.computeIfAbsent(key, k -> new Track());
        synchronized (track)
        {
            if (track.lockedUntilMs > now)
            {
                return true;
            }
            if (track.failures == 0 || now - track.windowStartMs > windowMs)
            {
                track.failures = 0;
                track.windowStartMs = now;
            }
            if (++track.failures < maxFailures)
            {
                return false;
            }
            // Doubles with each lock-out: a guesser that waits out one back-off meets a longer one.
            final long backoff = track.lockouts >= 30 ? maxLockoutMs : Math.min(maxLockoutMs, lockoutMs << track.lockouts);
            track.lockedUntilMs = now + backoff;
            track.lockouts++;
            track.failures = 0;
            return true;
        }
    }

    /** A user authenticated: its count starts again (its lock-out, if any, stays until it ends). */
    public void succeeded(final String user)
    {
        final Track track = users.get(user);
        if (track != null)
        {
            synchronized (track)
            {
                track.failures = 0;
            }
        }
    }

    /** Drops every record whose lock-out is over and whose window has passed; from a maintenance thread. */
    public void prune()
    {
        final long now = clock.millis();
        for (final Map<String, Track> table : List.of(addresses, users))
        {
            table.entrySet().removeIf(entry ->
            {
                final Track track = entry.getValue();
                synchronized (track)
                {
                    // The lock-out count is kept while the record is fresh, so the back-off keeps doubling.
                    return track.lockedUntilMs <= now && now - Math.max(track.windowStartMs, track.lockedUntilMs) > windowMs;
                }
            });
        }
    }

    /** @return up to {@code n} records, locked ones first, then by failures; for {@code sluice top}. */
    public List<Entry> worst(final int n)
    {
        final long now = clock.millis();
        final List<Entry> entries = new ArrayList<>();
        collect(Kind.ADDRESS, addresses, now, entries);
        collect(Kind.USER, users, now, entries);
        entries.sort(Comparator.comparingLong((Entry e) -> -e.lockedUntilMs()).thenComparingInt(e -> -e.failures())
            .thenComparing(Entry::key));
        return List.copyOf(entries.subList(0, Math.min(n, entries.size())));
    }

    private void collect(final Kind kind, final Map<String, Track> table, final long now, final List<Entry> into)
    {
        table.forEach((key, track) ->
        {
            synchronized (track)
            {
                final boolean inWindow = now - track.windowStartMs <= windowMs;
                final long locked = track.lockedUntilMs > now ? track.lockedUntilMs : 0;
                if (locked > 0 || (inWindow && track.failures > 0))
                {
                    into.add(new Entry(kind, key, inWindow ? track.failures : 0, locked, track.lockouts));
                }
            }
        });
    }

    /** @return how many addresses and users are locked out now (a gauge). */
    public int lockedKeys()
    {
        final long now = clock.millis();
        int locked = 0;
        for (final Map<String, Track> table : List.of(addresses, users))
        {
            for (final Track track : table.values())
            {
                synchronized (track)
                {
                    locked += track.lockedUntilMs > now ? 1 : 0;
                }
            }
        }
        return locked;
    }

    private Map<String, Track> table(final Kind kind)
    {
        return kind == Kind.ADDRESS ? addresses : users;
    }
}
