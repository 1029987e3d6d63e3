package io.sluice.daemon;

import java.util.List;

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

    /** At start, before the drain loads the spool: journals what containment says, so the drain loads it held. */
    void reconcileAtStart()
    {
        final List<Reconciliation> outcomes = containment.reconcile(spool.pendingMessages());
        for (final Reconciliation outcome : outcomes)
        {
            // Waited for, so the drain loads snapshots that already carry them.
            spool.recordOutcome(outcome.messageId(), outcome.recipientIndex(), outcome.status()).exceptionally(ex -> false)
                .join();
        }
        if (!outcomes.isEmpty() || !containment.holdingTenants().isEmpty())
        {
            LOG.warn("containment: {} tenants held at start {}; {} recipient outcomes reconciled",
                containment.holdingTenants().size(), containment.holdingTenants(), outcomes.size());
        }
    }

    @Override
    public void onHold(final String tenant, final HoldReason reason, final ContainmentFigures figures)
    {
        final int held = journal(containment.reconcile(spool.pendingMessages()));
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
        final int released = journal(containment.reconcile(spool.pendingMessages()));
        LOG.warn("containment: tenant {} released; {} recipients drain again at the tenant's limit", tenant, released);
    }

    @Override
    public void onPurge(final String tenant, final String note)
    {
        final int purged = journal(containment.purgeOutcomes(spool.pendingMessages(), tenant));
        LOG.warn("containment: tenant {} purged ({}): {} messages' open recipients journaled PURGED", tenant, note, purged);
    }

    private int journal(final List<Reconciliation> outcomes)
    {
        for (final Reconciliation outcome : outcomes)
        {
            spool.recordOutcome(outcome.messageId(), outcome.recipientIndex(), outcome.status()).whenComplete((done, ex) ->
            {
                if (ex != null)
                {
                    LOG.error("containment: outcome {} for message {} not journaled: {}", outcome.status().disposition(),
                        outcome.messageId(), ex.toString());
                }
            });
        }
        return outcomes.size();
    }
}
