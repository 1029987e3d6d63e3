package io.sluice.ingress.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import io.sluice.ingress.auth.AuthFailures.Kind;
import io.sluice.testing.TestClock;
import org.junit.jupiter.api.Test;

/** Failed authentications back a key off after a few within the window, longer each time; on a clock the test moves. */
class AuthFailuresTest
{
    private final TestClock clock = new TestClock();
    private final AuthFailures failures = new AuthFailures(clock, 3, 60_000, 10_000, 35_000, 1000);

    @Test
    void shouldLockAfterMaxFailuresAndDoubleTheBackOffUpToItsCeiling()
    {
        assertThat(failures.failed(Kind.ADDRESS, "127.0.0.9")).isFalse();
        assertThat(failures.failed(Kind.ADDRESS, "127.0.0.9")).isFalse();
        assertThat(failures.failed(Kind.ADDRESS, "127.0.0.9")).as("the third").isTrue();
        assertThat(failures.isLocked(Kind.ADDRESS, "127.0.0.9")).isTrue();
        assertThat(failures.isLocked(Kind.USER, "127.0.0.9")).as("kinds are apart").isFalse();
        assertThat(failures.worst(10)).singleElement().satisfies(e ->
        {
            assertThat(e.kind()).isEqualTo(Kind.ADDRESS);
            assertThat(e.lockedUntilMs()).isEqualTo(clock.millis() + 10_000);
        });

        clock.advance(Duration.ofMillis(10_001));
        assertThat(failures.isLocked(Kind.ADDRESS, "127.0.0.9")).isFalse();
        failures.failed(Kind.ADDRESS, "127.0.0.9");
        failures.failed(Kind.ADDRESS, "127.0.0.9");
        assertThat(failures.failed(Kind.ADDRESS, "127.0.0.9")).isTrue();
        clock.advance(Duration.ofMillis(10_001));
        assertThat(failures.isLocked(Kind.ADDRESS, "127.0.0.9")).as("the second back-off is 20 s").isTrue();
        clock.advance(Duration.ofMillis(10_000));
        assertThat(failures.isLocked(Kind.ADDRESS, "127.0.0.9")).isFalse();
        for (int i = 0; i < 3; i++)
        {
            failures.failed(Kind.ADDRESS, "127.0.0.9");
        }
        assertThat(failures.worst(1).get(0).lockedUntilMs()).as("40 s capped at 35 s").isEqualTo(clock.millis() + 35_000);
        assertThat(failures.lockedKeys()).isEqualTo(1);
    }

    @Test
    void shouldForgetFailuresOutsideTheWindowAndAUsersOnSuccess()
    {
        failures.failed(Kind.ADDRESS, "127.0.0.9");
        failures.failed(Kind.ADDRESS, "127.0.0.9");
        clock.advance(Duration.ofMillis(60_001));
        assertThat(failures.failed(Kind.ADDRESS, "127.0.0.9")).as("a new window").isFalse();

        failures.failed(Kind.USER, "alice");
        failures.failed(Kind.USER, "alice");
        failures.succeeded("alice");
        assertThat(failures.failed(Kind.USER, "alice")).isFalse();
        assertThat(failures.failed(Kind.USER, "alice")).isFalse();
        assertThat(failures.failed(Kind.USER, "alice")).isTrue();

        clock.advance(Duration.ofMinutes(5));
        failures.prune();
        assertThat(failures.worst(10)).isEmpty();
    }
}
