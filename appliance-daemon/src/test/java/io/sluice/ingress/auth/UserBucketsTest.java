package io.sluice.ingress.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.Set;

import io.sluice.testing.TestClock;
import org.junit.jupiter.api.Test;

/** A user's own rate: its allowance at once, then one message per share of the period; on a clock the test moves. */
class UserBucketsTest
{
    private final TestClock clock = new TestClock();
    private final UserBuckets buckets = new UserBuckets(clock);

    private static AuthUser user(final String rate)
    {
        return new AuthUser("app", UsersFileTest.HASH, "acme", Set.of(), rate == null ? null : AuthUser.Rate.parse(rate));
    }

    @Test
    void shouldAllowTheRateAndSayHowLongToWait()
    {
        final AuthUser limited = user("2/min");
        assertThat(buckets.take(limited)).isZero();
        assertThat(buckets.take(limited)).isZero();
        assertThat(buckets.take(limited)).as("30 s until the next token").isEqualTo(30_000);
        clock.advance(Duration.ofSeconds(30));
        assertThat(buckets.take(limited)).isZero();
        assertThat(buckets.take(user(null))).as("no rate, no bucket").isZero();
    }

    @Test
    void shouldStartAFullBucketWhenTheRateChangesOrTheUserGoes()
    {
        buckets.take(user("1/h"));
        assertThat(buckets.take(user("1/h"))).isPositive();
        assertThat(buckets.take(user("5/h"))).as("a new rate, a new bucket").isZero();
        buckets.take(user("5/h"));
        buckets.retain(Map.of());
        assertThat(buckets.take(user("5/h"))).as("forgotten with the user").isZero();
    }
}
