package io.sluice.ingress;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/**
 * The date of the {@code Received:} header (RFC 5322 section 3.3, in UTC), formatted once a second rather than once a
 * message: the formatter's work was a visible share of each message's allocations in issue 21's profile. Shared by a
 * listener's event loops; a race only formats the same second twice.
 */
final class TraceDate
{
    private static final DateTimeFormatter RFC_5322_DATE = DateTimeFormatter.RFC_1123_DATE_TIME;

    private final Clock clock;
    private volatile Formatted last = new Formatted(Long.MIN_VALUE, "");

    private record Formatted(long second, String text)
    {
    }

    TraceDate(final Clock clock)
    {
        this.clock = clock;
    }

    /** @return the clock's current time as an RFC 5322 date, to the second. */
    String now()
    {
        final long millis = clock.millis();
        final long second = Math.floorDiv(millis, 1000);
        final Formatted cached = last;
        if (cached.second() == second)
        {
            return cached.text();
        }
        final String text = RFC_5322_DATE.format(ZonedDateTime.ofInstant(Instant.ofEpochSecond(second),
            ZoneOffset.UTC));
        last = new Formatted(second, text);
        return text;
    }
}
