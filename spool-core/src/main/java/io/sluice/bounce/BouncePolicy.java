package io.sluice.bounce;

import io.sluice.counters.EnumCounters;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.sluice.config.InvalidSettingException;
import io.sluice.net.MailAddress;
import io.sluice.net.SourceNetworks;
import io.sluice.spool.Envelope;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;
import org.agrona.concurrent.NanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides, for each recipient that failed permanently (a {@code 5xx}, or a queue lifetime run out), whether its
 * sender gets a delivery status notification. The default answer for anything that smells of a backscatter flood is no:
 *
 * <ol>
 *   <li>{@link SuppressionReason#BOUNCE_OF_BOUNCE}: the message is a bounce (in {@link BounceContext#LANE}).</li>
 *   <li>{@link SuppressionReason#NULL_SENDER}: RFC 5321 section 4.5.5, never a notification to {@code <>}.</li>
 *   <li>{@link SuppressionReason#INVALID_SENDER}: the sender is not a mailbox.</li>
 *   <li>{@link SuppressionReason#SPOOF_PATTERN}: from outside the trusted networks, with a sender equal to one of
 *       its recipients or in a protected domain, or in a suspect lane (admission recognised the pattern).</li>
 *   <li>{@link SuppressionReason#POLICY_FAILURE}: a {@code 5.7.x} rejection, unless configured to bounce.</li>
 *   <li>{@link SuppressionReason#SUPPRESSION_LIST}: the sender recently hard-bounced.</li>
 *   <li>{@link SuppressionReason#DUPLICATE}: the same bounce was sent within the dedup window.</li>
 *   <li>{@link SuppressionReason#BUDGET_EXCEEDED}: bounces over the budget window reached their share of the mail
 *       accepted over it ({@link #onAccepted()}). Not dropped: the DSN is deferred ({@link BounceDecision.Action#DEFER})
 *       and released as the window allows ({@link #tryReleaseDeferred()}) or by an operator.</li>
 *   <li>{@link SuppressionReason#RATE_LIMITED_RECIPIENT}, {@link SuppressionReason#RATE_LIMITED_DOMAIN}: the
 *       bounce recipient's or its domain's token bucket is empty.</li>
 * </ol>
 *
 * <p>Only a bounce that passes all of them takes a token from each bucket and a share of the budget. A decision
 * also learns: a permanent failure of a bounce, or a reply saying an address does not exist ({@code 5.1.x}), puts
 * that address on the suppression list, so the next forged message "from" it gets no bounce either.
 *
 * <p>Every suppression is counted by reason ({@link BounceCounter}) and kept in a bounded list of recent ones
 * ({@link #recentSuppressions()}); the caller journals it through {@link BounceDecision#journalStatus()}.
 *
 * <p>With a {@link BounceContext#STATE_FILE}, the suppression list, the dedup table and the budget window survive a
 * restart ({@link BounceStateFile}): read when the policy is made, written by {@link #snapshot()} (call it every few
 * seconds; it writes only what changed), by {@link #close()}, and before an operator's change returns.
 *
 * <p>Thread-safe: delivery threads decide, the journal writer reports accepted mail, the console lists and edits
 * the suppression list. State is guarded by one lock held for the microseconds of a decision, never across I/O;
 * decisions happen only on permanent failures, so the lock is never hot. Time comes from the context's clocks.
 */
public final class BouncePolicy implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(BouncePolicy.class);

    private final BounceContext context;
    private final Clock clock;
    private final NanoClock nanoClock;
    private final Set<String> protectedDomains;
    private final SourceNetworks trustedNetworks;
    private final Set<String> trustedLanes;
    private final Set<String> suspectLanes;
    private final String bounceLane;
    private final long budgetWindowNs;
    private final EnumCounters<BounceCounter> counters = new EnumCounters<>(BounceCounter.class, "bounce");
    private final Object lock = new Object();
    private final SuppressionList suppressionList;
    private final SuppressionRing recent;
    private final KeyedBuckets recipientBuckets;
    private final KeyedBuckets domainBuckets;
    private final DedupTable dedup;
    private final BudgetWindow budget;
    /** Whether a fleet shares the budget; {@link BudgetShare#ALONE} decides on {@link #budget} alone, as ever. */
    private final BudgetShare share;
    private final Path stateFile;
    /** Serialises state file writes; taken before {@code lock}, never inside it. */
    private final Object fileLock = new Object();
    private boolean alerted;
    private long lastAlertNs;
    /** Guarded by {@code lock}: whether anything the state file keeps changed since it was last written. */
    private boolean dirty;
    /** Guarded by {@code lock}: the last charge was deferred only while the fleet's share is on its way (no alert). */
    private boolean waitedForShare;

    /**
     * @param context settings; concluded (validated) here.
     * @throws InvalidSettingException naming the first bad setting.
     */
    public BouncePolicy(final BounceContext context)
    {
        this(context, BudgetShare.ALONE);
    }

    /**
     * @param context settings; concluded (validated) here.
     * @param share   the fleet's budget this node shares, or {@link BudgetShare#ALONE}.
     * @throws InvalidSettingException naming the first bad setting.
     */
    public BouncePolicy(final BounceContext context, final BudgetShare share)
    {
        this.context = context.conclude();
        this.share = Objects.requireNonNull(share, "share");
        clock = context.clock();
        nanoClock = context.nanoClock();
        protectedDomains = context.protectedDomainSet();
        trustedNetworks = SourceNetworks.of(context.trustedNetworkList());
        trustedLanes = context.trustedLaneSet();
        suspectLanes = context.suspectLaneSet();
        bounceLane = context.lane();
        budgetWindowNs = TimeUnit.MILLISECONDS.toNanos(context.budgetWindowMs());
        suppressionList = new SuppressionList(context.suppressionMaxEntries());
        recent = new SuppressionRing(context.recentSuppressions());
        recipientBuckets = new KeyedBuckets(context.recipientRatePerHour(), context.recipientBurst(), context.maxTrackedKeys());
        domainBuckets = new KeyedBuckets(context.domainRatePerHour(), context.domainBurst(), context.maxTrackedKeys());
        dedup = new DedupTable(context.dedupWindowMs(), context.maxTrackedKeys());
        budget = new BudgetWindow(context.budgetWindowMs());
        stateFile = context.stateFile();
        restore();
    }

    /** Reads the state file, if there is one: see {@link BounceStateFile#restore}. */
    private void restore()
    {
        synchronized (lock)
        {
            if (BounceStateFile.restore(stateFile, suppressionList, dedup, budget, clock.millis(), nanoClock.nanoTime(),
                counters))
            {
                counters.counter(BounceCounter.SUPPRESSION_LIST_SIZE).setOrdered(suppressionList.size());
                LOG.info("bounce policy: restored {} suppressed addresses, {} recent bounces and the budget ({}) from {}",
                    suppressionList.size(), dedup.size(), budget(), stateFile);
            }
        }
    }

    /**
     * Writes the state file if anything it keeps changed since the last write. Call it from a maintenance thread every
     * few seconds: a crash loses at most that much.
     *
     * @return true if written; false if unchanged, there is no state file, or it could not be written (logged, counted).
     */
    public boolean snapshot()
    {
        synchronized (fileLock)
        {
            final BounceStateFile.Saved saved;
            synchronized (lock)
            {
                if (!dirty || stateFile == null)
                {
                    return false;
                }
                saved = capture();
                dirty = false;
            }
            try
            {
                write(saved);
                return true;
            }
            catch (final IOException ex)
            {
                synchronized (lock)
                {
                    dirty = true;
                }
                LOG.error("bounce policy: cannot write the state file {}", stateFile, ex);
                return false;
            }
        }
    }

    /** Guarded by {@code lock}. */
    private BounceStateFile.Saved capture()
    {
        return BounceStateFile.capture(suppressionList, dedup, budget, clock.millis(), nanoClock.nanoTime());
    }

    private void write(final BounceStateFile.Saved saved) throws IOException
    {
        BounceStateFile.save(stateFile, saved, counters);
    }

    /** Writes the state file a last time, if anything changed. */
    @Override
    public void close()
    {
        snapshot();
    }

    /**
     * Decides with the message's trust read from its envelope: see {@link #isFromTrustedNetwork(Envelope)}.
     *
     * @see #decide(PendingMessage, int, RecipientStatus, boolean)
     */
    public BounceDecision decide(final PendingMessage message, final int recipientIndex, final RecipientStatus failure)
    {
        return decide(message, recipientIndex, failure, isFromTrustedNetwork(message.envelope()));
    }

    /**
     * Decides whether the failure of one recipient is bounced. Call it before journaling the recipient's final
     * status, and journal {@link BounceDecision#journalStatus()}: {@code FAILED} when a DSN is to be sent,
     * {@code SUPPRESSED} with the reason otherwise. A DSN the decision allows has taken its tokens and its share of
     * the budget: build and append it ({@link DsnBuilder}).
     *
     * @param message            the message as it was dispatched (the snapshot the drain handed out).
     * @param recipientIndex     the recipient that failed.
     * @param failure            its {@code FAILED} status, as the drain's classifier made it.
     * @param fromTrustedNetwork whether the message came from the trusted networks (its senders are not forged).
     * @return the decision; never null.
     * @throws IllegalArgumentException if the recipient index is out of range or the status is not {@code FAILED}.
     */
    public BounceDecision decide(
        final PendingMessage message, final int recipientIndex, final RecipientStatus failure, final boolean fromTrustedNetwork)
    {
        return decide(message, recipientIndex, failure, fromTrustedNetwork, false);
    }

    /**
     * As {@link #decide(PendingMessage, int, RecipientStatus, boolean)}, telling whether the message's source has earned
     * a clean record (admission's reputation: clean deliveries, almost no bad outcomes). Such a sender is not forged, so
     * its DSN is never deferred over the budget, which exists to stop backscatter to forged senders. It still counts in
     * the window and passes every other check (dedup, per-recipient and per-domain rates).
     *
     * @param vouched whether the source's record vouches for the sender.
     */
    public BounceDecision decide(final PendingMessage message, final int recipientIndex, final RecipientStatus failure,
        final boolean fromTrustedNetwork, final boolean vouched)
    {
        final DeliveryFailure parsed = DeliveryFailure.of(message, recipientIndex, failure);
        final Envelope envelope = message.envelope();
        final long nowMillis = clock.millis();
        final long nowNs = nanoClock.nanoTime();
        final SuppressionReason reason;
        boolean alert = false;
        synchronized (lock)
        {
            learn(envelope, parsed, nowMillis);
            final SuppressionReason verdict = verdict(envelope, parsed, fromTrustedNetwork, nowMillis);
            waitedForShare = false;
            reason = verdict != null ? verdict : charge(envelope, parsed, nowNs, vouched);
            if (reason == SuppressionReason.BUDGET_EXCEEDED && !waitedForShare
                && (!alerted || nowNs - lastAlertNs >= budgetWindowNs))
            {
                alerted = true;
                lastAlertNs = nowNs;
                alert = true;
            }
            if (reason != null && reason != SuppressionReason.BUDGET_EXCEEDED)
            {
                recent.add(new Suppression(nowMillis, message.queueId(), envelope.sender(), parsed.recipient(), reason,
                    parsed.status()));
            }
        }
        counters.counter(BounceCounter.DECISIONS).increment();
        if (reason == null)
        {
            counters.counter(BounceCounter.BOUNCES_ALLOWED).increment();
        }
        else if (reason == SuppressionReason.BUDGET_EXCEEDED)
        {
            counters.counter(reason.counter()).increment();
        }
        else
        {
            counters.counter(BounceCounter.SUPPRESSED).increment();
            counters.counter(reason.counter()).increment();
        }
        if (alert)
        {
            counters.counter(BounceCounter.BUDGET_ALERTS).increment();
            LOG.warn("ALERT bounce budget spent: {}; further bounces are deferred in the spool (counted) and sent as the "
                + "window moves on, or released by an operator (JMX Bounces.releaseDeferred)", budget());
        }
        return new BounceDecision(message, parsed, failure, reason, alert);
    }

    /** Guarded by {@code lock}. Puts addresses the failure proves undeliverable on the suppression list. */
    private void learn(final Envelope envelope, final DeliveryFailure failure, final long nowMillis)
    {
        final boolean bounceFailed = envelope.lane().equals(bounceLane) && !failure.expired();
        if (bounceFailed || failure.isRecipientAddressBad())
        {
            listAddress(failure.recipient(), nowMillis);
        }
        if (failure.isSenderAddressBad() && !envelope.hasNullSender())
        {
            listAddress(envelope.sender(), nowMillis);
        }
    }

    private void listAddress(final String address, final long nowMillis)
    {
        final long expiryMs = context.suppressionExpiryMs();
        if (expiryMs == 0 || !Addresses.isMailbox(address.trim()))
        {
            return;
        }
        if (suppressionList.add(Addresses.normalize(address), nowMillis + expiryMs, nowMillis))
        {
            counters.counter(BounceCounter.ADDRESSES_SUPPRESSED).increment();
        }
        dirty = true;
        counters.counter(BounceCounter.SUPPRESSION_LIST_SIZE).setOrdered(suppressionList.size());
    }

    /** Guarded by {@code lock}. @return the reason that holds whatever the load, or null. */
    private SuppressionReason verdict(
        final Envelope envelope, final DeliveryFailure failure, final boolean trusted, final long nowMillis)
    {
        if (envelope.lane().equals(bounceLane))
        {
            return SuppressionReason.BOUNCE_OF_BOUNCE;
        }
        if (envelope.hasNullSender())
        {
            return SuppressionReason.NULL_SENDER;
        }
        final String sender = envelope.sender().trim();
        if (!Addresses.isMailbox(sender))
        {
            return SuppressionReason.INVALID_SENDER;
        }
        if (!trusted && isSpoofPattern(envelope, sender))
        {
            return SuppressionReason.SPOOF_PATTERN;
        }
        if (failure.isPolicyFailure() && !context.policyFailuresBounce())
        {
            return SuppressionReason.POLICY_FAILURE;
        }
        if (suppressionList.contains(Addresses.normalize(sender), nowMillis))
        {
            return SuppressionReason.SUPPRESSION_LIST;
        }
        return null;
    }

    /** The spoofing pattern of a backscatter flood, as admission's spoof policy sees it, plus admission's own verdict. */
    private boolean isSpoofPattern(final Envelope envelope, final String sender)
    {
        if (suspectLanes.contains(envelope.lane()))
        {
            return true;
        }
        for (final String recipient : envelope.recipients())
        {
            if (sender.equalsIgnoreCase(recipient.trim()))
            {
                return true;
            }
        }
        return isProtected(MailAddress.domainOf(sender));
    }

    private boolean isProtected(final String domain)
    {
        if (protectedDomains.isEmpty() || domain.isEmpty())
        {
            return false;
        }
        String candidate = domain;
        while (true)
        {
            if (protectedDomains.contains(candidate))
            {
                return true;
            }
            final int dot = candidate.indexOf('.');
            if (dot < 0)
            {
                return false;
            }
            candidate = candidate.substring(dot + 1);
        }
    }

    /**
     * Guarded by {@code lock}. Applies the limits, and if all pass, takes a token from each bucket and a share of the
     * budget and remembers the bounce for dedup.
     *
     * @return the limit that refused, or null if the bounce may be sent.
     */
    private SuppressionReason charge(final Envelope envelope, final DeliveryFailure failure, final long nowNs,
        final boolean vouched)
    {
        final String recipient = Addresses.normalize(envelope.sender());
        final String dedupKey = recipient + '\n' + Addresses.normalize(failure.recipient()) + '\n' + failure.status();
        if (dedup.contains(dedupKey, nowNs))
        {
            return SuppressionReason.DUPLICATE;
        }
        final BudgetShare.Answer answer = vouched ? BudgetShare.Answer.OWN_WINDOW : share.tryCharge();
        if (!vouched && !fits(answer, nowNs))
        {
            // Deferred, so remembered like a sent one: the same failure again is a duplicate, not a second DSN.
            dedup.remember(dedupKey, nowNs);
            dirty = true;
            waitedForShare = answer == BudgetShare.Answer.WAIT;
            return SuppressionReason.BUDGET_EXCEEDED;
        }
        if (!recipientBuckets.tryConsume(recipient, nowNs))
        {
            refund(answer);
            return SuppressionReason.RATE_LIMITED_RECIPIENT;
        }
        if (!domainBuckets.tryConsume(MailAddress.domainOf(recipient), nowNs))
        {
            recipientBuckets.refund(recipient, nowNs);
            refund(answer);
            return SuppressionReason.RATE_LIMITED_DOMAIN;
        }
        sent(answer, nowNs);
        dedup.remember(dedupKey, nowNs);
        dirty = true;
        return null;
    }

    /**
     * Releases one deferred bounce if the budget window has room for it now, and charges it to the window, as a bounce
     * sent then. Call it for each deferred DSN, oldest first, until it says no.
     *
     * @return true if one more bounce fits the window now (charged); false if the budget is still spent.
     */
    public boolean tryReleaseDeferred()
    {
        final long nowNs = nanoClock.nanoTime();
        synchronized (lock)
        {
            final BudgetShare.Answer answer = share.tryCharge();
            if (!fits(answer, nowNs))
            {
                return false;
            }
            sent(answer, nowNs);
            dirty = true;
        }
        counters.counter(BounceCounter.DEFERRED_RELEASED).increment();
        return true;
    }

    /**
     * Charges a deferred bounce an operator released, whatever the budget says: it is sent, so it counts.
     */
    public void releasedByOperator()
    {
        final long nowNs = nanoClock.nanoTime();
        synchronized (lock)
        {
            sent(BudgetShare.Answer.OWN_WINDOW, nowNs);
            dirty = true;
        }
        counters.counter(BounceCounter.DEFERRED_RELEASED_BY_OPERATOR).increment();
    }

    /** Sets the gauge of deferred DSNs waiting in the spool ({@link BounceCounter#DEFERRED_WAITING}); the spool keeps them. */
    public void deferredWaiting(final int waiting)
    {
        counters.counter(BounceCounter.DEFERRED_WAITING).setOrdered(waiting);
    }

    /** Counts one thing the daemon's quarantine or deferred DSNs did with mail they hold: one of their counters. */
    public void count(final BounceCounter counter)
    {
        counters.counter(counter).increment();
    }

    /** Sets the gauge of quarantined messages held in the spool. */
    public void quarantineWaiting(final int waiting)
    {
        counters.counter(BounceCounter.QUARANTINE_WAITING).setOrdered(waiting);
    }

    /**
     * @param divisor the nodes sharing the budget when this node decides alone for the fleet (its share of the fleet's
     *                minimum; its own accepted mail already is its share of the fleet's); 1 for the single appliance.
     */
    private long allowed(final long accepted, final int divisor)
    {
        return Math.max(context.budgetMinimum() / divisor, (long)Math.floor(context.budgetFraction() * accepted));
    }

    /** Guarded by {@code lock}. @return whether one more bounce fits: the fleet's answer, or the own window's. */
    private boolean fits(final BudgetShare.Answer answer, final long nowNs)
    {
        if (answer == BudgetShare.Answer.OWN_WINDOW)
        {
            return budget.sentInWindow(nowNs) < allowed(budget.acceptedInWindow(nowNs), Math.max(1, share.divisor()));
        }
        return answer == BudgetShare.Answer.FITS;
    }

    /** Guarded by {@code lock}: a bounce is sent; the fleet counts it too unless its answer already did. */
    private void sent(final BudgetShare.Answer answer, final long nowNs)
    {
        budget.sent(nowNs);
        if (answer != BudgetShare.Answer.FITS)
        {
            share.charged();
        }
    }

    private void refund(final BudgetShare.Answer answer)
    {
        if (answer == BudgetShare.Answer.FITS)
        {
            share.refund();
        }
    }

    /**
     * @return true if the message is in a trusted lane ({@link BounceContext#TRUSTED_LANES}), its client authenticated
     *         (SMTP AUTH: its sender is a known user, not a forged address) or its source key is an address literal in
     *         {@link BounceContext#TRUSTED_NETWORKS}. Never looks a name up.
     */
    public boolean isFromTrustedNetwork(final Envelope envelope)
    {
        if (envelope.authenticated() || trustedLanes.contains(envelope.lane()))
        {
            return true;
        }
        return trustedNetworks.contains(envelope.sourceKey());
    }

    /**
     * Counts one durably accepted message towards the budget. Call it for every message the spool accepts (e.g. from
     * {@code SpoolListener.onAccepted}, a single thread); it takes the lock for a few nanoseconds.
     */
    public void onAccepted()
    {
        onAccepted(1);
    }

    /**
     * Counts a durably accepted message towards the budget unless the appliance wrote it itself (a DSN, a notice:
     * {@link GeneratedMail#SOURCE_KEY}), so bounces never raise their own budget. Pass every envelope the spool
     * accepts, e.g. from {@code SpoolListener.onAccepted}.
     */
    public void onAccepted(final Envelope envelope)
    {
        if (!GeneratedMail.SOURCE_KEY.equals(envelope.sourceKey()))
        {
            onAccepted(1);
        }
    }

    /** Counts {@code messages} durably accepted messages towards the budget. */
    public void onAccepted(final long messages)
    {
        if (messages < 0)
        {
            throw new IllegalArgumentException("messages must be >= 0: " + messages);
        }
        final long nowNs = nanoClock.nanoTime();
        synchronized (lock)
        {
            budget.accepted(nowNs, messages);
            dirty = true;
        }
        share.accepted(messages);
        counters.counter(BounceCounter.MESSAGES_ACCEPTED).getAndAdd(messages);
    }

    /** @return the budget over the current window: the fleet's while it decides, else this node's own (its share). */
    public BudgetStatus budget()
    {
        final long nowNs = nanoClock.nanoTime();
        final BudgetStatus fleet = share.status(context.budgetWindowMs());
        if (fleet != null)
        {
            return fleet;
        }
        synchronized (lock)
        {
            final long accepted = budget.acceptedInWindow(nowNs);
            return new BudgetStatus(context.budgetWindowMs(), accepted, budget.sentInWindow(nowNs),
                allowed(accepted, Math.max(1, share.divisor())));
        }
    }

    /**
     * Puts an address on the suppression list by hand (an operator's console).
     *
     * @param durationMs how long, from now; at least 1.
     * @throws IllegalArgumentException if the address is not a mailbox or the duration is not positive.
     * @throws UncheckedIOException if the state file cannot be written: then nothing changed.
     */
    public void suppress(final String address, final long durationMs)
    {
        Objects.requireNonNull(address, "address");
        if (!Addresses.isMailbox(address.trim()))
        {
            throw new IllegalArgumentException("expected a mailbox such as user@example.com: '" + address + "'");
        }
        if (durationMs <= 0)
        {
            throw new IllegalArgumentException("expected a positive duration in ms: " + durationMs);
        }
        final String normalized = Addresses.normalize(address);
        final long nowMillis = clock.millis();
        synchronized (fileLock)
        {
            final Long before;
            final BounceStateFile.Saved saved;
            synchronized (lock)
            {
                before = suppressionList.expiryOf(normalized);
                if (suppressionList.add(normalized, nowMillis + durationMs, nowMillis))
                {
                    counters.counter(BounceCounter.ADDRESSES_SUPPRESSED).increment();
                }
                counters.counter(BounceCounter.SUPPRESSION_LIST_SIZE).setOrdered(suppressionList.size());
                saved = stateFile == null ? null : capture();
                dirty &= saved == null;
            }
            persistOrUndo(saved, "listing " + address, () ->
            {
                suppressionList.remove(normalized);
                if (before != null)
                {
                    suppressionList.put(normalized, before);
                }
            });
        }
        LOG.info("bounce suppression list: {} added by operator for {} ms", address, durationMs);
    }

    /**
     * @return true if the address was on the suppression list and is now off it.
     * @throws UncheckedIOException if the state file cannot be written: then nothing changed.
     */
    public boolean unsuppress(final String address)
    {
        Objects.requireNonNull(address, "address");
        final String normalized = Addresses.normalize(address);
        final boolean removed;
        synchronized (fileLock)
        {
            final Long before;
            final BounceStateFile.Saved saved;
            synchronized (lock)
            {
                before = suppressionList.expiryOf(normalized);
                removed = suppressionList.remove(normalized);
                counters.counter(BounceCounter.SUPPRESSION_LIST_SIZE).setOrdered(suppressionList.size());
                saved = stateFile == null || !removed ? null : capture();
                dirty &= saved == null;
            }
            persistOrUndo(saved, "removing " + address, () -> suppressionList.put(normalized, before));
        }
        if (removed)
        {
            LOG.info("bounce suppression list: {} removed by operator", address);
        }
        return removed;
    }

    /**
     * Caller holds {@code fileLock}. Writes an operator's change before it returns; if it cannot be written, undoes it
     * and says so: an operator is never told of a change a restart would lose.
     *
     * @param saved the state with the change; null when there is no state file (nothing to write).
     */
    private void persistOrUndo(final BounceStateFile.Saved saved, final String what, final Runnable undo)
    {
        if (saved == null)
        {
            return;
        }
        try
        {
            write(saved);
        }
        catch (final IOException ex)
        {
            synchronized (lock)
            {
                undo.run();
                dirty = true;
                counters.counter(BounceCounter.SUPPRESSION_LIST_SIZE).setOrdered(suppressionList.size());
            }
            LOG.error("bounce policy: cannot write the state file {} for {}: nothing changed", stateFile, what, ex);
            throw new UncheckedIOException("cannot write the bounce state file " + stateFile + "; " + what
                + " did not happen", ex);
        }
    }

    public boolean isSuppressed(final String address)
    {
        final long nowMillis = clock.millis();
        synchronized (lock)
        {
            return suppressionList.contains(Addresses.normalize(address), nowMillis);
        }
    }

    /** @return the suppression list, oldest entry first; O(entries), for consoles. */
    public List<SuppressedAddress> suppressionList()
    {
        final long nowMillis = clock.millis();
        synchronized (lock)
        {
            final List<SuppressedAddress> listed = suppressionList.list(nowMillis);
            counters.counter(BounceCounter.SUPPRESSION_LIST_SIZE).setOrdered(suppressionList.size());
            return listed;
        }
    }

    /** @return the recent suppressions, newest first, up to {@link BounceContext#RECENT_SUPPRESSIONS}. */
    public List<Suppression> recentSuppressions()
    {
        return recentSuppressions(Integer.MAX_VALUE);
    }

    /** @return up to {@code max} recent suppressions, newest first. */
    public List<Suppression> recentSuppressions(final int max)
    {
        synchronized (lock)
        {
            return recent.newest(max);
        }
    }

    public EnumCounters<BounceCounter> counters()
    {
        return counters;
    }

    public BounceContext context()
    {
        return context;
    }
}
