package io.sluice.daemon;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

import io.sluice.bounce.GeneratedMail;
import io.sluice.containment.Containment;
import io.sluice.containment.ContainmentFigures;
import io.sluice.containment.ContainmentListener;
import io.sluice.containment.HoldNotice;
import io.sluice.containment.HoldReason;
import io.sluice.containment.Reconciliation;
import io.sluice.spool.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a containment change does to the rest of the daemon: a hold journals what it keeps {@code HELD} (an automatic
 * hold the tenant's own sending, {@link Containment#isSending}; an operator's all of the tenant's mail), logs an
 * alert and spools the operator's notice (when an address is configured); a release journals {@code RELEASED}; a purge
 * journals {@code PURGED}. What arrives while the tenant is held is held as it arrives ({@link ArrivalHolds}). The
 * drain is not told to pause the tenant: that would stop every message accounted to it, and inbound mail from the
 * outside world accounted to the same tenant (often all of it, in tenant {@code default}) must keep flowing through
 * an automatic hold; the {@code HELD} statuses keep exactly what the hold keeps. Bound to the spool and containment
 * once both are open ({@link #bind}).
 */
final class ContainmentWiring implements ContainmentListener
{
    private static final Logger LOG = LoggerFactory.getLogger(ContainmentWiring.class);

    /** Outcomes waiting for the journal at once, at most (and at most half of {@code spool.writeQueueCapacity}). */
    private static final int IN_FLIGHT = 1024;

    private final HoldNotice notices;
    private volatile Spool spool;
    private volatile Containment containment;

    ContainmentWiring(final HoldNotice notices)
    {
        this.notices = notices;
    }

    void bind(final Containment boundContainment, final Spool boundSpool)
    {
        this.containment = boundContainment;
        this.spool = boundSpool;
    }

    /**
     * At start, before the drain loads the spool: journals what containment says, so the drain loads it held. The spool
     * is walked, never listed (a held tenant may have millions of messages), and every outcome is durable before this
     * returns.
     */
    void reconcileAtStart()
    {
        final OutcomeWindow window = new OutcomeWindow();
        final int outcomes = containment.reconcile(spool.pendingInOrder(), window::journal);
        // Waited for, so the drain loads snapshots that already carry them.
        window.awaitAll();
        if (outcomes > 0 || !containment.holdingTenants().isEmpty())
        {
            LOG.warn("containment: {} tenants held at start {}; {} recipient outcomes reconciled",
                containment.holdingTenants().size(), containment.holdingTenants(), outcomes);
        }
    }

    @Override
    public void onHold(final String tenant, final HoldReason reason, final ContainmentFigures figures)
    {
        final int held = containment.reconcile(spool.pendingInOrder(), new OutcomeWindow()::journal);
        LOG.warn("ALERT containment: tenant {} held ({}): {}; {} recipients held in the spool, release or purge it"
            + " through JMX (Tenants)", tenant, reason, figures == null ? "" : figures.summary(), held);
        final GeneratedMail notice = notices.build(tenant, reason, figures);
        if (notice != null)
        {
            spool.append(notice.envelope(), notice.content()).whenComplete((result, failure) ->
            {
                if (failure != null || !result.isAccepted())
                {
                    LOG.error("containment: hold notice for tenant {} refused by the spool ({})", tenant,
                        failure != null ? failure.toString() : result.status());
                }
            });
        }
    }

    @Override
    public void onRelease(final String tenant)
    {
        final int released = containment.reconcile(spool.pendingInOrder(), new OutcomeWindow()::journal);
        LOG.warn("containment: tenant {} released; {} recipients drain again at the tenant's limit", tenant, released);
    }

    @Override
    public void onPurge(final String tenant, final String note)
    {
        final int purged = containment.purgeOutcomes(spool.pendingInOrder(), tenant, new OutcomeWindow()::journal);
        LOG.warn("containment: tenant {} purged ({}): {} messages' open recipients journaled PURGED", tenant, note, purged);
    }

    /**
     * Journals outcomes as containment finds them, with at most {@link #IN_FLIGHT} waiting for the journal writer at a
     * time: a hold of a tenant with a million messages must neither build a million futures nor overrun the writer's
     * queue (an outcome refused there would be lost until the next start's reconcile). A failure is logged; the next
     * reconcile (at start at the latest) finds the recipient still to do.
     */
    private final class OutcomeWindow
    {
        private final ArrayDeque<CompletableFuture<Boolean>> inFlight = new ArrayDeque<>();
        private final int limit = Math.max(1, Math.min(IN_FLIGHT, spool.context().writeQueueCapacity() / 2));

        void journal(final Reconciliation outcome)
        {
            if (inFlight.size() >= limit)
            {
                inFlight.poll().join();
            }
            inFlight.add(spool.recordOutcome(outcome.messageId(), outcome.recipientIndex(), outcome.status())
                .handle((done, ex) ->
                {
                    if (ex != null)
                    {
                        LOG.error("containment: outcome {} for message {} not journaled: {}", outcome.status().disposition(),
                            outcome.messageId(), ex.toString());
                        return false;
                    }
                    return done;
                }));
        }

        void awaitAll()
        {
            CompletableFuture<Boolean> next;
            while ((next = inFlight.poll()) != null)
            {
                next.join();
            }
        }
    }
}
