package io.sluice.drain;

import io.sluice.counters.EnumCounters;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;

import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;
import org.agrona.collections.Hashing;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * The fair drain scheduler: it holds the spool's pending messages as the spool reports them and answers, for a
 * route, which message to send now and to which of its recipients.
 *
 * <h2>What it honours, in order</h2>
 * <ol>
 *   <li>The route's egress rate: a Bucket4j bucket of {@code burst} tokens refilled at the route's effective rate,
 *       which AIMD lowers when the upstream throttles and raises again as it accepts.</li>
 *   <li>Lanes: strict lanes ({@code notifications}) first; then weighted round robin among the weighted lanes
 *       ({@code mail:16, bounces:4, suspect:1} by default: the suspect lane gets 1 pick in 21 while the others have
 *       mail, and its turn comes last in each round). A lane with its own rate ({@code bounces}) never exceeds it.</li>
 *   <li>Within a lane, deficit round robin over tenants (by weight, within each tenant's egress limit), then over
 *       networks (/24, /64) within a tenant, then over sources within a network, then oldest message first. The
 *       network level is what keeps 2,000 flooding addresses in eight /24s from outnumbering 20 legitimate
 *       senders in 20 networks: each network, not each address, gets a turn.</li>
 *   <li>Retry times: a deferred recipient is not sent before its {@code notBeforeMillis}.</li>
 *   <li>Pauses: mail of a paused tenant or source stays, counted, and is skipped until resumed.</li>
 *   <li>Demotion: a source whose mail the upstream rejects for policy ({@code 5.7.x}) {@code policyRejections}
 *       times within the demotion window (its network: {@code networkPolicyRejections}) is demoted until the window
 *       passes without rejections: the provider's patience is shared by every tenant. With
 *       {@code drain.demotion.action=quarantine} (the default) and a {@link QuarantineSink}, its pending mail and
 *       what arrives from it meanwhile is quarantined (held until an operator releases it; a deferred message when
 *       its retry comes due); otherwise it is scheduled in the demotion lane ({@code suspect}).</li>
 * </ol>
 *
 * <h2>Why a quiet sender is not stuck behind a flood</h2>
 * A new message from a source with nothing queued joins the tail of its level's round robin; each active queue
 * ahead of it is served one turn before it is. So it waits about (active queues ÷ rate), not (backlog ÷ rate). The
 * exact bound, used for {@link DrainStatus#projectedDelayMillis(String)} and asserted by the fairness tests, is in
 * {@link DrainStatus}.
 *
 * <h2>Who does what</h2>
 * This class is the index of pending messages, the spool's events, the dispatches, what time makes due, and the
 * drain's public face. The {@link Placement} keeps where each message stands (ready, deferred, held or quarantined,
 * in flight); the {@link FairTree} keeps the ready ones and picks the next; the {@link ReplyFeedback} turns replies
 * into AIMD and demotions; the {@link PauseSwitches} stop and start tenants, sources and routes; the
 * {@link StatusBuilder} computes the status.
 *
 * <h2>Threads</h2>
 * NOT thread-safe: confined to one drain thread, as an Agrona agent's state is. {@link DrainAgent} is that thread:
 * it carries spool events, reply feedback and operator commands to it through a queue.
 *
 * <h2>Contract with the delivery layer</h2>
 * Each {@link Dispatch} stays in flight, never dispatched again, until every recipient in it has a newer status
 * in a spool snapshot (the outcome stage journals one per recipient), or it is handed back
 * with {@link #returnUndelivered}, or {@code drain.inFlightTimeoutMs} passes. Delivery is at-least-once: a message
 * is sent twice only when the upstream took it but its reply was lost (connection lost after the data), or when a
 * dispatch outlives the in-flight timeout, or after a crash between the upstream's reply and the journal write.
 * Restart resumes from the journal: {@link #load} the spool's pending messages before anything else is appended.
 */
public final class DrainScheduler
{
    private static final long SWEEP_INTERVAL_NANOS = 1_000_000_000L;

    private final SchedulerTime time;
    private final DrainContext context;
    private final NetworkKeys networks;
    private final EnumCounters<DrainCounter> counters;
    private final FairTree tree;
    private final ReplyFeedback feedback;
    private final Placement placement;
    private final OperatorRequests requests;
    private final RouteRateStateFile learnedRates;
    private final Snapshots snapshots = new Snapshots();
    /** One string per tenant for every entry's {@code tenant}, not one per message: tenants are configured, few. */
    private final Map<String, String> tenants = new HashMap<>();
    private static final int INITIAL_ENTRIES = 1024;

    /**
     * Every pending message the drain knows that has an entry, by id: the bare ones (ready, no entry: see
     * {@link SourceQueue}) are only in their source queues, the deferred and held ones without an entry only in the
     * placement's {@link WaitingIds}. Open addressing on primitive keys: no boxed key and no map node per
     * message. With FairNode's id-ordered set it took the drain from 220 to 165 heap bytes per pending message
     * (PendingFootprint, benchmarks/results/2026-12-05-vm-session4); entries that keep no snapshot took it further
     * (benchmarks/results/2026-12-06-vm-session5-drainids). Iterators are allocated, not cached, because status and
     * operator commands may walk it while another walk is open.
     */
    private final Long2ObjectHashMap<MessageEntry> entries =
        new Long2ObjectHashMap<>(INITIAL_ENTRIES, Hashing.DEFAULT_LOAD_FACTOR, false);
    private final long inFlightTimeoutNanos;
    private long lastSweepNanos;
    /** False: every message has an entry, as before bare messages (equivalence tests compare the two). */
    private boolean bareMessages = true;
    private int pollCursor;
    private DrainStatus.PendingAges ages;

    /** @param context the drain's settings; concluded here if they are not yet. */
    public DrainScheduler(final DrainContext context)
    {
        this(context, new EnumCounters<>(DrainCounter.class, "drain"));
    }

    /**
     * @param context the drain's settings; concluded here if they are not yet.
     * @param egress  each route's second gate beside its own bucket ({@link EgressTokens.Source#LOCAL}: none).
     */
    public DrainScheduler(final DrainContext context, final EgressTokens.Source egress)
    {
        this(context, new EnumCounters<>(DrainCounter.class, "drain"), egress);
    }

    DrainScheduler(final DrainContext context, final EnumCounters<DrainCounter> counters)
    {
        this(context, counters, EgressTokens.Source.LOCAL);
    }

    DrainScheduler(final DrainContext context, final EnumCounters<DrainCounter> counters, final EgressTokens.Source egress)
    {
        this.context = context.conclude();
        this.counters = counters;
        time = new SchedulerTime(context.clock());
        networks = new NetworkKeys(context.networkPrefixV4(), context.networkPrefixV6());
        inFlightTimeoutNanos = context.inFlightTimeoutMs() * 1_000_000L;
        lastSweepNanos = time.nanos();
        tree = new FairTree(context, time, networks, egress);
        feedback = new ReplyFeedback(context, time, networks, counters, tree, this::rescheduleSource);
        placement = new Placement(context, time, counters, tree, feedback, snapshots, this::entryOf, entries::remove);
        requests = new OperatorRequests(entries, this::entryFor, placement, counters);
        learnedRates = new RouteRateStateFile(context.rateLearning().stateFile(), tree.routes(), time.nanos());
        learnedRates.restore(time.nanos());
    }

    /**
     * Sets where demoted mail is quarantined; without one (or with {@code drain.demotion.action=suspect-lane}) it goes
     * to the demotion lane. Call before {@link #load}.
     */
    public void quarantineTo(final QuarantineSink sink)
    {
        placement.quarantineTo(sink);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Spool events

    /**
     * Reads every message's snapshot from {@code source} from now on, and keeps none itself: the spool ({@code
     * spool::pending}) holds them. Without a source the scheduler keeps the latest snapshot of each message it was
     * handed, as a scheduler without a spool must. Call before {@link #load}.
     */
    public void readFrom(final SnapshotSource source)
    {
        snapshots.readFrom(Objects.requireNonNull(source, "source"));
    }

    /**
     * Adds every message of a spool's pending set ({@code pendingMessages()}, or {@code pendingAfter(Long.MIN_VALUE,
     * false)}, which copies nothing): call once at start-up, before anything is appended.
     */
    public void load(final Iterable<PendingMessage> pending)
    {
        for (final PendingMessage message : pending)
        {
            onSnapshot(message);
        }
        // The backlog an operator looks at first after a restart: counted at the next status, not seconds later.
        ages = null;
    }

    /**
     * Applies the latest snapshot of a message, from {@code SpoolListener.onAccepted} or {@code onOutcome}: a new
     * message is queued, a finished one forgotten, a changed one moved to where it now belongs. Snapshots of one
     * message must arrive in journal order (the spool's listener guarantees that).
     */
    public void onSnapshot(final PendingMessage message)
    {
        counters.increment(DrainCounter.SNAPSHOTS_APPLIED);
        snapshots.applied(message);
        MessageEntry entry = entries.get(message.messageId());
        if (entry == null)
        {
            final LaneQueue bareIn = takeBare(message);
            if (bareIn != null)
            {
                // A bare message's second snapshot: from now on it has an entry, out of every queue, to be placed again.
                if (message.isFinished())
                {
                    placement.forgetRetried(message.messageId());
                    return;
                }
                entry = entryOf(message, bareIn);
            }
        }
        else
        {
            Placement.settle(entry, message);
        }
        if (message.isFinished())
        {
            if (entry != null)
            {
                placement.leave(entry);
                entries.remove(message.messageId());
            }
            return;
        }
        if (entry == null)
        {
            if (bareMessages && placement.placeBare(message))
            {
                tree.laneFor(message.envelope(), false).route.arrivals.record(time.nanos(), 1);
                return;
            }
            final MessageEntry created = new MessageEntry(message, tenant(message.envelope().tenant()));
            entries.put(message.messageId(), created);
            placement.place(created, message);
            created.lane.route.arrivals.record(time.nanos(), 1);
            return;
        }
        if (entry.state == MessageEntry.IN_FLIGHT && !flightResolved(entry.dispatch(), message))
        {
            return;
        }
        placement.leave(entry);
        if (!entry.has(MessageEntry.THROTTLED_THIS_FLIGHT))
        {
            entry.endThrottleStreak();
        }
        entry.set(MessageEntry.THROTTLED_THIS_FLIGHT, false);
        // An operator's "retry now" covered the statuses it saw; a new deferral follows the retry schedule again.
        entry.set(MessageEntry.RETRY_NOW, false);
        if (entry.has(MessageEntry.QUARANTINING) && !Placement.hasSendable(message))
        {
            // The quarantine hold is journaled (or something else decided): the snapshot says what it is now.
            entry.set(MessageEntry.QUARANTINING, false);
        }
        if (entry.has(MessageEntry.HOLDING) && !Placement.waitsToBeSent(message))
        {
            // The operator's hold is journaled: the snapshot keeps it held from now on, across restarts too.
            entry.set(MessageEntry.HOLDING, false);
        }
        placement.place(entry, message);
    }

    /**
     * Takes a message without an entry out of where it waits, ready in its source queue or deferred or held
     * ({@link WaitingIds}), and out of its counts.
     *
     * @return the lane it was counted in; null if the drain does not know it (a new message).
     */
    private LaneQueue takeBare(final PendingMessage message)
    {
        final LaneQueue ready = tree.takeBare(message);
        return ready != null ? ready : placement.takeWaiting(message);
    }

    /**
     * @return a new entry for a bare message just taken out of {@code lane}, kept, in no state; it remembers an operator's
     *         retry-all that placed it.
     */
    private MessageEntry entryOf(final PendingMessage message, final LaneQueue lane)
    {
        final MessageEntry entry = new MessageEntry(message, tenant(message.envelope().tenant()));
        entry.lane = lane;
        entries.put(message.messageId(), entry);
        placement.claimRetried(entry);
        return entry;
    }

    /** Keeps the entry the fair tree made for a bare message it gave out: it remembers a retry-all that placed it. */
    private void keepBareEntry(final MessageEntry entry)
    {
        if (entry.has(MessageEntry.BARE_COUNTED))
        {
            entries.put(entry.messageId, entry);
            placement.claimRetried(entry);
        }
    }

    /**
     * @return the entry of a pending message, made for it if it is bare (taken out of its queue, in no state: the caller
     *         places it); null if the drain does not know it or the spool has it no more.
     */
    private MessageEntry entryFor(final long messageId)
    {
        final MessageEntry entry = entries.get(messageId);
        if (entry != null || tree.bareCount() == 0 && placement.waitingCount() == 0)
        {
            return entry;
        }
        final PendingMessage snapshot = snapshots.get(messageId);
        final LaneQueue bareIn = snapshot == null ? null : takeBare(snapshot);
        return bareIn == null ? null : entryOf(snapshot, bareIn);
    }

    /** Gives every message an entry from now on, as the drain did before bare messages: for equivalence tests. */
    void keepEntriesForEveryMessage()
    {
        bareMessages = false;
        placement.keepEntriesWhileWaiting();
    }

    /** @return the one string the entries share for this tenant. */
    private String tenant(final String name)
    {
        final String known = tenants.putIfAbsent(name, name);
        return known != null ? known : name;
    }

    /** @return true once every recipient of the dispatch has a status other than the one it was dispatched with. */
    private static boolean flightResolved(final Dispatch dispatch, final PendingMessage latest)
    {
        for (final int index : dispatch.recipientIndexes())
        {
            if (latest.recipients().get(index).equals(dispatch.statusAtDispatch(index)))
            {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Picking

    /**
     * @param route a configured route name.
     * @return the message to send on the route now, its tokens spent; null if the route's bucket is empty or
     *         nothing on it may be sent now.
     * @throws IllegalArgumentException for an unknown route.
     */
    public Dispatch next(final String route)
    {
        final RouteState state = tree.knownRoute(route);
        tick();
        return pick(state);
    }

    /** {@link #next} without its {@link #tick}: for a caller that ticked already in this same cycle (the agent). */
    Dispatch pickNext(final String route)
    {
        return pick(tree.knownRoute(route));
    }

    /** @return the next dispatch on any route, trying routes in turn; null if none has anything to send now. */
    public Dispatch poll()
    {
        tick();
        final RouteState[] routes = tree.routes();
        for (int i = 0; i < routes.length; i++)
        {
            final RouteState route = routes[pollCursor];
            pollCursor = (pollCursor + 1) % routes.length;
            final Dispatch dispatch = pick(route);
            if (dispatch != null)
            {
                return dispatch;
            }
        }
        return null;
    }

    /**
     * Takes the fair tree's pick on the route in flight: the recipients ready now, up to the dispatch's limit, by the
     * message's latest snapshot. If the spool moved on since the drain placed it (finished, held or expired by another
     * stage: the snapshot saying so is on its way to the drain), it is not sent: its tokens are refunded, it is placed
     * by what the spool says, and the next pick is taken.
     */
    private Dispatch pick(final RouteState route)
    {
        final long now = time.nanos();
        MessageEntry entry;
        while ((entry = tree.pick(route, now)) != null)
        {
            keepBareEntry(entry);
            final PendingMessage message = snapshots.get(entry.messageId);
            Placement.settle(entry, message);
            final Dispatch dispatch = message == null ? null : dispatch(route, entry, message, now);
            if (dispatch != null)
            {
                return dispatch;
            }
            tree.refund(route, entry.lane, entry.tenant);
            if (message != null && !message.isFinished())
            {
                placement.place(entry, message);
            }
        }
        return null;
    }

    /** @return the dispatch of the picked entry's ready recipients, now in flight; null if none is ready. */
    private Dispatch dispatch(final RouteState route, final MessageEntry entry, final PendingMessage message, final long now)
    {
        final LaneQueue lane = entry.lane;
        final long nowMillis = time.wallMillis();
        final List<Integer> recipients = new ArrayList<>();
        final List<RecipientStatus> statuses = message.recipients();
        for (int i = 0; i < statuses.size() && recipients.size() < context.maxRecipientsPerDispatch(); i++)
        {
            if (Placement.isReady(entry, statuses.get(i), nowMillis))
            {
                recipients.add(i);
            }
        }
        if (recipients.isEmpty())
        {
            return null;
        }
        final Dispatch dispatch =
            new Dispatch(route.name, lane.spec.name(), message, recipients, nowMillis, entry.throttleStreak());
        entry.set(MessageEntry.THROTTLED_THIS_FLIGHT, false);
        placement.fly(entry, dispatch, now);
        route.meter.record(now, 1);
        lane.meter.record(now, 1);
        counters.increment(DrainCounter.DISPATCHES);
        counters.add(DrainCounter.RECIPIENTS_DISPATCHED, recipients.size());
        return dispatch;
    }

    /**
     * Hands a dispatch back that was never attempted (no connection slot after all, shutting down): its tokens are
     * refunded and it is scheduled again at once. Ignored if the message is no longer in flight with this dispatch.
     */
    public void returnUndelivered(final Dispatch dispatch)
    {
        final MessageEntry entry = entries.get(dispatch.messageId());
        if (entry == null || entry.dispatch() != dispatch)
        {
            return;
        }
        tree.refund(tree.knownRoute(dispatch.route()), entry.lane, entry.tenant);
        counters.increment(DrainCounter.DISPATCHES_RETURNED);
        placement.move(entry);
    }

    /**
     * The upstream throttled a dispatch (the outcome stage decided, by {@code drain.throttle.requeueLimit}, that it
     * spends no attempt). Counts one more throttle in a row for the message, if its last was an interval ago. With
     * {@code whole} (every recipient in it was throttled, nothing is journaled) the message goes back where it stood,
     * at the head of its source's queue (oldest first) for the route's next token, its tokens not refunded: the
     * attempt used the upstream's patience. Else the flight resolves when the journal's snapshot of the other
     * recipients' outcomes arrives. Ignored if the message is no longer in flight with this dispatch.
     */
    public void requeueThrottled(final Dispatch dispatch, final boolean whole)
    {
        final MessageEntry entry = entries.get(dispatch.messageId());
        if (entry == null || entry.dispatch() != dispatch)
        {
            return;
        }
        // Throttles of one message within one interval are one episode, as the learner counts them for the route:
        // while the route is still finding its rate, the message at the head of its queue draws the refusals of
        // the whole burst. Only throttles an interval apart (and no success between) make the streak.
        final long now = time.nanos();
        final MessageEntry.Flight flight = entry.flight;
        if (flight.throttleStreak == 0 || now - flight.lastThrottleNanos >= context.aimdIntervalMs() * 1_000_000L)
        {
            flight.throttleStreak++;
            flight.lastThrottleNanos = now;
        }
        entry.set(MessageEntry.THROTTLED_THIS_FLIGHT, true);
        counters.increment(DrainCounter.THROTTLED_REQUEUED);
        if (whole)
        {
            placement.move(entry);
        }
    }

    /**
     * The delivery had no room for a dispatch on the route (every connection busy): if the route has ready mail and a
     * token to send it with (else its own rate held the mail back, not the delivery), its rate learner counts the
     * interval as capacity-limited, unless the slots were mostly waiting for their outcomes to
     * be journaled ({@code onJournal}): a local stall, which says nothing of the upstream. Cheap: the agent calls it on
     * every refused hand-over.
     */
    void onRouteSaturated(final String route, final boolean onJournal)
    {
        final RouteState state = tree.route(route);
        if (state != null && state.hasReady() && state.bucket.getAvailableTokens() >= 1)
        {
            if (onJournal)
            {
                state.onLocalStall();
            }
            else
            {
                state.onSaturated();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Time

    /**
     * Does what time has made due: deferred messages whose retry time came, parked tenants and lanes whose bucket
     * refilled, demotions that ended, AIMD recovery steps, dispatches past the in-flight timeout. {@link #next} and
     * {@link #poll} call it; an agent calls it every duty cycle.
     *
     * @return how many things it did.
     */
    public int tick()
    {
        final long nowNanos = time.nanos();
        final long nowMillis = time.wallMillis();
        int work = placement.retryDue(nowMillis);
        work += tree.unparkDue(nowNanos);
        work += feedback.expireDue(nowMillis);
        for (final RouteState route : tree.routes())
        {
            final RateLearner.Step step = route.maintain(nowNanos);
            if (step == RateLearner.Step.RAISED)
            {
                counters.increment(DrainCounter.RATE_INCREASES);
                work++;
            }
            else if (step == RateLearner.Step.LOWERED)
            {
                counters.increment(DrainCounter.CAPACITY_SIGNALS);
                counters.increment(DrainCounter.RATE_DECREASES);
                work++;
            }
            else if (step == RateLearner.Step.LOCAL_STALL)
            {
                counters.increment(DrainCounter.LOCAL_STALLS);
            }
        }
        if (nowNanos - lastSweepNanos >= SWEEP_INTERVAL_NANOS)
        {
            lastSweepNanos = nowNanos;
            work += placement.expireFlights(nowNanos, inFlightTimeoutNanos);
            learnedRates.saveIfDue(nowNanos, nowMillis);
        }
        return work;
    }

    /**
     * How long the drain thread may sleep: until the first timer (a retry, a parked tenant or lane, the end of a
     * demotion, a recovery step, the in-flight sweep), or until the next token of a route whose bucket is empty while
     * it has mail ready and {@code canSend} says its delivery has room. A route with tokens and nothing dispatched is
     * waiting for an event (a connection slot, new mail), not for time, so it adds nothing.
     *
     * @param canSend whether a route's delivery can take a dispatch now.
     * @return nanoseconds, 0 if something is due now; {@code Long.MAX_VALUE} if nothing is ever due by itself.
     */
    public long nanosUntilDue(final Predicate<String> canSend)
    {
        final long nowNanos = time.nanos();
        final long nowMillis = time.wallMillis();
        long due = millisToNanos(Math.min(placement.millisUntilRetry(nowMillis), feedback.millisUntilDue(nowMillis)));
        if (placement.inFlightCount() > 0)
        {
            due = Math.min(due, SWEEP_INTERVAL_NANOS - (nowNanos - lastSweepNanos));
        }
        return Math.max(0, Math.min(due, tree.nanosUntilDue(nowNanos, canSend)));
    }

    private static long millisToNanos(final long millis)
    {
        return millis >= Long.MAX_VALUE / 1_000_000L ? Long.MAX_VALUE : millis * 1_000_000L;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Replies

    /**
     * Feeds back a reply the outcome stage classified: AIMD on the route, policy rejections against the source (which
     * may demote it: {@link ReplyFeedback}), counters.
     *
     * @param route     the route it was sent by.
     * @param sourceKey the message's source.
     * @param outcome   the classified reply.
     */
    public void recordFeedback(final String route, final String sourceKey, final ReplyOutcome outcome)
    {
        feedback.record(route, sourceKey, outcome);
    }

    /**
     * The delivery layer saw the route throttle outside any recipient's reply (a refused connection while
     * opening a pool, a {@code 421} greeting): decreases the route's rate as a throttling reply would.
     */
    public void onRouteThrottled(final String route)
    {
        feedback.onRouteThrottled(route);
    }

    /** Saves every route's learned rate ({@code drain.rate.stateFile}) now: the drain stops. */
    public void saveLearnedRates()
    {
        learnedRates.save(time.wallMillis());
    }

    /** @return true while the source is demoted for policy rejections. */
    public boolean isDemoted(final String sourceKey)
    {
        return feedback.isDemoted(sourceKey, time.wallMillis());
    }

    /**
     * Moves a source's (or a whole network's) ready mail to where it now belongs: the demotion lane or quarantine, or
     * back to its own lane when a demotion ends (quarantined mail stays quarantined: only an operator releases it).
     */
    private void rescheduleSource(final String key)
    {
        for (final MessageEntry entry : tree.readyFrom(key))
        {
            keepBareEntry(entry);
            placement.move(entry);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Operator controls

    /** @return the switches that pause and hold tenants, sources and routes. Drain thread only. */
    PauseSwitches switches()
    {
        return tree.switches();
    }

    /**
     * An operator's "retry deferred now" (Postfix's {@code postqueue -f}): see {@link OperatorRequests#retryDeferredNow}.
     *
     * @return how many deferred messages were made ready.
     */
    public int retryDeferredNow()
    {
        return requests.retryDeferredNow();
    }

    /**
     * An operator's requeue by id (Postfix's {@code postsuper -r}): see {@link OperatorRequests#retryNow}.
     *
     * @return how many deferred messages were made ready.
     */
    public int retryNow(final Collection<Long> messageIds)
    {
        return requests.retryNow(messageIds);
    }

    /**
     * An operator's hold by id (Postfix's {@code postsuper -h}): see {@link OperatorRequests#hold}.
     *
     * @return how many of them were in flight.
     */
    public int hold(final Collection<Long> messageIds, final Predicate<PendingMessage> journal)
    {
        return requests.hold(messageIds, journal);
    }

    /**
     * Changes a route's configured rate and burst at once (an operator's live change); resets any back-off.
     *
     * @throws IllegalArgumentException for an unknown route or a rate or burst out of range.
     */
    public void setRouteRate(final String route, final double ratePerSec, final int burst)
    {
        final RouteState state = tree.route(route);
        if (state == null)
        {
            throw new IllegalArgumentException("no such route: " + route);
        }
        if (!(ratePerSec > 0 && ratePerSec <= DrainContext.MAX_RATE_PER_SEC) || burst < 1)
        {
            throw new IllegalArgumentException("expected a rate above 0 up to " + (long)DrainContext.MAX_RATE_PER_SEC
                + " and a burst of at least 1: " + ratePerSec + ", " + burst);
        }
        state.configure(ratePerSec, burst);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Status

    /**
     * @return a fresh status, computed now; also refreshes the gauge counters. O(active tenants + paused keys), and
     *         once every {@link DrainStatus#AGES_INTERVAL_MS}, to count the backlog's ages, O(messages with an entry +
     *         seconds of arrival of the bare ones).
     */
    public DrainStatus status()
    {
        final long nowMillis = time.wallMillis();
        if (ages == null || nowMillis - ages.atMillis() >= DrainStatus.AGES_INTERVAL_MS || nowMillis < ages.atMillis())
        {
            ages = StatusBuilder.ages(this, entries.values(), nowMillis);
        }
        final DrainStatus status = StatusBuilder.build(this, time.nanos(), nowMillis, ages);
        counters.set(DrainCounter.READY_MESSAGES, status.ready() + status.paused());
        counters.set(DrainCounter.PAUSED_MESSAGES, status.paused());
        counters.set(DrainCounter.DEFERRED_MESSAGES, status.deferred());
        counters.set(DrainCounter.HELD_MESSAGES, status.held());
        counters.set(DrainCounter.IN_FLIGHT_MESSAGES, status.inFlight());
        return status;
    }

    RouteState[] routeStates()
    {
        return tree.routes();
    }

    Set<String> pausedSourceKeys()
    {
        return tree.switches().pausedSourceKeys();
    }

    NetworkKeys networks()
    {
        return networks;
    }

    DrainContext context()
    {
        return context;
    }

    public EnumCounters<DrainCounter> counters()
    {
        return counters;
    }

    public RouteTable routeTable()
    {
        return tree.routeTable();
    }

    /** @return the configured route names, in configuration order. */
    public List<String> routeNames()
    {
        return tree.routeNames();
    }

    /** @return the rate the route's upstream was last measured to accept, 0 if none is known. */
    public double learnedCeilingPerSec(final String route)
    {
        return Objects.requireNonNull(tree.route(route), () -> "no such route: " + route).learnedCeiling();
    }

    /** @return the route's rate in force now (as learned from the upstream's replies), messages per second. */
    public double effectiveRatePerSec(final String route)
    {
        return Objects.requireNonNull(tree.route(route), () -> "no such route: " + route).effectiveRate();
    }

    /** @return messages the scheduler knows of (ready, deferred, held, paused or in flight). */
    public int pendingCount()
    {
        return (int)(entries.size() + tree.bareCount() + placement.waitingCount());
    }

    /** @return true if the message is deferred without an entry (a retry-all's, not yet placed, included). */
    boolean isWaitingDeferred(final long messageId)
    {
        return placement.isWaitingDeferred(messageId);
    }

    /** @return pending messages that have an entry (the others are bare: ready in their queues, or waiting). */
    int entryCount()
    {
        return entries.size();
    }

    /** @return deferred and held messages kept without an entry ({@link WaitingIds}). */
    int waitingBareCount()
    {
        return placement.waitingCount();
    }

    /** @return dispatches awaiting their outcome. */
    public int inFlightCount()
    {
        return placement.inFlightCount();
    }

    /** @return true if the message is in flight. */
    public boolean isInFlight(final long messageId)
    {
        final MessageEntry entry = entries.get(messageId);
        return entry != null && entry.state == MessageEntry.IN_FLIGHT;
    }
}
