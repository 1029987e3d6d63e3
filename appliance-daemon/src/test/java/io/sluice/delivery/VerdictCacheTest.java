package io.sluice.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import io.sluice.testing.TestClock;
import org.junit.jupiter.api.Test;

/** The verdict cache on a clock the test moves: each answer for its own TTL, never more entries than its bound. */
class VerdictCacheTest
{
    private final TestClock clock = new TestClock();

    @Test
    void shouldKeepEachAnswerForItsOwnTtlAndNothingElse()
    {
        final VerdictCache cache = new VerdictCache(100, 60_000, 10_000, clock);
        cache.put("alice@relay.test", ProbeVerdict.EXISTS);
        cache.put("bob@relay.test", ProbeVerdict.UNKNOWN);
        cache.put("dan@relay.test", ProbeVerdict.TEMPFAIL);
        cache.put("eve@relay.test", ProbeVerdict.UNAVAILABLE);
        assertThat(cache.size()).as("only lasting answers are kept").isEqualTo(2);

        clock.advance(Duration.ofMillis(9_999));
        assertThat(cache.get("bob@relay.test")).isEqualTo(ProbeVerdict.UNKNOWN);
        clock.advance(Duration.ofMillis(1));
        assertThat(cache.get("bob@relay.test")).as("negative TTL over").isNull();
        assertThat(cache.get("alice@relay.test")).isEqualTo(ProbeVerdict.EXISTS);
        clock.advance(Duration.ofMillis(50_000));
        assertThat(cache.get("alice@relay.test")).as("positive TTL over").isNull();
        assertThat(cache.size()).isZero();
    }

    @Test
    void shouldDropTheOldestAnswerBeyondItsBound()
    {
        final VerdictCache cache = new VerdictCache(100, 60_000, 60_000, clock);
        for (int i = 0; i < 150; i++)
        {
            cache.put("random" + i + "@relay.test", ProbeVerdict.UNKNOWN);
        }
        assertThat(cache.size()).isEqualTo(100);
        assertThat(cache.get("random49@relay.test")).isNull();
        assertThat(cache.get("random50@relay.test")).isEqualTo(ProbeVerdict.UNKNOWN);

        cache.put("random50@relay.test", ProbeVerdict.EXISTS);
        cache.put("random150@relay.test", ProbeVerdict.UNKNOWN);
        assertThat(cache.get("random50@relay.test")).as("stored again, so no longer the oldest").isEqualTo(ProbeVerdict.EXISTS);
        assertThat(cache.get("random51@relay.test")).isNull();
    }
}
