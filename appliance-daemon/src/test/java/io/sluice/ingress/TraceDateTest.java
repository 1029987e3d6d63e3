package io.sluice.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testing.TestClock;
import org.junit.jupiter.api.Test;

/** The Received: header's date is the clock's second in RFC 5322 form, formatted again only when the second changes. */
class TraceDateTest
{
    @Test
    void shouldFormatTheClocksSecondAndReuseItWithinTheSecond()
    {
        // 2026-12-05T21:30:15.250Z
        final TestClock clock = new TestClock(1_796_506_215_250L);
        final TraceDate date = new TraceDate(clock);
        final String first = date.now();
        assertThat(first).isEqualTo("Sat, 5 Dec 2026 21:30:15 GMT");
        clock.advanceMillis(749);
        assertThat(date.now()).as("the same second: the same text").isSameAs(first);
        clock.advanceMillis(1);
        assertThat(date.now()).isEqualTo("Sat, 5 Dec 2026 21:30:16 GMT");
        clock.advanceMillis(86_400_000L);
        assertThat(date.now()).isEqualTo("Sun, 6 Dec 2026 21:30:16 GMT");
    }
}
