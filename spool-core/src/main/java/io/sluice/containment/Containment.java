package io.sluice.containment;

import io.sluice.counters.EnumCounters;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import io.sluice.bounce.GeneratedMail;
import io.sluice.config.InvalidSettingException;
import io.sluice.drain.ReplySignal;
import io.sluice.spool.Disposition;
import io.sluice.spool.Envelope;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;
import org.agrona.concurrent.NanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tenant containment: watches each tenant's accepted volume and upstream verdicts over a sliding
 * window and holds a tenant that crosses a threshold, so one abusive tenant is stopped before the shared upstream
 * account is suspended for everyone. A held tenant's mail stays in the spool, unsent, until an operator releases it
 * (it then drains at the tenant's own egress limit) or purges it with an explicit confirmation.
 *
 * <h2>How the daemon drives it</h2>
 * <ul>
 *   <li>{@link #recordAccepted} for every message the spool accepts from a client (not for DSNs or notices), and
 *       {@link #recordReply} for every upstream verdict: cheap, thread-safe, no I/O.</li>
 *   <li>{@link #evaluate()} from a maintenance thread every second or so: it applies the thresholds and, for each
 *       tenant that crossed one, marks it {@link TenantState#HELD}, writes the state file, and only then tells the
 *       {@link ContainmentListener} (on that thread). The listener pauses the tenant in the drain, journals
 *       {@link #reconcile}'s outcomes (its pending mail becomes {@code HELD}), logs and sends a {@link HoldNotice}.</li>
 *   <li>Operators: {@link #hold}, {@link #release}, {@link #purge} (with a confirmation equal to the tenant's
 *       name), {@link #state}, {@link #tenants()} and {@link #samples}.</li>
 *   <li>At start: {@link #open} restores the state file; then journal {@link #reconcile}{@code (spool.pendingInOrder(), ...)}
 *       and pause every tenant in {@link #holdingTenants()} in the drain, before the drain loads the spool.</li>
 * </ul>
 *
 * <h2>Why a state file, and the journal too</h2>
 * The state file is the truth about tenants: a tenant held while it had no mail pending leaves no record in the
 * journal, the learned normal rates are nowhere in the journal, and retention deletes old records. Every change is
 * written to the file <em>before</em> the listener journals anything, so after a crash the journal can only lag the
 * file, and {@link #reconcile} brings it level: {@code HELD} for a held tenant's open recipients, {@code RELEASED}
 * for containment's holds on a tenant the file says is released. If the file is missing or corrupt, the journal
 * decides the other way: a tenant whose mail carries containment's hold records is held again
 * ({@link HoldReason#RECOVERED}), never released by accident.
 *
 * <p>Thread-safety: everything is thread-safe. Counting takes only the tenant's own monitor; state changes take
 * one control lock, never on the counting path; listeners are called outside every lock.
 */
public final class Containment implements AutoCloseable
{
    /** Every journal detail containment writes starts with this, so its holds are told from anyone else's. */
    public static final String DETAIL_PREFIX = "containment: ";
    static final int MAX_TENANT_LENGTH = 255;
    static final int MAX_NOTE_LENGTH = 1000;
    private static final Logger LOG = LoggerFactory.getLogger(Containment.class);

    private final ContainmentContext context;
    private final ContainmentListener listener;
    private final Clock clock;
    private final NanoClock nanoClock;
    private final Path stateFile;
    private final EnumCounters<ContainmentCounter> counters = new EnumCounters<>(ContainmentCounter.class, "containment");
    private final ConcurrentHashMap<String, TenantTrack> tracks = new ConcurrentHashMap<>();
    private final Object controlLock = new Object();
    /** Guarded by {@code controlLock}: whether the in-memory states may release journaled holds. */
    private boolean stateTrusted;
    /** Guarded by {@code controlLock}: the refusal to hold every tenant at once is logged, until the figures part. */
    private boolean everyTenantAlerted;
    private boolean closed;

    private Containment(final ContainmentContext context, final ContainmentListener listener)
    {
        this.context = context;
        this.listener = listener;
        this.clock = context.clock();
        this.nanoClock = context.nanoClock();
        final Path file = context.stateFile();
        this.stateFile = file == null || file.toString().isEmpty() ? null : file;
    }

    /**
     * Opens containment and restores the state file, if there is one. A corrupt file is logged, counted, moved aside
     * to {@code <name>.corrupt}, and containment starts from the journal ({@link #reconcile}): a bad file never
     * stops the appliance from starting, and never releases a held tenant.
     *
     * @param context  settings; concluded (validated) here.
     * @param listener told of holds, releases and purges.
     * @throws InvalidSettingException naming the first bad setting.
     */
    public static Containment open(final ContainmentContext context, final ContainmentListener listener)
    {
        Objects.requireNonNull(listener, "listener");
        final Containment containment = new Containment(context.conclude(), listener);
        containment.restore();
        return containment;
    }

    private void restore()
    {
        final Map<String, TenantTrack> restored =
            ContainmentStateFile.restore(stateFile, context, nanoClock.nanoTime(), counters);
        if (restored == null)
        {
            return;
        }
        tracks.putAll(restored);
        stateTrusted = true;
        updateGauges();
        LOG.info("containment: restored {} tenants ({} held) from {}", restored.size(), holdingTenants().size(), stateFile);
    }

    // -------------------------------------------------------------------------------------------------------------
    // Traffic

    /** Counts one message accepted for {@code tenant}. Thread-safe, no I/O; ignored for a null or empty tenant. */
    public void recordAccepted(final String tenant)
    {
        recordAccepted(tenant, 1);
    }

    /**
     * Counts a message the spool accepted for its tenant if it is the tenant's own sending ({@link #isSending}): not
     * a DSN or notice the appliance wrote ({@link GeneratedMail#SOURCE_KEY}: a tenant is judged by what it sends, not
     * by the bounces it receives), and not inbound mail from outside the sending networks. Pass every envelope the
     * spool accepts, e.g. from {@code SpoolListener.onAccepted}. Thread-safe, no I/O.
     */
    public void recordAccepted(final Envelope envelope)
    {
        if (isSending(envelope))
        {
            recordAccepted(envelope.tenant(), 1);
        }
        else if (!GeneratedMail.SOURCE_KEY.equals(envelope.sourceKey()))
        {
            counters.counter(ContainmentCounter.INBOUND_NOT_COUNTED).increment();
        }
    }

    /** Counts {@code messages} accepted for {@code tenant}. Thread-safe, no I/O; ignored for a null or empty tenant. */
    public void recordAccepted(final String tenant, final long messages)
    {
        if (tenant == null || tenant.isEmpty() || messages <= 0)
        {
            return;
        }
        final long nowNs = nanoClock.nanoTime();
        track(tenant, nowNs).accepted(nowNs, messages);
    }

    /**
     * Counts one upstream verdict on a recipient of {@code envelope}, for its tenant, if the message is the tenant's
     * own sending ({@link #isSending}). Thread-safe, no I/O.
     */
    public void recordReply(final Envelope envelope, final ReplySignal signal)
    {
        if (isSending(envelope))
        {
            recordReply(envelope.tenant(), signal);
        }
    }

    /**
     * Whether containment judges and holds this message as its tenant's own sending: it came from
     * {@link ContainmentContext#SENDING_NETWORKS} or from a client that authenticated as one of the tenant's users
     * ({@link Envelope#authenticated()}, wherever it connected from), the appliance did not write it, and its lane is not ignored
     * ({@link ContainmentContext#IGNORED_LANES}). Everything else is inbound mail from the outside world to the relay
     * domains: its policy rejections are a verdict on its sources (admission's reputation), never on the tenant it
     * is accounted to, and holding that tenant would hold every inbound message of the gateway with it.
     */
    public boolean isSending(final Envelope envelope)
    {
        return !context.ignoredLaneSet().contains(envelope.lane())
            && (envelope.authenticated() || context.sendingNetworkList().contains(envelope.sourceKey()));
    }

    /**
     * Whether a hold of the message's tenant keeps this message: an automatic hold keeps the tenant's own sending
     * ({@link #isSending}), never inbound mail accounted to it; an operator's hold ({@link TenantState#PAUSED}) keeps
     * all of the tenant's mail, as the operator chose. Neither keeps what the appliance wrote (DSNs, notices).
     */
    private boolean keeps(final TenantTrack track, final Envelope envelope)
    {
        if (track == null || !track.state.isHolding() || GeneratedMail.SOURCE_KEY.equals(envelope.sourceKey()))
        {
            return false;
        }
        return track.state == TenantState.PAUSED || isSending(envelope);
    }

    /**
     * For a message the spool has just accepted: the status to journal for every recipient before the drain may send
     * it, if a hold of its tenant keeps it ({@link #keeps}), else null. The daemon hands the drain the message
     * as held at once, and journals this; held mail that arrives after the hold is held like the mail before it.
     */
    public RecipientStatus holdOnArrival(final Envelope envelope)
    {
        final TenantTrack track = tracks.get(envelope.tenant());
        if (!keeps(track, envelope))
        {
            return null;
        }
        final HoldReason reason = track.reason;
        return heldStatus(0, reason == null ? HoldReason.OPERATOR : reason);
    }

    /**
     * Counts one upstream verdict on one of the tenant's recipients: {@link ReplySignal#ACCEPTED}, {@code REJECTED}
     * ({@code 5xx}) or {@code POLICY_REJECTED} ({@code 5.7.x}). Deferrals and throttling are not verdicts on the
     * tenant's mail and are ignored. Thread-safe, no I/O.
     */
    public void recordReply(final String tenant, final ReplySignal signal)
    {
        Objects.requireNonNull(signal, "signal");
        if (tenant == null || tenant.isEmpty())
        {
            return;
        }
        final boolean permanent = signal == ReplySignal.REJECTED || signal == ReplySignal.POLICY_REJECTED;
        if (!permanent && signal != ReplySignal.ACCEPTED)
        {
            return;
        }
        final long nowNs = nanoClock.nanoTime();
        track(tenant, nowNs).verdict(nowNs, permanent, signal == ReplySignal.POLICY_REJECTED);
    }

    private TenantTrack track(final String tenant, final long nowNs)
    {
        final String name = tenant.length() > MAX_TENANT_LENGTH ? tenant.substring(0, MAX_TENANT_LENGTH) : tenant;
        final TenantTrack existing = tracks.get(name);
        return existing != null ? existing : tracks.computeIfAbsent(name, key -> new TenantTrack(key, context, nowNs));
    }

    // -------------------------------------------------------------------------------------------------------------
    // Evaluation

    private record Hold(TenantTrack track, HoldReason reason, ContainmentFigures figures)
    {
        String tenant()
        {
            return track.tenant;
        }
    }

    /**
     * Applies the thresholds to every tenant. Each tenant that crossed one is held, the state file written, and then
     * the listener told, on this thread. Call it from a maintenance thread every second or so; a tenant is held at
     * the first evaluation after it crosses, well within the window.
     *
     * <p>No automatic rule holds every tenant's mail at once: when two or more tenants send and every one of them
     * would be held, the cause is what they share (the upstream refusing the appliance, its address on a block list),
     * not one tenant's conduct. Then nothing is held; an alert is logged once and counted
     * ({@link ContainmentCounter#HOLDS_REFUSED_EVERY_TENANT}) until the figures part again.
     *
     * @return the number of tenants held by this call.
     */
    public int evaluate()
    {
        final List<Hold> holds = new ArrayList<>();
        final long nowNs = nanoClock.nanoTime();
        final long nowMillis = clock.millis();
        synchronized (controlLock)
        {
            counters.counter(ContainmentCounter.EVALUATIONS).increment();
            // Tenants an automatic rule may judge: sending in the window or already held by one; not exempt or paused.
            int judged = 0;
            int heldAutomatically = 0;
            for (final TenantTrack track : tracks.values())
            {
                final ContainmentFigures figures = track.figures(nowNs, context.windowMs());
                if (track.state == TenantState.PAUSED || isExempt(track.tenant))
                {
                    continue;
                }
                if (track.state.isHolding())
                {
                    judged++;
                    heldAutomatically++;
                    continue;
                }
                final HoldReason reason = crossed(figures);
                if (reason != null)
                {
                    judged++;
                    holds.add(new Hold(track, reason, figures));
                }
                else if (track.isIdle(nowNs))
                {
                    tracks.remove(track.tenant, track);
                }
                else if (figures.messages() > 0 || figures.verdicts() > 0)
                {
                    judged++;
                }
            }
            if (!holds.isEmpty() && judged >= 2 && heldAutomatically + holds.size() == judged)
            {
                refuseHoldingEveryTenant(holds);
                holds.clear();
            }
            else
            {
                everyTenantAlerted = false;
            }
            for (final Hold hold : holds)
            {
                setHeld(hold.track(), TenantState.HELD, hold.reason(), nowMillis, hold.figures().summary());
            }
            if (!holds.isEmpty())
            {
                // Contained even if the file cannot be written: the hold must not wait for a disk.
                persistQuietly();
            }
            updateGauges();
        }
        for (final Hold hold : holds)
        {
            counters.counter(ContainmentCounter.HOLDS_AUTOMATIC).increment();
            counters.counter(switch (hold.reason())
            {
                case VOLUME_SURGE -> ContainmentCounter.HOLDS_VOLUME_SURGE;
                case POLICY_REJECTIONS -> ContainmentCounter.HOLDS_POLICY_REJECTIONS;
                default -> ContainmentCounter.HOLDS_PERMANENT_FAILURES;
            }).increment();
            LOG.warn("containment: tenant {} HELD for {}: {}; its mail stays in the spool until an operator releases "
                + "or purges it", hold.tenant(), hold.reason(), hold.figures().summary());
            listener.onHold(hold.tenant(), hold.reason(), hold.figures());
        }
        return holds.size();
    }

    /**
     * @return the first threshold the figures cross, or null. Policy rejections first: the most direct evidence. The
     *         volume rule only once the tenant's normal rate is established (its warm-up is over).
     */
    private HoldReason crossed(final ContainmentFigures figures)
    {
        if (figures.verdicts() >= context.minVerdicts())
        {
            if (context.policyRejectionRatio() > 0 && figures.policyRejectionRatio() > context.policyRejectionRatio())
            {
                return HoldReason.POLICY_REJECTIONS;
            }
            if (context.permanentFailureRatio() > 0 && figures.permanentFailureRatio() > context.permanentFailureRatio())
            {
                return HoldReason.PERMANENT_FAILURES;
            }
        }
        if (context.surgeFactor() > 0 && figures.baselineEstablished() && figures.messages() >= context.minSurgeMessages()
            && figures.ratePerMinute() > context.surgeFactor() * figures.normalRatePerMinute())
        {
            return HoldReason.VOLUME_SURGE;
        }
        return null;
    }

    /** Guarded by {@code controlLock}. Logs and counts once while every judged tenant keeps crossing. */
    private void refuseHoldingEveryTenant(final List<Hold> holds)
    {
        if (everyTenantAlerted)
        {
            return;
        }
        everyTenantAlerted = true;
        counters.counter(ContainmentCounter.HOLDS_REFUSED_EVERY_TENANT).increment();
        final StringBuilder crossing = new StringBuilder();
        for (final Hold hold : holds)
        {
            crossing.append(crossing.length() == 0 ? "" : "; ").append(hold.tenant()).append(' ').append(hold.reason())
                .append(": ").append(hold.figures().summary());
        }
        LOG.warn("ALERT containment: every sending tenant crossed a threshold at once ({}); that is the upstream or the "
            + "appliance, not one tenant: nothing held automatically, look at the upstream's replies", crossing);
    }

    private boolean isExempt(final String tenant)
    {
        return tenant.equals(context.notificationTenant()) || context.exemptTenantSet().contains(tenant);
    }

    /** Guarded by {@code controlLock}. */
    private static void setHeld(final TenantTrack track, final TenantState state, final HoldReason reason,
        final long nowMillis, final String note)
    {
        track.reason = reason;
        track.sinceMillis = nowMillis;
        track.note = note.length() > MAX_NOTE_LENGTH ? note.substring(0, MAX_NOTE_LENGTH) : note;
        track.state = state;
    }

    // -------------------------------------------------------------------------------------------------------------
    // Operator controls

    /**
     * Holds a tenant by hand ({@link TenantState#PAUSED}, reason {@link HoldReason#OPERATOR}); exempt tenants too.
     * Durable before it returns; the listener is told on this thread.
     *
     * @param note why, for the console and the journal; may be empty.
     * @return false if the tenant was already held or paused (nothing changed).
     * @throws IllegalArgumentException for a malformed tenant name.
     * @throws UncheckedIOException if the state file cannot be written: then nothing changed.
     */
    public boolean hold(final String tenant, final String note)
    {
        checkTenant(tenant);
        final String why = note == null || note.isBlank() ? "held by an operator" : "held by an operator: " + note.trim();
        final ContainmentFigures figures;
        synchronized (controlLock)
        {
            final long nowNs = nanoClock.nanoTime();
            final TenantTrack track = track(tenant, nowNs);
            if (track.state.isHolding())
            {
                return false;
            }
            figures = track.figures(nowNs, context.windowMs());
            setHeld(track, TenantState.PAUSED, HoldReason.OPERATOR, clock.millis(), why);
            try
            {
                persist();
            }
            catch (final IOException ex)
            {
                clear(track);
                throw failedWrite("hold", tenant, ex);
            }
            updateGauges();
        }
        counters.counter(ContainmentCounter.HOLDS_OPERATOR).increment();
        LOG.warn("containment: tenant {} PAUSED: {}", tenant, why);
        listener.onHold(tenant, HoldReason.OPERATOR, figures);
        return true;
    }

    /**
     * Releases a held or paused tenant: it is {@link TenantState#NORMAL} again with an empty window (what it did
     * before the hold has been judged by the operator), and its held mail drains at the tenant's egress limit once
     * the listener journals {@link #reconcile}'s {@code RELEASED} outcomes. Durable before it returns.
     *
     * @return false if the tenant was not held (nothing changed).
     * @throws UncheckedIOException if the state file cannot be written: then nothing changed.
     */
    public boolean release(final String tenant)
    {
        checkTenant(tenant);
        synchronized (controlLock)
        {
            final TenantTrack track = tracks.get(tenant);
            if (track == null || !track.state.isHolding())
            {
                return false;
            }
            final TenantState state = track.state;
            final HoldReason reason = track.reason;
            final long since = track.sinceMillis;
            final String note = track.note;
            clear(track);
            try
            {
                persist();
            }
            catch (final IOException ex)
            {
                setHeld(track, state, reason, since, note);
                throw failedWrite("release", tenant, ex);
            }
            track.clearWindow(nanoClock.nanoTime());
            updateGauges();
        }
        counters.counter(ContainmentCounter.RELEASES).increment();
        LOG.warn("containment: tenant {} released by an operator; its held mail drains at the tenant's limit", tenant);
        listener.onRelease(tenant);
        return true;
    }

    /**
     * Purges a held tenant's mail: the listener journals {@link #purgeOutcomes} ({@code PURGED}, final) for every
     * open recipient of its pending messages. The tenant stays held, so what it sends next is held too; release it
     * separately. Irreversible, so it needs {@code confirmation} equal to the tenant's name, exactly.
     *
     * @throws IllegalArgumentException if the confirmation does not match (nothing is purged).
     * @throws IllegalStateException if the tenant is not held or paused (nothing is purged).
     */
    public void purge(final String tenant, final String confirmation)
    {
        checkTenant(tenant);
        if (!tenant.equals(confirmation))
        {
            counters.counter(ContainmentCounter.PURGES_REFUSED).increment();
            throw new IllegalArgumentException("purging tenant '" + tenant + "' needs the confirmation argument equal to"
                + " the tenant's name; nothing was purged");
        }
        synchronized (controlLock)
        {
            final TenantTrack track = tracks.get(tenant);
            if (track == null || !track.state.isHolding())
            {
                counters.counter(ContainmentCounter.PURGES_REFUSED).increment();
                throw new IllegalStateException("tenant '" + tenant + "' is not held: hold it first; nothing was purged");
            }
        }
        counters.counter(ContainmentCounter.PURGES).increment();
        LOG.warn("containment: tenant {}'s held mail purged by an operator (confirmed)", tenant);
        listener.onPurge(tenant, "purged by an operator, confirmed");
    }

    private static void clear(final TenantTrack track)
    {
        track.state = TenantState.NORMAL;
        track.reason = null;
        track.sinceMillis = 0;
        track.note = "";
    }

    private UncheckedIOException failedWrite(final String what, final String tenant, final IOException ex)
    {
        counters.counter(ContainmentCounter.STATE_FILE_FAILURES).increment();
        LOG.error("containment: cannot write the state file for the {} of tenant {}: nothing changed", what, tenant, ex);
        return new UncheckedIOException("cannot write the containment state file " + stateFile + "; the " + what
            + " of tenant " + tenant + " did not happen", ex);
    }

    private static void checkTenant(final String tenant)
    {
        if (tenant == null || tenant.isEmpty() || tenant.length() > MAX_TENANT_LENGTH || !tenant.equals(tenant.trim()))
        {
            throw new IllegalArgumentException("expected a tenant name (1 to " + MAX_TENANT_LENGTH
                + " characters, no surrounding spaces): '" + tenant + "'");
        }
    }

    // -------------------------------------------------------------------------------------------------------------
    // Journal

    /**
     * The outcomes that make the journal agree with containment, one per recipient, keeping its attempts:
     * {@code HELD} for every open recipient a hold keeps ({@link #keeps}: a held tenant's own sending, all of a paused
     * tenant's mail) that is not held yet, and {@code RELEASED}
     * for every recipient containment held of a tenant now normal. Call it at start (before the drain loads the
     * spool) and from the listener after each hold and release, with {@code spool.pendingInOrder()}, and journal each.
     *
     * <p>The first call after a start without a readable state file holds again every tenant whose mail carries
     * containment's hold records ({@link HoldReason#RECOVERED}) instead of releasing it; no listener is told of these
     * holds, so pause {@link #holdingTenants()} in the drain after this call at start. That call walks
     * {@code pending} twice.
     *
     * @param pending the spool's pending messages, walked lazily: O(pending) in time, constant in heap, for start-up
     *                and rare events, not hot paths
     * @param outcomes takes each outcome as it is found (called under containment's control lock: it may wait for the
     *                 journal, which never takes that lock)
     * @return how many outcomes were handed on.
     */
    public int reconcile(final Iterable<PendingMessage> pending, final Consumer<Reconciliation> outcomes)
    {
        int found = 0;
        synchronized (controlLock)
        {
            if (!stateTrusted)
            {
                recover(pending);
                stateTrusted = true;
            }
            for (final PendingMessage message : pending)
            {
                final TenantTrack track = tracks.get(message.envelope().tenant());
                // An automatic hold keeps only the tenant's own sending: inbound mail accounted to it keeps flowing.
                final boolean holding = keeps(track, message.envelope());
                final List<RecipientStatus> statuses = message.recipients();
                for (int i = 0; i < statuses.size(); i++)
                {
                    final RecipientStatus status = statuses.get(i);
                    if (status.isFinal())
                    {
                        continue;
                    }
                    if (holding && status.disposition() != Disposition.HELD)
                    {
                        outcomes.accept(new Reconciliation(message.messageId(), i, heldStatus(status.attempts(), track.reason)));
                        found++;
                    }
                    else if (!holding && isContainmentHold(status))
                    {
                        outcomes.accept(new Reconciliation(message.messageId(), i, releasedStatus(status.attempts())));
                        found++;
                    }
                }
            }
        }
        return found;
    }

    /**
     * {@link #reconcile(Iterable, Consumer)}, collected: for a known-small set of messages (tests), never a whole spool.
     */
    public List<Reconciliation> reconcile(final Collection<PendingMessage> pending)
    {
        final List<Reconciliation> outcomes = new ArrayList<>();
        reconcile(pending, outcomes::add);
        return outcomes;
    }

    /** Guarded by {@code controlLock}. Holds again the tenants whose held mail the journal shows (state file lost). */
    private void recover(final Iterable<PendingMessage> pending)
    {
        final Set<String> recovered = new TreeSet<>();
        for (final PendingMessage message : pending)
        {
            final String tenant = message.envelope().tenant();
            final TenantTrack track = tracks.get(tenant);
            if ((track == null || !track.state.isHolding()) && !recovered.contains(tenant) && !tenant.isEmpty()
                && message.recipients().stream().anyMatch(Containment::isContainmentHold))
            {
                recovered.add(tenant);
            }
        }
        if (recovered.isEmpty())
        {
            return;
        }
        final long nowNs = nanoClock.nanoTime();
        final long nowMillis = clock.millis();
        for (final String tenant : recovered)
        {
            setHeld(track(tenant, nowNs), TenantState.HELD, HoldReason.RECOVERED, nowMillis,
                "held again at start: the state file was lost and the journal still held its mail");
            counters.counter(ContainmentCounter.HOLDS_RECOVERED).increment();
        }
        LOG.warn("containment: no readable state file; tenants {} held again from the journal's hold records", recovered);
        persistQuietly();
        updateGauges();
    }

    /** @return true if the status is a hold containment journaled ({@code HELD} with {@link #DETAIL_PREFIX}). */
    public static boolean isContainmentHold(final RecipientStatus status)
    {
        return status.disposition() == Disposition.HELD && status.detail().startsWith(DETAIL_PREFIX);
    }

    /** @return the {@code HELD} status containment journals, keeping the recipient's attempts. */
    public static RecipientStatus heldStatus(final int attempts, final HoldReason reason)
    {
        return new RecipientStatus(Disposition.HELD, attempts, 0, DETAIL_PREFIX + "held (" + reason + ")");
    }

    /** @return the {@code RELEASED} status containment journals: eligible for delivery again at once. */
    public static RecipientStatus releasedStatus(final int attempts)
    {
        return new RecipientStatus(Disposition.RELEASED, attempts, 0, DETAIL_PREFIX + "released by an operator");
    }

    /**
     * The outcomes of a confirmed purge ({@link ContainmentListener#onPurge}): {@code PURGED} for every open recipient
     * of the tenant's pending messages that its hold keeps ({@link #keeps}), one outcome per message (recipient index
     * -1). Inbound mail an automatic hold does not keep is not purged either.
     *
     * @param pending the spool's pending messages, walked lazily once
     * @param outcomes takes each outcome as it is found
     * @return how many outcomes were handed on.
     */
    public int purgeOutcomes(final Iterable<PendingMessage> pending, final String tenant,
        final Consumer<Reconciliation> outcomes)
    {
        final TenantTrack track = tracks.get(tenant);
        final RecipientStatus purged = new RecipientStatus(Disposition.PURGED, 0, 0,
            DETAIL_PREFIX + "purged by an operator, confirmed");
        int found = 0;
        for (final PendingMessage message : pending)
        {
            if (message.envelope().tenant().equals(tenant) && !message.isFinished() && keeps(track, message.envelope()))
            {
                outcomes.accept(new Reconciliation(message.messageId(), -1, purged));
                found++;
            }
        }
        return found;
    }

    /**
     * {@link #purgeOutcomes(Iterable, String, Consumer)}, collected: for a known-small set of messages (tests), never a
     * whole spool.
     */
    public List<Reconciliation> purgeOutcomes(final Collection<PendingMessage> pending, final String tenant)
    {
        final List<Reconciliation> outcomes = new ArrayList<>();
        purgeOutcomes(pending, tenant, outcomes::add);
        return outcomes;
    }

    /**
     * @param pending the spool's pending messages, walked lazily and left as soon as {@code max} are found
     * @return up to {@code max} of the tenant's pending messages, oldest first, for an operator to inspect: while it is
     *         held, those its hold keeps ({@link #keeps}).
     */
    public List<PendingMessage> samples(final Iterable<PendingMessage> pending, final String tenant, final int max)
    {
        final TenantTrack track = tracks.get(tenant);
        final List<PendingMessage> samples = new ArrayList<>(Math.min(Math.max(max, 0), 64));
        if (max <= 0)
        {
            return samples;
        }
        for (final PendingMessage message : pending)
        {
            if (message.envelope().tenant().equals(tenant) && (!isHolding(tenant) || keeps(track, message.envelope())))
            {
                samples.add(message);
                if (samples.size() >= max)
                {
                    break;
                }
            }
        }
        return samples;
    }

    // -------------------------------------------------------------------------------------------------------------
    // Queries

    /** @return the tenant's state; {@link TenantState#NORMAL} for a tenant containment has not seen. */
    public TenantState state(final String tenant)
    {
        final TenantTrack track = tenant == null ? null : tracks.get(tenant);
        return track == null ? TenantState.NORMAL : track.state;
    }

    /** @return true if the tenant's mail must stay unsent (held or paused). Cheap: one map lookup. */
    public boolean isHolding(final String tenant)
    {
        return state(tenant).isHolding();
    }

    /** @return the tenants held or paused now, sorted. */
    public Set<String> holdingTenants()
    {
        final Set<String> holding = new TreeSet<>();
        for (final TenantTrack track : tracks.values())
        {
            if (track.state.isHolding())
            {
                holding.add(track.tenant);
            }
        }
        return holding;
    }

    /** @return the tenant as an operator sees it: state, reason, and its figures over the window now. */
    public TenantView view(final String tenant)
    {
        final TenantTrack track = tenant == null ? null : tracks.get(tenant);
        if (track == null)
        {
            return new TenantView(tenant, TenantState.NORMAL, null, 0, "", new ContainmentFigures(context.windowMs(), 0, 0,
                context.normalRateFloorPerMinute(), 0, 0, 0, context.surgeWarmupMs() == 0));
        }
        return view(track, nanoClock.nanoTime());
    }

    private TenantView view(final TenantTrack track, final long nowNs)
    {
        final ContainmentFigures figures = track.figures(nowNs, context.windowMs());
        return new TenantView(track.tenant, track.state, track.reason, track.sinceMillis, track.note, figures);
    }

    /** @return every tenant containment tracks: held and paused first, then by volume over the window. */
    public List<TenantView> tenants()
    {
        final long nowNs = nanoClock.nanoTime();
        final List<TenantView> views = new ArrayList<>(tracks.size());
        for (final TenantTrack track : tracks.values())
        {
            views.add(view(track, nowNs));
        }
        views.sort(Comparator.comparing((TenantView view) -> !view.state().isHolding())
            .thenComparing(view -> -view.figures().messages())
            .thenComparing(TenantView::tenant));
        return views;
    }

    public EnumCounters<ContainmentCounter> counters()
    {
        return counters;
    }

    public ContainmentContext context()
    {
        return context;
    }

    // -------------------------------------------------------------------------------------------------------------
    // Persistence

    /**
     * Writes the state file now (learned rates move all the time; holds are written when they happen). Call it from
     * a maintenance thread every minute or so.
     *
     * @return true if written; false if there is no state file or it could not be written (logged and counted).
     */
    public boolean snapshot()
    {
        synchronized (controlLock)
        {
            return persistQuietly();
        }
    }

    /** Guarded by {@code controlLock}. */
    private boolean persistQuietly()
    {
        try
        {
            return persist();
        }
        catch (final IOException ex)
        {
            counters.counter(ContainmentCounter.STATE_FILE_FAILURES).increment();
            LOG.error("containment: cannot write the state file {}", stateFile, ex);
            return false;
        }
    }

    /** Guarded by {@code controlLock}. */
    private boolean persist() throws IOException
    {
        if (stateFile == null)
        {
            return false;
        }
        ContainmentStateFile.save(stateFile, tracks.values(), clock.millis());
        counters.counter(ContainmentCounter.STATE_FILES_WRITTEN).increment();
        return true;
    }

    private void updateGauges()
    {
        int holding = 0;
        for (final TenantTrack track : tracks.values())
        {
            holding += track.state.isHolding() ? 1 : 0;
        }
        counters.counter(ContainmentCounter.TENANTS_HOLDING).setOrdered(holding);
        counters.counter(ContainmentCounter.TENANTS_TRACKED).setOrdered(tracks.size());
    }

    /** Writes the state file a last time. Idempotent. */
    @Override
    public void close()
    {
        synchronized (controlLock)
        {
            if (closed)
            {
                return;
            }
            closed = true;
            persistQuietly();
        }
    }
}
