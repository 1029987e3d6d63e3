package io.sluice.control;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Slows password guessing on the TCP console: after {@value #FREE_FAILURES} failed logins from one address, every
 * further attempt from it is refused unheard until a lock-out passes, 30 seconds after the fifth failure and doubling
 * with each failure after it, at most {@link #MAX_LOCKOUT}. A success forgets the address, and so does an hour without
 * failures. At most {@value #MAX_TRACKED} addresses are remembered, the quietest forgotten first, so a scan from many
 * addresses costs a bounded amount of memory and gains each of them only its five free guesses.
 */
final class LoginThrottle
{
    static final int FREE_FAILURES = 5;
    static final Duration FIRST_LOCKOUT = Duration.ofSeconds(30);
    static final Duration MAX_LOCKOUT = Duration.ofMinutes(15);
    static final Duration FORGET_AFTER = Duration.ofHours(1);
    static final int MAX_TRACKED = 10_000;

    private final Clock clock;
    private final Map<String, Failures> byAddress = new LinkedHashMap<>(16, 0.75f, true)
    {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(final Map.Entry<String, Failures> eldest)
        {
            return size() > MAX_TRACKED;
        }
    };

    LoginThrottle(final Clock clock)
    {
        this.clock = clock;
    }

    /** @return how long {@code address} must still wait before it may try again; zero if it may try now. */
    synchronized Duration lockedFor(final String address)
    {
        final Failures failures = current(address);
        if (failures == null)
        {
            return Duration.ZERO;
        }
        final long left = failures.lockedUntilMillis - clock.millis();
        return left > 0 ? Duration.ofMillis(left) : Duration.ZERO;
    }

    synchronized void failed(final String address)
    {
        Failures failures = current(address);
        if (failures == null)
        {
            failures = new Failures();
            byAddress.put(address, failures);
        }
        final long now = clock.millis();
        failures.count++;
        failures.lastMillis = now;
        if (failures.count >= FREE_FAILURES)
        {
            final int doublings = Math.min(failures.count - FREE_FAILURES, 30);
            final long lockout = Math.min(FIRST_LOCKOUT.toMillis() << doublings, MAX_LOCKOUT.toMillis());
            failures.lockedUntilMillis = now + lockout;
        }
    }

    synchronized void succeeded(final String address)
    {
        byAddress.remove(address);
    }

    private Failures current(final String address)
    {
        final Failures failures = byAddress.get(address);
        if (failures != null && clock.millis() - failures.lastMillis > FORGET_AFTER.toMillis())
        {
            byAddress.remove(address);
            return null;
        }
        return failures;
    }

    private static final class Failures
    {
        private int count;
        private long lastMillis;
        private long lockedUntilMillis;
    }
}
