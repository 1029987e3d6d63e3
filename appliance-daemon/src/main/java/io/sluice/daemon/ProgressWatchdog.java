package io.sluice.daemon;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the daemon's busy parts still make progress, not merely whether their threads live: each part publishes a
 * heartbeat (a count it moves as it works) and says whether it has work; a part whose heartbeat has not moved for
 * {@code watchdog.stallMs} while it had work is stalled, and the systemd watchdog ping stops until it moves again, so a
 * hung journal writer, drain or event loop gets the daemon restarted. Idle parts are never stalled.
 *
 * <p>Checked by the systemd heartbeat, {@code /healthz} and the maintenance thread; each check is a few volatile reads.
 */
final class ProgressWatchdog
{
    private static final Logger LOG = LoggerFactory.getLogger(ProgressWatchdog.class);

    private final List<Part> parts = new ArrayList<>();
    private final long stallNs;
    private final LongSupplier nanoClock;
    private long[] lastBeats = new long[0];
    private long[] movedAtNs = new long[0];
    private boolean[] stalled = new boolean[0];
    private String stalledParts = "";

    /**
     * @param stallMs   {@code watchdog.stallMs}
     * @param nanoClock {@link System#nanoTime}, or a test's clock
     */
    ProgressWatchdog(final long stallMs, final LongSupplier nanoClock)
    {
        this.stallNs = TimeUnit.MILLISECONDS.toNanos(stallMs);
        this.nanoClock = nanoClock;
    }

    /**
     * @param name      how the log names it, e.g. {@code journal writer}
     * @param heartbeat a count that moves while the part works
     * @param hasWork   true when the part should be moving now
     */
    synchronized ProgressWatchdog watch(final String name, final LongSupplier heartbeat, final BooleanSupplier hasWork)
    {
        parts.add(new Part(name, heartbeat, hasWork));
        final int n = parts.size();
        lastBeats = java.util.Arrays.copyOf(lastBeats, n);
        movedAtNs = java.util.Arrays.copyOf(movedAtNs, n);
        stalled = java.util.Arrays.copyOf(stalled, n);
        lastBeats[n - 1] = heartbeat.getAsLong();
        movedAtNs[n - 1] = nanoClock.getAsLong();
        return this;
    }

    /** @return true when no part is stalled; logs each part that stalls or moves again, once. */
    synchronized boolean check()
    {
        final long now = nanoClock.getAsLong();
        final StringBuilder names = new StringBuilder();
        for (int i = 0; i < parts.size(); i++)
        {
            final Part part = parts.get(i);
            final long beat = part.heartbeat().getAsLong();
            // Asked every time, after the beat: an event loop's next heartbeat task is posted here, so a stall is timed
            // from the check that posted it. Work that arrives between the two reads is judged at the next check.
            final boolean hasWork = part.hasWork().getAsBoolean();
            if (beat != lastBeats[i] || !hasWork)
            {
                lastBeats[i] = beat;
                movedAtNs[i] = now;
                if (stalled[i])
                {
                    stalled[i] = false;
                    LOG.info("watchdog: the {} moves again", part.name());
                }
                continue;
            }
            if (now - movedAtNs[i] >= stallNs)
            {
                if (!stalled[i])
                {
                    stalled[i] = true;
                    LOG.error("watchdog: the {} has had work and no heartbeat for {} ms (watchdog.stallMs={}); WATCHDOG=1 "
                        + "is withheld, so systemd restarts the daemon unless it moves again", part.name(),
                        TimeUnit.NANOSECONDS.toMillis(now - movedAtNs[i]), TimeUnit.NANOSECONDS.toMillis(stallNs));
                }
                names.append(names.length() == 0 ? "" : ", ").append(part.name());
            }
        }
        stalledParts = names.toString();
        return stalledParts.isEmpty();
    }

    /** @return the parts stalled at the last check, comma-separated, or empty. */
    synchronized String stalledParts()
    {
        return stalledParts;
    }

    private record Part(String name, LongSupplier heartbeat, BooleanSupplier hasWork)
    {
    }
}
