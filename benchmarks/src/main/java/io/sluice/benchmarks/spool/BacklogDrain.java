package io.sluice.benchmarks.spool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import io.sluice.benchmarks.drain.SchedulerPickBenchmark;
import io.sluice.drain.Dispatch;
import io.sluice.drain.DrainContext;
import io.sluice.drain.DrainScheduler;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.Spool;

/**
 * The drain's side of the backlog harness: the scheduler loaded with a recovered spool's backlog, as the daemon loads
 * it at start, its pick timed, and a sample drained through the journal.
 *
 * <p>The pick is timed with the default route opened to 1,000,000 msgs/s and a clock that moves 1 ms per pick, so the
 * figure is the scheduler's own cost, not a rate limit (the harness prints so).
 */
final class BacklogDrain
{
    private static final String ROUTE = "default";
    /** {@link Spool#recordOutcome}'s recipient index for every recipient at once. */
    private static final int ALL_RECIPIENTS = -1;
    private static final String OPENED_ROUTES = "default:1000000:1000000,notifications:20:5";

    private final Spool spool;
    private final SchedulerPickBenchmark.StepClock clock = new SchedulerPickBenchmark.StepClock();
    private final DrainScheduler scheduler;

    BacklogDrain(final Spool spool)
    {
        this.spool = spool;
        System.out.println("# drain scheduler: route " + OPENED_ROUTES + " (opened from the default so that the pick"
            + " cost is the scheduler's own), clock moved 1 ms per pick");
        scheduler = new DrainScheduler(new DrainContext().routes(OPENED_ROUTES).clock(clock));
        // As the daemon wires it (DrainAgent.loadFrom): snapshots read back from the spool, the backlog not copied.
        scheduler.readFrom(spool::pending);
        scheduler.load(spool.pendingAfter(Long.MIN_VALUE, false));
    }

    record Picks(long count, long nanosPerPick)
    {
    }

    record Sample(int drained, int bad)
    {
    }

    /**
     * Picks {@code count} messages, finishing each in the scheduler only (not journaled) and adding it back, as
     * {@code SchedulerPickBenchmark} does; times the whole.
     */
    Picks timePicks(final long count)
    {
        final long startNs = System.nanoTime();
        long picked = 0;
        for (; picked < count; picked++)
        {
            clock.advanceMillis();
            final Dispatch dispatch = scheduler.next(ROUTE);
            if (dispatch == null)
            {
                break;
            }
            final PendingMessage sent = dispatch.message();
            scheduler.onSnapshot(new PendingMessage(sent.messageId(), sent.envelope(), sent.contentLength(),
                List.of(Backlog.delivered())));
            // And back in, as a new message from the same source: the backlog keeps its size while it is timed.
            scheduler.onSnapshot(sent);
        }
        return new Picks(picked, picked == 0 ? 0 : (System.nanoTime() - startNs) / picked);
    }

    /**
     * Drains {@code sample} messages for real: picked by the scheduler, content read back from the journal and
     * compared with what was appended, every recipient journaled delivered.
     */
    Sample drainSample(final int sample) throws IOException
    {
        final List<CompletableFuture<Boolean>> outcomes = new ArrayList<>(sample);
        final List<Long> ids = new ArrayList<>(sample);
        int bad = 0;
        for (int i = 0; i < sample; i++)
        {
            clock.advanceMillis();
            final Dispatch dispatch = scheduler.next(ROUTE);
            if (dispatch == null)
            {
                break;
            }
            final ByteBuffer content = spool.readContent(dispatch.messageId());
            if (content == null || !content.equals(BenchmarkSpools.body(content.remaining()))
                || Backlog.numberOf(dispatch.envelope()) < 0)
            {
                bad++;
            }
            outcomes.add(spool.recordOutcome(dispatch.messageId(), ALL_RECIPIENTS,
                Backlog.delivered()));
            ids.add(dispatch.messageId());
        }
        int drained = 0;
        for (int i = 0; i < outcomes.size(); i++)
        {
            if (outcomes.get(i).join() && spool.pending(ids.get(i)) == null)
            {
                drained++;
            }
        }
        return new Sample(drained, bad);
    }
}
