package io.sluice.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import io.sluice.spool.MutableClock;
import org.junit.jupiter.api.Test;

/** The lock-out after repeated failed logins, on a clock the test moves. */
class LoginThrottleTest
{
    private final MutableClock clock = new MutableClock(1_000_000L);
    private final LoginThrottle throttle = new LoginThrottle(clock);

    private void fail(final String address, final int times)
    {
        for (int i = 0; i < times; i++)
        {
            throttle.failed(address);
        }
    }

    @Test
    void shouldLockAnAddressOutAfterFiveFailuresForLongerWithEachFurtherFailure()
    {
        fail("192.0.2.7", LoginThrottle.FREE_FAILURES - 1);
        assertThat(throttle.lockedFor("192.0.2.7")).as("four typos cost nothing").isZero();
        fail("192.0.2.7", 1);
        assertThat(throttle.lockedFor("192.0.2.7")).isEqualTo(LoginThrottle.FIRST_LOCKOUT);
        assertThat(throttle.lockedFor("192.0.2.8")).as("another address is not slowed").isZero();

        clock.advanceMillis(LoginThrottle.FIRST_LOCKOUT.toMillis());
        assertThat(throttle.lockedFor("192.0.2.7")).isZero();
        fail("192.0.2.7", 1);
        assertThat(throttle.lockedFor("192.0.2.7")).isEqualTo(LoginThrottle.FIRST_LOCKOUT.multipliedBy(2));
        fail("192.0.2.7", 20);
        assertThat(throttle.lockedFor("192.0.2.7")).as("at most").isEqualTo(LoginThrottle.MAX_LOCKOUT);
    }

    @Test
    void shouldForgetAnAddressOnSuccessAndAfterAnHourWithoutFailures()
    {
        fail("192.0.2.7", LoginThrottle.FREE_FAILURES - 1);
        throttle.succeeded("192.0.2.7");
        fail("192.0.2.7", LoginThrottle.FREE_FAILURES - 1);
        assertThat(throttle.lockedFor("192.0.2.7")).as("a success started the count again").isZero();

        fail("192.0.2.9", LoginThrottle.FREE_FAILURES);
        clock.advanceMillis(LoginThrottle.FORGET_AFTER.plus(Duration.ofSeconds(1)).toMillis());
        fail("192.0.2.9", 1);
        assertThat(throttle.lockedFor("192.0.2.9")).as("an hour later, one failure is the first again").isZero();
    }
}
