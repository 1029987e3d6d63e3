package io.sluice.control;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.IntSupplier;
import java.util.function.IntUnaryOperator;
import java.util.function.LongSupplier;

import io.sluice.bounce.BounceCounter;
import io.sluice.bounce.BouncePolicy;
import io.sluice.bounce.BudgetStatus;
import io.sluice.bounce.SuppressedAddress;
import io.sluice.bounce.Suppression;
import io.sluice.bounce.SuppressionReason;
import io.sluice.ingress.EnvelopeRules;

/**
 * {@link BouncesControlMXBean} over the bounce policy's own API and the ingress's {@link EnvelopeRules}; suppression-list
 * edits are audited, blocked-sender edits are saved as {@value EnvelopeRules#BLOCKED_SENDERS} in the operator state.
 */
public final class BouncesControl implements BouncesControlMXBean
{
    private static final int RECENT_LINES = 200;

    private final BouncePolicy policy;
    private final LongSupplier spooled;
    private final LongSupplier refused;
    private final EnvelopeRules rules;
    private final ControlState state;
    private final IntSupplier deferredWaiting;
    private final IntUnaryOperator releaseDeferred;

    /**
     * @param spooled         DSNs the spool took.
     * @param refused         DSNs allowed but not spooled.
     * @param rules           the senders the SMTP listener refuses by name.
     * @param state           where a change of the blocked senders is saved.
     * @param deferredWaiting DSNs deferred over the budget, waiting in the spool.
     * @param releaseDeferred releases up to so many of them, oldest first, whatever the budget; returns how many.
     */
    public BouncesControl(final BouncePolicy policy, final LongSupplier spooled, final LongSupplier refused,
        final EnvelopeRules rules, final ControlState state, final IntSupplier deferredWaiting,
        final IntUnaryOperator releaseDeferred)
    {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.spooled = spooled;
        this.refused = refused;
        this.rules = Objects.requireNonNull(rules, "rules");
        this.state = Objects.requireNonNull(state, "state");
        this.deferredWaiting = Objects.requireNonNull(deferredWaiting, "deferredWaiting");
        this.releaseDeferred = Objects.requireNonNull(releaseDeferred, "releaseDeferred");
    }

    @Override
    public long getDecisions()
    {
        return policy.counters().get(BounceCounter.DECISIONS);
    }

    @Override
    public long getGenerated()
    {
        return policy.counters().get(BounceCounter.BOUNCES_ALLOWED);
    }

    @Override
    public long getDsnsSpooled()
    {
        return spooled.getAsLong();
    }

    @Override
    public long getDsnsRefused()
    {
        return refused.getAsLong();
    }

    @Override
    public long getSuppressed()
    {
        return policy.counters().get(BounceCounter.SUPPRESSED);
    }

    @Override
    public String[] getSuppressedByReason()
    {
        final List<String> lines = new ArrayList<>();
        for (final SuppressionReason reason : SuppressionReason.values())
        {
            if (reason != SuppressionReason.BUDGET_EXCEEDED)
            {
                lines.add(reason.name() + " " + policy.counters().get(reason.counter()));
            }
        }
        return lines.toArray(new String[0]);
    }

    @Override
    public long getDeferred()
    {
        return policy.counters().get(BounceCounter.DEFERRED_OVER_BUDGET);
    }

    @Override
    public int getDeferredWaiting()
    {
        return deferredWaiting.getAsInt();
    }

    @Override
    public int releaseDeferred(final int max)
    {
        final int before = deferredWaiting.getAsInt();
        final int released = releaseDeferred.applyAsInt(max);
        ControlState.audit("deferred DSNs waiting (" + released + " released)", before, deferredWaiting.getAsInt());
        return released;
    }

    @Override
    public String getBudget()
    {
        final BudgetStatus budget = policy.budget();
        return "window " + budget.windowMs() + " ms: accepted " + budget.acceptedInWindow() + ", bounces "
            + budget.bouncesInWindow() + " of " + budget.allowed() + " allowed" + (budget.isSpent() ? " (spent)" : "");
    }

    @Override
    public String[] getRecentSuppressions()
    {
        final List<String> lines = new ArrayList<>();
        for (final Suppression s : policy.recentSuppressions(RECENT_LINES))
        {
            lines.add(Instant.ofEpochMilli(s.atMillis()) + " " + s.queueId() + " <" + s.sender() + "> rcpt <" + s.recipient()
                + "> " + s.reason() + " " + s.status());
        }
        return lines.toArray(new String[0]);
    }

    @Override
    public String[] getSuppressionList()
    {
        final List<String> lines = new ArrayList<>();
        for (final SuppressedAddress address : policy.suppressionList())
        {
            lines.add(address.address() + " until " + Instant.ofEpochMilli(address.expiresAtMillis()));
        }
        return lines.toArray(new String[0]);
    }

    @Override
    public void suppress(final String address, final long durationMs)
    {
        policy.suppress(address, durationMs);
        ControlState.audit("bounce suppression " + address, "none", durationMs + " ms");
    }

    @Override
    public boolean unsuppress(final String address)
    {
        final boolean removed = policy.unsuppress(address);
        if (removed)
        {
            ControlState.audit("bounce suppression " + address, "listed", "removed");
        }
        return removed;
    }

    @Override
    public String[] getBlockedSenders()
    {
        final String list = rules.blockedSenders();
        return list.isEmpty() ? new String[0] : list.split(",");
    }

    @Override
    public void blockSender(final String entry)
    {
        synchronized (rules)
        {
            final String before = rules.blockedSenders();
            final String after = rules.listWith(entry);
            // Saved first: a change that cannot be saved is refused, never in force only until the next restart.
            state.changed(EnvelopeRules.BLOCKED_SENDERS, before, after);
            rules.blockedSenders(after);
        }
    }

    @Override
    public boolean unblockSender(final String entry)
    {
        synchronized (rules)
        {
            final String before = rules.blockedSenders();
            final String after = rules.listWithout(entry);
            if (after == null)
            {
                return false;
            }
            state.changed(EnvelopeRules.BLOCKED_SENDERS, before, after);
            rules.blockedSenders(after);
            return true;
        }
    }
}
