package io.sluice.outcome;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

import io.sluice.admission.Admission;
import io.sluice.admission.SourceClass;
import io.sluice.bounce.BounceDecision;
import io.sluice.bounce.BouncePolicy;
import io.sluice.bounce.DsnBuilder;
import io.sluice.bounce.GeneratedMail;
import io.sluice.bounce.NoticeBuilder;
import io.sluice.drain.SmtpReply;
import io.sluice.spool.AppendResult;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;
import io.sluice.spool.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outcome stage's bounce step: asks the bounce policy about every permanent failure before it is journaled, appends
 * the DSN it allows (lane {@code bounces}, null sender) or defers (the same DSN, held in the spool until the budget
 * has room: {@link DeferredDsns}), and returns the status to journal ({@code FAILED}, or {@code SUPPRESSED} with the
 * reason). Every decision is one line in the mail log: {@code dsn=sent}, {@code dsn=deferred} or
 * {@code dsn=suppressed (REASON)}, with the DSN's queue id when it is spooled. A DSN the spool refuses is logged and
 * counted; the failure itself is journaled whatever happens to the DSN. When the policy raises its budget alert (at
 * most once per budget window), the operator's notice goes to the {@code notifications} lane.
 */
public final class BounceStep implements OutcomeListener
{
    private static final Logger LOG = LoggerFactory.getLogger(BounceStep.class);
    private static final Logger MAILLOG = LoggerFactory.getLogger("io.sluice.maillog");

    private final Spool spool;
    private final BouncePolicy policy;
    private final DsnBuilder dsns;
    private final NoticeBuilder notices;
    private final DeferredDsns deferred;
    private final AtomicLong dsnsAppended = new AtomicLong();
    private final AtomicLong dsnsRefused = new AtomicLong();
    private final AtomicLong noticesAppended = new AtomicLong();
    /** Whether a source's record vouches for its senders (a clean reputation): none until admission is open. */
    private volatile Predicate<String> vouched = sourceKey -> false;

    /** @param notices builds the budget alert's notice (the notifications lane and the appliance's own tenant). */
    public BounceStep(final Spool spool, final BouncePolicy policy, final NoticeBuilder notices)
    {
        this.spool = spool;
        this.policy = policy;
        this.dsns = new DsnBuilder(policy.context());
        this.notices = notices;
        this.deferred = new DeferredDsns(spool, policy);
    }

    /**
     * Admission's reputation, once it is open: a DSN for a message from a source with a clean record is never deferred
     * over the bounce budget, which exists to stop backscatter to forged senders, not word to a known partner's.
     */
    public void vouchWith(final Admission admission)
    {
        vouched = sourceKey -> admission.standingOf(sourceKey) == SourceClass.CLEAN;
    }

    @Override
    public RecipientStatus onFailed(
        final PendingMessage message, final int recipientIndex, final SmtpReply reply, final RecipientStatus status)
    {
        final BounceDecision decision = policy.decide(message, recipientIndex, status,
            policy.isFromTrustedNetwork(message.envelope()), vouched.test(message.envelope().sourceKey()));
        if (decision.budgetAlert())
        {
            appendBudgetNotice();
        }
        if (decision.needsDsn())
        {
            appendDsn(decision);
        }
        else
        {
            mailLog(decision, "suppressed (" + decision.reason() + ")");
        }
        return decision.journalStatus();
    }

    private void appendDsn(final BounceDecision decision)
    {
        final PendingMessage message = decision.message();
        final boolean defer = decision.action() == BounceDecision.Action.DEFER;
        final String verdict = defer ? "deferred (" + decision.reason() + ": " + policy.budget() + ")" : "sent";
        ByteBuffer content = null;
        try
        {
            // Still readable: this recipient's final status is journaled only after this returns.
            content = spool.readContent(message.messageId());
        }
        catch (final IOException ex)
        {
            LOG.warn("{}: content unreadable for its DSN ({}); the DSN goes without the original headers",
                message.queueId(), ex.toString());
        }
        final GeneratedMail dsn;
        try
        {
            dsn = dsns.build(decision, content);
        }
        catch (final RuntimeException ex)
        {
            dsnsRefused.incrementAndGet();
            LOG.error("{}: DSN to <{}> could not be built", message.queueId(), decision.bounceRecipient(), ex);
            mailLog(decision, "lost (could not be built: " + ex + ")");
            return;
        }
        if (defer)
        {
            deferred.expect(dsn.envelope());
        }
        spool.append(dsn.envelope(), dsn.content()).whenComplete((result, failure) ->
        {
            if (failure == null && result.isAccepted())
            {
                dsnsAppended.incrementAndGet();
                mailLog(decision, verdict + ", queued as " + result.queueId());
            }
            else
            {
                deferred.forget(dsn.envelope());
                dsnsRefused.incrementAndGet();
                final String why = failure != null ? failure.toString() : describe(result);
                LOG.error("{}: DSN to <{}> refused by the spool ({}); the failure is journaled without it",
                    message.queueId(), decision.bounceRecipient(), why);
                mailLog(decision, "lost (the spool refused it: " + why + ")");
            }
        });
    }

    /** The one mail-log line of a DSN decision. */
    private static void mailLog(final BounceDecision decision, final String what)
    {
        MAILLOG.info("{}: dsn={}, to=<{}>, orig_to=<{}>, status={}", decision.message().queueId(), what,
            decision.bounceRecipient(), decision.failure().recipient(), decision.failure().status());
    }

    /** The policy logged the alert; the notice goes to the operator, if one is configured. */
    private void appendBudgetNotice()
    {
        final GeneratedMail notice = dsns.budgetNotice(policy.budget(), notices);
        if (notice == null)
        {
            return;
        }
        spool.append(notice.envelope(), notice.content()).whenComplete((result, failure) ->
        {
            if (failure == null && result.isAccepted())
            {
                noticesAppended.incrementAndGet();
                LOG.info("bounce budget notice to <{}> spooled as {}", notice.envelope().recipients().get(0), result.queueId());
            }
            else
            {
                LOG.error("bounce budget notice refused by the spool ({})",
                    failure != null ? failure.toString() : describe(result));
            }
        });
    }

    private static String describe(final AppendResult result)
    {
        return result == null ? "no result" : result.status().name();
    }

    /** @return DSNs the spool took. */
    public long dsnsAppended()
    {
        return dsnsAppended.get();
    }

    /** @return budget alert notices the spool took. */
    public long noticesAppended()
    {
        return noticesAppended.get();
    }

    /** @return DSNs allowed by the policy that could not be built or were refused by the spool. */
    public long dsnsRefused()
    {
        return dsnsRefused.get();
    }

    public BouncePolicy policy()
    {
        return policy;
    }

    /** @return the DSNs deferred over the budget, waiting in the spool. */
    public DeferredDsns deferred()
    {
        return deferred;
    }
}
