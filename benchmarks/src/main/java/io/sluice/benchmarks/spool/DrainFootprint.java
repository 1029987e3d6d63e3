package io.sluice.benchmarks.spool;

import java.util.List;

import io.sluice.benchmarks.drain.SchedulerPickBenchmark;
import io.sluice.drain.DrainContext;
import io.sluice.drain.DrainScheduler;
import io.sluice.drain.DrainStatus;
import io.sluice.drain.Dispatch;
import io.sluice.spool.Disposition;
import io.sluice.spool.Envelope;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;

/**
 * The drain's own heap per pending message, at backlogs a spool on this machine could not be filled with in a session:
 * a {@link DrainScheduler} at {@link DrainContext}'s defaults is loaded, as {@code DrainAgent.loadFrom} loads it, with
 * {@code count} ready messages whose snapshots it reads back by id from a source that computes each from its id (the
 * spool's part, measured by {@link PendingFootprint}, is not here). Heap is used heap after repeated full collections,
 * before and after the load, divided by the messages.
 *
 * <p>Two shapes: {@code flood}, 99 % of the messages from 2,000 addresses in eight /24s, interleaved, and 1 % from 20
 * quiet senders in 20 networks; {@code single}, every message from one address. Arrivals are 1,000 a second. After the
 * figure it checks that the counts are right and that a new message from a quiet sender with nothing queued is
 * dispatched within a few picks however deep the backlog: the route's rate is the default, the clock simulated (10 ms
 * a pick), so no limit is opened.
 *
 * <p>Three states (third argument, {@code ready} by default): {@code ready}, as accepted; {@code deferred}, every message
 * deferred by the upstream (the outage: its retry times spread over the hour after the load, as the retry schedule's
 * ceiling spreads them), and after the status, the clock moved past every retry time and the heap measured again, every
 * message ready once more; {@code held}, every message held (containment's or an operator's hold, a quarantine);
 * {@code retryall}, deferred as {@code deferred}, then the operator's retry of every deferred message (the provider is
 * back before the retry times), the drain's ticks until it is placed, and the heap measured again.
 *
 * <pre>
 * java $SLUICE_JVM_FLAGS -Xmx1g -cp benchmarks/target/benchmarks.jar io.sluice.benchmarks.spool.DrainFootprint \
 *     flood 1000000 deferred
 * </pre>
 */
public final class DrainFootprint
{
    private static final List<String> RECIPIENTS = List.of("rcpt@example.org");
    private static final List<RecipientStatus> NEW = List.of(RecipientStatus.NEW);
    private static final long START_MILLIS = 1_700_000_000_000L;
    private static final int ARRIVALS_PER_SECOND = 1_000;
    private static final int FLOOD_SOURCES = 2_000;
    private static final int QUIET_SOURCES = 20;
    private static final int CONTENT_BYTES = 4_096;
    private static final int MAX_PICKS = 1_000;
    private static final String READY = "ready";
    private static final String DEFERRED = "deferred";
    private static final String HELD = "held";
    private static final String RETRY_ALL = "retryall";
    private static final long RETRY_SPREAD_MILLIS = 3_600_000L;
    private static final List<RecipientStatus> HELD_STATUS =
        List.of(new RecipientStatus(Disposition.HELD, 0, 0, "containment: held"));

    private DrainFootprint()
    {
    }

    public static void main(final String[] args) throws InterruptedException
    {
        final boolean flood = !(args.length > 0 && args[0].equals("single"));
        final int count = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
        final String state = args.length > 2 ? args[2] : READY;
        if (!List.of(READY, DEFERRED, HELD, RETRY_ALL).contains(state))
        {
            throw new IllegalArgumentException("state: expected ready, deferred, held or retryall, not " + state);
        }
        System.out.printf("drain footprint: %s, %,d %s messages, DrainContext at its defaults, -Xmx %,d MiB%n",
            flood ? "flood (2,000 addresses in eight /24s, interleaved; 1 % from 20 quiet senders)" : "single source",
            count, state, Runtime.getRuntime().maxMemory() >> 20);
        final SchedulerPickBenchmark.StepClock clock = new SchedulerPickBenchmark.StepClock();
        final DrainScheduler scheduler = new DrainScheduler(new DrainContext().clock(clock));
        final long[] last = {count};
        final PendingMessage[] quiet = {null};
        // The retries come due over the hour after the load and the quiet sender's check (at most 10 s simulated).
        final long retriesFrom = clock.millis() + (long)count / ARRIVALS_PER_SECOND * 1000 + 60_000;
        scheduler.readFrom(id -> id >= 1 && id <= count ? message(id, flood, state, retriesFrom)
            : quiet[0] != null && id == quiet[0].messageId() ? quiet[0] : null);
        final long before = PendingFootprint.settledHeap();
        final long loadStart = System.nanoTime();
        for (long id = 1; id <= count; id++)
        {
            scheduler.onSnapshot(message(id, flood, state, retriesFrom));
        }
        final long loadNanos = System.nanoTime() - loadStart;
        final long after = PendingFootprint.settledHeap();
        System.out.printf("drain heap, loaded: %,d bytes, %.1f bytes/message (load %.1f s, %.0f ns/message)%n", after - before,
            (double)(after - before) / count, loadNanos / 1e9, (double)loadNanos / count);
        advance(clock, (long)count / ARRIVALS_PER_SECOND * 1000);
        final long statusStart = System.nanoTime();
        final DrainStatus status = scheduler.status();
        final long statusNanos = System.nanoTime() - statusStart;
        long aged = 0;
        long bytes = 0;
        for (final DrainStatus.AgeRow row : status.ages().lanes())
        {
            aged += row.total();
            bytes += row.bytes();
        }
        System.out.printf("status: ready %,d, deferred %,d, held %,d, pending %,d, in the ages %,d (%,d bytes), "
            + "computed in %.1f ms%n", status.ready(), status.deferred(), status.held(), scheduler.pendingCount(), aged, bytes,
            statusNanos / 1e6);
        quietSender(scheduler, clock, last, quiet, flood);
        if (state.equals(DEFERRED))
        {
            advance(clock, retriesFrom + RETRY_SPREAD_MILLIS - clock.millis());
            // The drain places due retries a slice a tick.
            final Ticks ticks = Ticks.untilIdle(scheduler);
            final long retried = PendingFootprint.settledHeap();
            final DrainStatus ready = scheduler.status();
            System.out.printf("every retry came due (placed in %.1f s over %,d ticks, the longest %.1f ms): ready %,d, "
                + "deferred %,d; drain heap %,d bytes, %.1f bytes/message%n", ticks.nanos / 1e9, ticks.count,
                ticks.longestNanos / 1e6, ready.ready(), ready.deferred(), retried - before, (double)(retried - before) / count);
        }
        else if (state.equals(RETRY_ALL))
        {
            retryAll(scheduler, before, count);
        }
    }

