package io.sluice.queue;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The console's durations: {@code 90s}, {@code 30m}, {@code 1h}, {@code 2d}, combinations such as {@code 1h30m}, or seconds. */
public final class Durations
{
    private static final Pattern PART = Pattern.compile("(\\d+)([dhms])");

    private Durations()
    {
    }

    /**
     * @param text the duration as an operator types it.
     * @return the duration, 0 or longer.
     * @throws IllegalArgumentException saying what was expected and what came.
     */
    public static Duration parse(final String text)
    {
        final String lower = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        try
        {
            if (lower.matches("\\d+"))
            {
                return Duration.ofSeconds(Long.parseLong(lower));
            }
            if (lower.matches("(\\d+[dhms])+"))
            {
                Duration total = Duration.ZERO;
                final Matcher part = PART.matcher(lower);
                while (part.find())
                {
                    final long amount = Long.parseLong(part.group(1));
                    total = total.plus(switch (part.group(2))
                    {
                        case "d" -> Duration.ofDays(amount);
                        case "h" -> Duration.ofHours(amount);
                        case "m" -> Duration.ofMinutes(amount);
                        default -> Duration.ofSeconds(amount);
                    });
                }
                return total;
            }
        }
        catch (final ArithmeticException | NumberFormatException ex)
        {
            throw new IllegalArgumentException("duration too long: " + text);
        }
        throw new IllegalArgumentException("expected a duration such as 90s, 30m, 1h, 1h30m or 2d, got: " + text);
    }

    /** @return the shortest text {@link #parse} reads back as the same duration, e.g. {@code 1h30m}. */
    public static String format(final Duration duration)
    {
        long seconds = duration.toSeconds();
        if (seconds == 0)
        {
            return "0s";
        }
        final StringBuilder text = new StringBuilder();
        final long[] units = {86_400, 3_600, 60, 1};
        final String[] names = {"d", "h", "m", "s"};
        for (int i = 0; i < units.length; i++)
        {
            if (seconds >= units[i])
            {
                text.append(seconds / units[i]).append(names[i]);
                seconds %= units[i];
            }
        }
        return text.toString();
    }
}
