package io.sluice.drain;

import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.List;
import java.util.function.LongPredicate;

import io.sluice.outcome.OutcomeClassifier;
import io.sluice.spool.Disposition;
import io.sluice.spool.PendingMessage;

/**
 * A provider enforcing its limit on a backlog the drain empties, all on the test's clock, with the outcome stage's
 * rules (classification, requeue of throttled mail) and a delivery layer of {@code connections} slots that tells the
 * drain when it has no room ({@link DrainScheduler#onRouteSaturated}), as the drain agent does. Two ways to enforce the
 * limit, as providers do: refuse the excess with {@code 421 4.7.0} (a token bucket), or delay each reply until the
 * provider's next slot (first come, first served).
 *
 * <p>As in the daemon, a slot stays busy after its reply until the outcome is journaled: the reply's feedback reaches
 * the drain at once, the journal's snapshot (and the free slot) once the simulated journal is not stalled
 * ({@link #stallJournal}); when the slots are full, the drain is told whether they mostly wait on the journal.
 */
final class SimulatedProvider
{
    /** How the provider enforces its rate. */
    enum Enforcement
    {
        REFUSE, DELAY
    }

    private static final long LATENCY_MILLIS = 5;
    private static final String ROUTE = "default";

    private final SimulatedDrain drain;
    private final Enforcement enforcement;
    private final double ratePerSec;
    private final double burst;
    private final int connections;
    private final OutcomeClassifier classifier;
    private final ArrayDeque<Flight> inFlight = new ArrayDeque<>();
    /** Replied, their outcomes waiting for the journal: their slots are still busy. */
    private final ArrayDeque<PendingMessage> journaling = new ArrayDeque<>();
    private LongPredicate journalStalled = at -> false;
    /** Added to the first reply on each connection: opening it (connect, greeting, EHLO). */
    private long setupMillis;
    private double tokens;
    private long lastRefillMillis;
    private long nextSlotMillis;
    private long runStartMillis;

    long attempts;
    long throttled;
    long deferred;
    long delivered;
    int maxAttempts;
    /** Each second from the start: the time, ms, the route's published ETA, ms, and the messages delivered by then. */
    final List<long[]> etaSamples = new ArrayList<>();
    final List<Long> deliveredAt = new ArrayList<>();

    private record Flight(Dispatch dispatch, long replyAtMillis, boolean accepted)
    {
    }

    SimulatedProvider(final SimulatedDrain drain, final Enforcement enforcement, final double ratePerSec, final double burst,
        final int connections)
    {
        this.drain = drain;
        this.enforcement = enforcement;
        this.ratePerSec = ratePerSec;
        this.burst = burst;
        this.connections = connections;
        this.tokens = burst;
        this.lastRefillMillis = drain.now();
        final DrainContext context = drain.scheduler.context();
        classifier = new OutcomeClassifier(new RetrySchedule(context), context.rateLearning().requeueLimit());
    }

    /** @param millis added to the first reply on each of the connections, as opening them takes. */
    SimulatedProvider openingConnectionsTakes(final long millis)
    {
        setupMillis = millis;
        return this;
    }

    /** @param stalled whether the journal holds every outcome at a time, ms from the start of the run. */
    SimulatedProvider stallJournal(final LongPredicate stalled)
    {
        journalStalled = stalled;
        return this;
    }

    /**
     * Runs until {@code messages} are delivered or {@code limitMillis} pass.
     *
     * @return the time it took, ms.
     */
    long drainBacklog(final int messages, final long limitMillis)
    {
        final long start = drain.now();
        runStartMillis = start;
        final DrainScheduler scheduler = drain.scheduler;
        while (delivered < messages && drain.now() - start < limitMillis)
        {
            final long now = drain.now();
            while (!inFlight.isEmpty() && inFlight.peek().replyAtMillis() <= now)
            {
                reply(inFlight.poll());
            }
            while (!journaling.isEmpty() && !journalStalled.test(now - start))
            {
                scheduler.onSnapshot(journaling.poll());
            }
            while (inFlight.size() + journaling.size() < connections)
            {
                final Dispatch dispatch = scheduler.next(ROUTE);
                if (dispatch == null)
                {
                    break;
                }
                send(dispatch, now);
            }
            if (inFlight.size() + journaling.size() >= connections)
            {
                scheduler.onRouteSaturated(ROUTE, 2 * journaling.size() >= connections);
            }
            if ((now - start) % 1000 == 0)
            {
                etaSamples.add(new long[] {now - start, scheduler.status().route(ROUTE).etaMillis(), delivered});
                if (System.getenv("SIM_DEBUG") != null)
                {
                    System.out.printf("t=%d rate=%.1f ceiling=%.1f delivered=%d throttled=%d attempts=%d eta=%d%n",
                        now - start, scheduler.effectiveRatePerSec(ROUTE), scheduler.learnedCeilingPerSec(ROUTE), delivered,
                        throttled, attempts, scheduler.status().route(ROUTE).etaMillis());
                }
            }
            drain.clock.advanceMillis(1);
        }
        return drain.now() - start;
    }

    private void send(final Dispatch dispatch, final long now)
    {
        attempts++;
        final long latency = LATENCY_MILLIS + (attempts <= connections ? setupMillis : 0);
        if (enforcement == Enforcement.DELAY)
        {
            // First come, first served at the provider's rate: the reply waits for its slot.
            nextSlotMillis = Math.max(nextSlotMillis + (long)(1000 / ratePerSec), now);
            inFlight.add(new Flight(dispatch, nextSlotMillis + latency, true));
            return;
        }
        tokens = Math.min(burst, tokens + (now - lastRefillMillis) * ratePerSec / 1000);
        lastRefillMillis = now;
        final boolean accepted = tokens >= 1;
        if (accepted)
        {
            tokens--;
        }
        inFlight.add(new Flight(dispatch, now + latency, accepted));
    }

    private void reply(final Flight flight)
    {
        final Dispatch dispatch = flight.dispatch();
        final SmtpReply reply = SmtpReply.parse(flight.accepted() ? "250 2.0.0 Ok" : "421 4.7.0 Try again later");
        final DrainScheduler scheduler = drain.scheduler;
        final ReplyOutcome outcome = classifier.classify(
            dispatch.envelope(), dispatch.statusAtDispatch(0), reply, drain.now(), dispatch.throttledInARow());
        scheduler.recordFeedback(ROUTE, dispatch.envelope().sourceKey(), outcome);
        if (!flight.accepted())
        {
            throttled++;
        }
        if (outcome.requeued())
        {
            scheduler.requeueThrottled(dispatch, true);
            return;
        }
        final PendingMessage after = Mail.all(dispatch.message(), outcome.status());
        maxAttempts = Math.max(maxAttempts, outcome.status().attempts());
        if (outcome.status().disposition() == Disposition.DELIVERED)
        {
            delivered++;
            deliveredAt.add(drain.now() - runStartMillis);
        }
        else
        {
            deferred++;
        }
        journaling.add(after);
    }

    /** @return messages accepted per second between the two times, ms from the start of the run. */
    double acceptedPerSec(final long fromMillis, final long toMillis)
    {
        final long count = deliveredAt.stream().filter(at -> at >= fromMillis && at < toMillis).count();
        return count * 1000.0 / (toMillis - fromMillis);
    }
}