    /**
     * The provider is back an hour before the retries are due, and the operator retries every deferred message now:
     * the request, then the drain's ticks until they have placed every message (the clock does not move, so only the
     * request makes them ready), then the heap.
     */
    private static void retryAll(final DrainScheduler scheduler, final long before, final int count)
        throws InterruptedException
    {
        final long requestStart = System.nanoTime();
        final int retried = scheduler.retryDeferredNow();
        final long requestNanos = System.nanoTime() - requestStart;
        final Ticks ticks = Ticks.untilIdle(scheduler);
        final long after = PendingFootprint.settledHeap();
        final DrainStatus ready = scheduler.status();
        System.out.printf("retry-all: %,d made ready (the request %.1f ms on the drain thread, then %,d ticks in %.1f s, the "
            + "longest %.1f ms): ready %,d, deferred %,d; drain heap %,d bytes, %.1f bytes/message%n", retried,
            requestNanos / 1e6, ticks.count, ticks.nanos / 1e9, ticks.longestNanos / 1e6, ready.ready(), ready.deferred(),
            after - before,
            (double)(after - before) / count);
    }

    /** The drain's ticks, as its agent would run them, until one does nothing: how many, how long, the longest. */
    private record Ticks(int count, long nanos, long longestNanos)
    {
        static Ticks untilIdle(final DrainScheduler scheduler)
        {
            final long start = System.nanoTime();
            long longest = 0;
            int count = 0;
            int work = 1;
            while (work > 0)
            {
                final long tickStart = System.nanoTime();
                work = scheduler.tick();
                longest = Math.max(longest, System.nanoTime() - tickStart);
                count++;
            }
            return new Ticks(count, System.nanoTime() - start, longest);
        }
    }

    /** A new message from a sender with nothing queued: how many picks until it is sent, at the route's default rate. */
    private static void quietSender(final DrainScheduler scheduler, final SchedulerPickBenchmark.StepClock clock,
        final long[] last, final PendingMessage[] quiet, final boolean flood)
    {
        final long quietId = last[0] + 1;
        last[0] = quietId;
        final Envelope envelope = new Envelope("192.0.2.77", "default", "mail", "s@example.net", RECIPIENTS, clock.millis());
        // Ready: a quiet sender's new message in an outage is only deferred after its first attempt.
        quiet[0] = new PendingMessage(quietId, envelope, CONTENT_BYTES, NEW);
        scheduler.onSnapshot(quiet[0]);
        int picks = 0;
        long simulatedMillis = 0;
        while (picks < MAX_PICKS)
        {
            advance(clock, 10);
            simulatedMillis += 10;
            final Dispatch dispatch = scheduler.next("default");
            if (dispatch == null)
            {
                continue;
            }
            picks++;
            if (dispatch.messageId() == quietId)
            {
                break;
            }
        }
        System.out.printf("a new quiet sender's message (%s backlog) went out on pick %d, %,d simulated ms after it came%n",
            flood ? "flood" : "single-source", picks, simulatedMillis);
    }

    private static void advance(final SchedulerPickBenchmark.StepClock clock, final long millis)
    {
        for (long i = 0; i < millis; i++)
        {
            clock.advanceMillis();
        }
    }

    /**
     * The snapshot of message {@code id} in {@code state}, computed from it: the source reads nothing, keeps nothing. A
     * deferred one's retry time is spread over the hour from {@code retriesFrom} at random (by its id).
     */
    private static PendingMessage message(final long id, final boolean flood, final String state, final long retriesFrom)
    {
        final String source;
        if (!flood)
        {
            source = "10.9.0.1";
        }
        else if (id % 100 == 0)
        {
            final long quiet = id / 100 % QUIET_SOURCES;
            source = "172.16." + quiet + ".1";
        }
        else
        {
            final long address = id % FLOOD_SOURCES;
            source = "10.9." + address / 250 + "." + (address % 250 + 1);
        }
        final Envelope envelope = new Envelope(source, "default", "mail", "s@example.net", RECIPIENTS,
            START_MILLIS + id / ARRIVALS_PER_SECOND * 1000 + id % 7);
        final List<RecipientStatus> statuses = switch (state)
        {
            case DEFERRED, RETRY_ALL ->
                List.of(RecipientStatus.deferred(3, retriesFrom + id * 7_919 % RETRY_SPREAD_MILLIS, "451 4.7.0 later"));
            case HELD -> HELD_STATUS;
            default -> NEW;
        };
        return new PendingMessage(id, envelope, CONTENT_BYTES, statuses);
    }
}
