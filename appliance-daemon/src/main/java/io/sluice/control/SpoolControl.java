package io.sluice.control;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

import io.sluice.drain.DrainAgent;
import io.sluice.drain.DrainCounter;
import io.sluice.drain.DrainStatus;
import io.sluice.ingress.IngressContext;
import io.sluice.ingress.SmtpServer;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolCounter;

/**
 * The spool's counters, the ingress switch and the drain's switches for an incident (pause a route, retry the
 * deferred mail now). Counters are read lock-free and are cheap to poll; the drain's figures come from its last
 * published status.
 */
public final class SpoolControl implements SpoolControlMXBean
{
    /** The setting that keeps a pause across restarts. */
    public static final String INGRESS_PAUSED = IngressContext.PAUSED.key();
    /** How long "retry deferred now" waits for the drain thread to answer. */
    static final long RETRY_WAIT_SECONDS = 10;
    /** The window the accepted, delivered, deferred and failed rates are averaged over. */
    public static final long RATE_WINDOW_MS = 60_000;
    static final String ACCEPTED = "accepted";
    static final String DELIVERED = "delivered";
    static final String DEFERRED = "deferred";
    static final String FAILED = "failed";

    private final Spool spool;
    private final SmtpServer smtp;
    private final ControlState state;
    private final DrainAgent drain;
    private final DrainSwitches switches;
    private final CounterRates rates;
    private final QuarantinedMail quarantine;
    private final OperatorQueue queue;

    /** Ingress and spool only: the drain's operations refuse, saying there is no drain; rates read 0. */
    public SpoolControl(final Spool spool, final SmtpServer smtp, final ControlState state)
    {
        this(spool, smtp, state, null, null, null);
    }

    /**
     * @param switches the operator's pauses of the drain, shared with the Drain MXBean.
     * @param rates    from {@link #rates}, sampled every second by the caller.
     */
    public SpoolControl(final Spool spool, final SmtpServer smtp, final ControlState state, final DrainAgent drain,
        final DrainSwitches switches, final CounterRates rates)
    {
        this(spool, smtp, state, drain, switches, rates, null);
    }

    /** @param quarantine the mail kept home for an operator: listed, released, deleted here. */
    public SpoolControl(final Spool spool, final SmtpServer smtp, final ControlState state, final DrainAgent drain,
        final DrainSwitches switches, final CounterRates rates, final QuarantinedMail quarantine)
    {
        this(spool, smtp, state, drain, switches, rates, quarantine, null);
    }

    /** @param queue the queue message by message: listed, shown, held, released, requeued and deleted here. */
    public SpoolControl(final Spool spool, final SmtpServer smtp, final ControlState state, final DrainAgent drain,
        final DrainSwitches switches, final CounterRates rates, final QuarantinedMail quarantine, final OperatorQueue queue)
    {
        this.queue = queue;
        this.quarantine = quarantine;
        this.spool = spool;
        this.smtp = smtp;
        this.state = state;
        this.drain = drain;
        this.switches = switches;
        this.rates = rates;
    }

    /** @return the rates this console shows: messages accepted, recipients delivered, deferred and failed. */
    public static CounterRates rates(final Spool spool, final DrainAgent drain)
    {
        final Map<String, LongSupplier> counters = new LinkedHashMap<>();
        counters.put(ACCEPTED, () -> spool.counters().get(SpoolCounter.MESSAGES_APPENDED));
        counters.put(DELIVERED, () -> drain.counters().get(DrainCounter.DELIVERED));
        counters.put(DEFERRED, () -> drain.counters().get(DrainCounter.DEFERRED));
        counters.put(FAILED, () -> drain.counters().get(DrainCounter.FAILED));
        return new CounterRates(counters, RATE_WINDOW_MS);
    }

    @Override
    public double getAcceptedPerSecond()
    {
        return rate(ACCEPTED);
    }

    @Override
    public double getDeliveredPerSecond()
    {
        return rate(DELIVERED);
    }

    @Override
    public double getDeferredPerSecond()
    {
        return rate(DEFERRED);
    }

    @Override
    public double getFailedPerSecond()
    {
        return rate(FAILED);
    }

    private double rate(final String name)
    {
        return rates == null ? 0 : rates.ratePerSecond(name);
    }

    @Override
    public long getPendingMessages()
    {
        return spool.counters().get(SpoolCounter.PENDING_MESSAGES);
    }

    @Override
    public long getPendingBytes()
    {
        return spool.counters().get(SpoolCounter.PENDING_BYTES);
    }

    @Override
    public long getOldestPendingAgeSeconds()
    {
        return spool.counters().get(SpoolCounter.OLDEST_PENDING_AGE_MS) / 1000;
    }

    @Override
    public long getMessagesAppended()
    {
        return spool.counters().get(SpoolCounter.MESSAGES_APPENDED);
    }

    @Override
    public long getOutcomesAppended()
    {
        return spool.counters().get(SpoolCounter.OUTCOMES_APPENDED);
    }

    @Override
    public long getSyncBatches()
    {
        return spool.counters().get(SpoolCounter.SYNC_BATCHES);
    }

    @Override
    public long getAppendsRefusedDiskFull()
    {
        return spool.counters().get(SpoolCounter.APPENDS_REFUSED_DISK);
    }

    @Override
    public boolean isAcceptingMessages()
    {
        return spool.isAcceptingMessages();
    }

    @Override
    public long getDiskFreeBytes()
    {
        return spool.counters().get(SpoolCounter.DISK_FREE_BYTES);
    }

    @Override
    public long getDiskReserveBytes()
    {
        return spool.context().diskReserveBytes();
    }

    @Override
    public long getDiskPressureSeconds()
    {
        return spool.counters().get(SpoolCounter.DISK_PRESSURE_CURRENT_MS) / 1000;
    }

    @Override
    public long getDiskPressureTotalSeconds()
    {
        return spool.counters().get(SpoolCounter.DISK_PRESSURE_MS) / 1000;
    }

    @Override
    public long getDiskPressureEpisodes()
    {
        return spool.counters().get(SpoolCounter.DISK_PRESSURE_EPISODES);
    }

    @Override
    public long getDiskPressureEtaSeconds()
    {
        final long etaMs = spool.counters().get(SpoolCounter.DISK_PRESSURE_ETA_MS);
        // Rounded up: "0" must mean accepting (or about to be), never "under a second to go".
        return etaMs < 0 ? -1 : (etaMs + 999) / 1000;
    }

    @Override
    public boolean isIngressPaused()
    {
        return smtp.isPaused();
    }

    @Override
    public void pauseIngress()
    {
        final boolean was = smtp.isPaused();
        smtp.pause(true);
        state.changed(INGRESS_PAUSED, was, true);
    }

    @Override
    public void resumeIngress()
    {
        final boolean was = smtp.isPaused();
        smtp.pause(false);
        state.changed(INGRESS_PAUSED, was, false);
    }

    @Override
    public long getDeliveredRecipients()
    {
        return drainCounter(DrainCounter.DELIVERED);
    }

    @Override
    public long getDeferredRecipients()
    {
        return drainCounter(DrainCounter.DEFERRED);
    }

    @Override
    public long getFailedRecipients()
    {
        return drainCounter(DrainCounter.FAILED);
    }

    @Override
    public long getHeldMessages()
    {
        return drainCounter(DrainCounter.HELD_MESSAGES);
    }

    @Override
    public String[] getPendingByRouteAndLane()
    {
        final DrainStatus status = status();
        final Map<String, Long> bytes = new LinkedHashMap<>();
        for (final DrainStatus.AgeRow row : status.ages().lanes())
        {
            bytes.put(row.route() + "/" + row.lane(), row.bytes());
        }
        final List<String> lines = new ArrayList<>();
        for (final DrainStatus.RouteStatus route : status.routes())
        {
            for (final DrainStatus.LaneStatus lane : route.lanes())
            {
                final long pending = lane.ready() + lane.paused() + lane.deferred() + lane.held() + lane.inFlight();
                if (pending > 0)
                {
                    final String name = lane.route() + "/" + lane.lane();
                    lines.add(name + ": " + pending + " messages, " + bytes.getOrDefault(name, 0L) + " bytes (ready "
                        + lane.ready() + ", paused " + lane.paused() + ", deferred " + lane.deferred() + ", held "
                        + lane.held() + ", in flight " + lane.inFlight() + ")");
                }
            }
        }
        return lines.toArray(String[]::new);
    }

    @Override
    public double getDrainRatePerSecond()
    {
        double rate = 0;
        for (final DrainStatus.RouteStatus route : status().routes())
        {
            rate += route.measuredRatePerSec();
        }
        return rate;
    }

    @Override
    public long getDrainEtaSeconds()
    {
        return status().etaMillis() / 1000;
    }

    @Override
    public String[] getDrainPausedRoutes()
    {
        return requireDrain().pausedRoutes().stream().sorted().toArray(String[]::new);
    }

    @Override
    public void pauseDrain(final String route)
    {
        for (final String name : routes(route))
        {
            requireDrain().pauseRoute(name);
        }
    }

    @Override
    public void resumeDrain(final String route)
    {
        for (final String name : routes(route))
        {
            requireDrain().resumeRoute(name);
        }
    }

    /** @return the route named, or every route for an empty name; an unknown one is refused by the switches. */
    private List<String> routes(final String route)
    {
        requireDrain();
        return route == null || route.isBlank() ? drain.routeNames() : List.of(route.trim());
    }

    @Override
    public int retryDeferred()
    {
        requireDrain();
        try
        {
            final int retried = drain.retryDeferredNow().get(RETRY_WAIT_SECONDS, TimeUnit.SECONDS);
            ControlState.audit("deferred mail", "waiting for its retry time", "retried now (" + retried + " messages)");
            return retried;
        }
        catch (final TimeoutException ex)
        {
            throw new IllegalStateException("the drain did not answer within " + RETRY_WAIT_SECONDS
                + " s; the retry happens when it does");
        }
        catch (final ExecutionException ex)
        {
            throw new IllegalStateException("the drain failed to retry the deferred mail: " + ex.getCause(), ex.getCause());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the drain");
        }
    }

    private DrainSwitches requireDrain()
    {
        if (drain == null || switches == null)
        {
            throw new IllegalStateException("this spool has no drain to control");
        }
        return switches;
    }

    private DrainStatus status()
    {
        requireDrain();
        final DrainStatus status = drain.status();
        if (status == null)
        {
            throw new IllegalStateException("the drain has not published its status yet; try again in a second");
        }
        return status;
    }

    private long drainCounter(final DrainCounter counter)
    {
        return drain == null ? 0 : drain.counters().get(counter);
    }

    @Override
    public QuarantineRow[] getQuarantine()
    {
        return requireQuarantine().list().toArray(new QuarantineRow[0]);
    }

    @Override
    public long getQuarantinedMessages()
    {
        return quarantine == null ? 0 : quarantine.list().size();
    }

    @Override
    public int releaseQuarantined(final String[] queueIds)
    {
        final List<String> ids = queueIds == null ? List.of() : List.of(queueIds);
        final int released = requireQuarantine().release(ids);
        ControlState.audit("quarantined messages " + ids, "quarantined", "released (" + released + ")");
        return released;
    }

    @Override
    public int releaseAllQuarantined()
    {
        final int released = requireQuarantine().releaseAll();
        ControlState.audit("every quarantined message", "quarantined", "released (" + released + ")");
        return released;
    }

    @Override
    public int deleteQuarantined(final String[] queueIds, final boolean confirm)
    {
        final List<String> ids = queueIds == null ? List.of() : List.of(queueIds);
        if (!confirm)
        {
            throw new IllegalArgumentException("deleting quarantined mail is irreversible: confirm must be true; nothing"
                + " was deleted");
        }
        final int deleted = requireQuarantine().delete(ids);
        ControlState.audit("quarantined messages " + ids, "quarantined", "deleted, PURGED (" + deleted + ")");
        return deleted;
    }

    private QuarantinedMail requireQuarantine()
    {
        if (quarantine == null)
        {
            throw new IllegalStateException("this console has no quarantine");
        }
        return quarantine;
    }

    @Override
    public QueuePage listQueue(final String filter, final String after, final int limit, final boolean newestFirst)
    {
        return requireQueue().list(filter, after, limit, newestFirst);
    }

    @Override
    public QueueRow showQueued(final String queueId)
    {
        return requireQueue().show(queueId);
    }

    @Override
    public String readQueuedContent(final String queueId)
    {
        try
        {
            return requireQueue().content(queueId);
        }
        catch (final IOException ex)
        {
            // Without the cause: a console shows the deepest message, and this one names the message.
            throw new IllegalStateException("cannot read " + queueId + "'s content from the journal: " + ex.getMessage());
        }
    }

    @Override
    public QueueChange holdQueued(final String[] queueIds, final String filter)
    {
        return audited(requireQueue().hold(ids(queueIds), filter, CallerPrincipal.current()), filter, "queued");
    }

    @Override
    public QueueChange releaseQueued(final String[] queueIds, final String filter)
    {
        return audited(requireQueue().release(ids(queueIds), filter, CallerPrincipal.current()), filter, "held");
    }

    @Override
    public QueueChange requeueQueued(final String[] queueIds, final String filter)
    {
        return audited(requireQueue().requeue(ids(queueIds), filter, CallerPrincipal.current()), filter,
            "waiting for a retry time");
    }

    @Override
    public QueueChange deleteQueued(final String[] queueIds, final String filter, final boolean confirm)
    {
        return audited(requireQueue().delete(ids(queueIds), filter, CallerPrincipal.current(), confirm), filter, "queued");
    }

    private static List<String> ids(final String[] queueIds)
    {
        return queueIds == null ? List.of() : List.of(queueIds);
    }

    /** One audit line per action, naming the principal (ControlState.audit), the messages and the filter that chose them. */
    private static QueueChange audited(final QueueChange change, final String filter, final String before)
    {
        final String what = "queued messages " + List.of(change.getQueueIds())
            + (filter == null || filter.isBlank() ? "" : " (filter " + filter.trim() + ")");
        ControlState.audit(what, before, change.getAction() + " (" + change.getQueueIds().length + ")");
        return change;
    }

    private OperatorQueue requireQueue()
    {
        if (queue == null)
        {
            throw new IllegalStateException("this console has no queue operations");
        }
        return queue;
    }
}
