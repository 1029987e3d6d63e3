package io.sluice.daemon;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.sluice.bounce.BounceCounter;
import io.sluice.bounce.BouncePolicy;
import io.sluice.control.QuarantineRow;
import io.sluice.control.QuarantinedMail;
import io.sluice.drain.QuarantineSink;
import io.sluice.drain.SmtpReply;
import io.sluice.ingress.QuarantineIntake;
import io.sluice.outcome.HeldMail;
import io.sluice.outcome.OutcomeListener;
import io.sluice.spool.Disposition;
import io.sluice.spool.Envelope;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.QueueIds;
import io.sluice.spool.RecipientStatus;
import io.sluice.spool.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mail kept home instead of forwarded: the pending and new mail of a network the drain demoted for policy rejections
 * ({@link #quarantine}, the drain's {@link QuarantineSink}), and spoofed mail accepted with the {@code quarantine}
 * spoof action ({@link #expect}, then {@link #holdOnArrival}). Modelled on {@link io.sluice.outcome.DeferredDsns}:
 * each is journaled {@code HELD} with the detail {@code quarantine: REASON} (told apart from containment's holds and
 * deferred DSNs by that prefix) and its expiry in the status's time field, so a restart finds it held and knows when
 * it expires ({@link #recover}). It waits until an operator releases it ({@code RELEASED}: the drain sends it in its
 * own lane) or deletes it ({@code PURGED}), or until {@code quarantine.expiryMs} passes: then each recipient fails and
 * goes through the bounce policy like any permanent failure ({@link #expireDue}). Every decision is one mail-log line
 * and a counter. Thread-safe: the drain thread quarantines, the journal writer's thread holds arrivals, consoles and
 * the maintenance thread release, delete and expire under one lock.
 */
final class Quarantine implements QuarantineSink, QuarantinedMail, QuarantineIntake
{
    private static final Logger MAILLOG = LoggerFactory.getLogger("io.sluice.maillog");
    private static final Logger LOG = LoggerFactory.getLogger(Quarantine.class);
    private static final String SPOOF_REASON = "spoof pattern (admission.spoof action quarantine)";
    private static final String EXPIRED_LINE = "550 5.7.1 quarantined, never released";
    private static final SmtpReply EXPIRED_REPLY = SmtpReply.parse(EXPIRED_LINE);

    private final Spool spool;
    private final BouncePolicy policy;
    private final OutcomeListener failures;
    private final long expiryMs;
    /** Envelopes of spoofed mail appended to be quarantined, until the spool accepts them (by identity). */
    private final Set<Envelope> arriving = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
    /** Message id to expiry time, epoch ms, of every message quarantined (stale ones are dropped when met). */
    private final Map<Long, Long> held = new ConcurrentHashMap<>();
    private final Object lock = new Object();

    /** @param failures the bounce policy's hook, which an expired recipient goes through like any permanent failure. */
    Quarantine(final Spool spool, final BouncePolicy policy, final OutcomeListener failures)
    {
        this.spool = spool;
        this.policy = policy;
        this.failures = failures;
        this.expiryMs = policy.context().quarantineExpiryMs();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Holding

    /** The drain's sink, on the drain thread: journals the hold; the drain keeps the message held meanwhile. */
    @Override
    public void quarantine(final PendingMessage message, final String reason)
    {
        final RecipientStatus hold = hold(reason);
        held.put(message.messageId(), hold.notBeforeMillis());
        logHold(message, reason, hold.notBeforeMillis());
        spool.recordOutcome(message.messageId(), -1, hold).whenComplete((done, failure) ->
        {
            if (failure != null)
            {
                LOG.error("{}: the quarantine hold was not journaled ({}); the drain keeps it until a restart",
                    message.queueId(), failure.toString());
            }
        });
    }

    /** Before appending spoofed mail to be quarantined: the spool's listener holds it as it arrives. */
    @Override
    public void expect(final Envelope envelope)
    {
        arriving.add(envelope);
    }

    /** The append was refused: nothing will arrive. */
    @Override
    public void forget(final Envelope envelope)
    {
        arriving.remove(envelope);
    }

    /** For the spool's listener: the hold if this is spoofed mail to quarantine arriving, else null. */
    RecipientStatus holdOnArrival(final PendingMessage message)
    {
        if (!arriving.remove(message.envelope()))
        {
            return null;
        }
        final RecipientStatus hold = hold(SPOOF_REASON);
        held.put(message.messageId(), hold.notBeforeMillis());
        logHold(message, SPOOF_REASON, hold.notBeforeMillis());
        return hold;
    }

    private RecipientStatus hold(final String reason)
    {
        return new RecipientStatus(Disposition.HELD, 0, policy.context().clock().millis() + expiryMs, DETAIL_PREFIX + reason);
    }

    private void logHold(final PendingMessage message, final String reason, final long expiresAtMillis)
    {
        policy.count(BounceCounter.QUARANTINED);
        policy.quarantineWaiting(held.size());
        MAILLOG.info("{}: quarantined ({}), client={}, from=<{}>, to=<{}>, expires={}", message.queueId(), reason,
            message.envelope().sourceKey(), message.envelope().sender(), String.join(">, <", message.envelope().recipients()),
            Instant.ofEpochMilli(expiresAtMillis));
    }

    /** At start: the quarantined messages the journal still holds, found by walking the spool (never listing it). */
    void recover()
    {
        spool.forEachPending(message ->
        {
            if (isQuarantined(message))
            {
                held.put(message.messageId(), expiresAt(message));
            }
        });
        policy.quarantineWaiting(held.size());
        if (!held.isEmpty())
        {
            LOG.warn("{} quarantined messages wait in the spool for an operator (sluice quarantine list)", held.size());
        }
    }

    /** @return true if every open recipient of the message is a quarantine hold, journaled. */
    static boolean isQuarantined(final PendingMessage message)
    {
        return HeldMail.isHeldAs(message, DETAIL_PREFIX);
    }

    private static long expiresAt(final PendingMessage message)
    {
        long expires = Long.MAX_VALUE;
        for (final RecipientStatus status : message.recipients())
        {
            if (!status.isFinal())
            {
                expires = Math.min(expires, status.notBeforeMillis());
            }
        }
        return expires;
    }

    private static String reasonOf(final PendingMessage message)
    {
        for (final RecipientStatus status : message.recipients())
        {
            if (!status.isFinal())
            {
                return status.detail().substring(DETAIL_PREFIX.length());
            }
        }
        return "";
    }

    // ---------------------------------------------------------------------------------------------------------
    // Operator

    /** @return how many quarantined messages wait. */
    int waiting()
    {
        return current().size();
    }

    /** @return the quarantined messages whose hold is journaled, oldest first; forgets the ones that left. */
    private List<PendingMessage> current()
    {
        final List<PendingMessage> messages = new ArrayList<>();
        for (final Long id : held.keySet())
        {
            final PendingMessage message = spool.pending(id);
            if (message != null && isQuarantined(message))
            {
                messages.add(message);
            }
            else if (message == null || !message.recipients().stream().allMatch(s -> s.disposition() == Disposition.PENDING))
            {
                // Released, purged, expired or delivered: no longer ours. (All PENDING: its hold is still on the way.)
                held.remove(id);
            }
        }
        messages.sort(Comparator.comparingLong(PendingMessage::messageId));
        policy.quarantineWaiting(messages.size());
        return messages;
    }

    @Override
    public List<QuarantineRow> list()
    {
        final List<QuarantineRow> rows = new ArrayList<>();
        for (final PendingMessage message : current())
        {
            final List<String> open = new ArrayList<>();
            for (int i = 0; i < message.recipients().size(); i++)
            {
                if (!message.recipients().get(i).isFinal())
                {
                    open.add(message.envelope().recipients().get(i));
                }
            }
            rows.add(new QuarantineRow(message.queueId(), message.envelope().sourceKey(), message.envelope().sender(),
                String.join(", ", open), reasonOf(message), message.envelope().receivedAtMillis(), expiresAt(message)));
        }
        return rows;
    }

    @Override
    public int release(final List<String> queueIds)
    {
        synchronized (lock)
        {
            return journal(resolve(queueIds), Disposition.RELEASED, "released by an operator",
                BounceCounter.QUARANTINE_RELEASED);
        }
    }

    @Override
    public int releaseAll()
    {
        synchronized (lock)
        {
            return journal(current(), Disposition.RELEASED, "released by an operator", BounceCounter.QUARANTINE_RELEASED);
        }
    }

    @Override
    public int delete(final List<String> queueIds)
    {
        synchronized (lock)
        {
            return journal(resolve(queueIds), Disposition.PURGED, "deleted by an operator", BounceCounter.QUARANTINE_DELETED);
        }
    }

    /** @return the messages named, every one of them quarantined now; else nothing changes and it says which is not. */
    private List<PendingMessage> resolve(final List<String> queueIds)
    {
        if (queueIds == null || queueIds.isEmpty())
        {
            throw new IllegalArgumentException("expected at least one queue id (sluice quarantine list shows them)");
        }
        final Map<Long, PendingMessage> messages = new LinkedHashMap<>();
        for (final String queueId : queueIds)
        {
            final long id;
            try
            {
                id = QueueIds.parse(queueId == null ? "" : queueId.trim());
            }
            catch (final IllegalArgumentException notHex)
            {
                // Without the parser's cause: a console shows the deepest message, and this one names the id.
                throw new IllegalArgumentException("not a queue id: '" + queueId + "' (expected 16 hex digits as sluice"
                    + " quarantine list shows them); nothing was changed");
            }
            final PendingMessage message = spool.pending(id);
            if (message == null || !isQuarantined(message))
            {
                throw new IllegalArgumentException("no quarantined message " + queueId
                    + (message == null ? " (not in the spool)" : " (in the spool, not quarantined)") + "; nothing was changed");
            }
            messages.put(id, message);
        }
        return List.copyOf(messages.values());
    }

    private int journal(final List<PendingMessage> messages, final Disposition disposition, final String why,
        final BounceCounter counter)
    {
        for (final PendingMessage message : messages)
        {
            held.remove(message.messageId());
            policy.count(counter);
            MAILLOG.info("{}: quarantine {}, from=<{}>, to=<{}>", message.queueId(),
                disposition == Disposition.PURGED ? why + " (PURGED)" : why, message.envelope().sender(),
                String.join(">, <", message.envelope().recipients()));
            spool.recordOutcome(message.messageId(), -1, new RecipientStatus(disposition, 0, 0, DETAIL_PREFIX + why))
                .whenComplete((done, failure) ->
                {
                    if (failure != null)
                    {
                        LOG.error("{}: quarantine {} not journaled ({}); it is still quarantined", message.queueId(), why,
                            failure.toString());
                    }
                });
        }
        policy.quarantineWaiting(held.size());
        return messages.size();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Expiry

    /**
     * Fails every quarantined message whose expiry has come: each open recipient goes through the bounce policy (a DSN,
     * or suppressed with the policy's reason, one mail-log line each, as for any permanent failure) and is journaled
     * as the policy says.
     *
     * @return how many messages expired.
     */
    int expireDue()
    {
        final long now = policy.context().clock().millis();
        int expired = 0;
        synchronized (lock)
        {
            for (final Map.Entry<Long, Long> entry : held.entrySet())
            {
                if (entry.getValue() > now)
                {
                    continue;
                }
                final PendingMessage message = spool.pending(entry.getKey());
                if (message == null || !isQuarantined(message))
                {
                    continue;
                }
                held.remove(entry.getKey());
                expire(message);
                expired++;
            }
        }
        if (expired > 0)
        {
            policy.quarantineWaiting(held.size());
        }
        return expired;
    }

    private void expire(final PendingMessage message)
    {
        policy.count(BounceCounter.QUARANTINE_EXPIRED);
        final String reason = reasonOf(message);
        MAILLOG.info("{}: quarantine expired after {} ms, never released ({}); failed, from=<{}>", message.queueId(),
            expiryMs, reason, message.envelope().sender());
        for (int i = 0; i < message.recipients().size(); i++)
        {
            if (message.recipients().get(i).isFinal())
            {
                continue;
            }
            // A policy failure (5.7.1), not a plain expiry (5.4.7): the mail was withheld as suspect, so the bounce
            // policy treats it as it treats the upstream's 5.7.x (no DSN unless bounce.policyFailuresBounce), and a
            // forged sender of a flood is not sent a DSN a week later.
            final RecipientStatus failed = RecipientStatus.failed(message.recipients().get(i).attempts(),
                EXPIRED_LINE + " within quarantine.expiryMs (" + expiryMs + " ms): " + reason);
            RecipientStatus journaled;
            try
            {
                journaled = failures.onFailed(message, i, EXPIRED_REPLY, failed);
            }
            catch (final RuntimeException ex)
            {
                LOG.error("{}: the bounce policy failed on an expired quarantine; journaled FAILED", message.queueId(), ex);
                journaled = failed;
            }
            final int index = i;
            spool.recordOutcome(message.messageId(), i, journaled).whenComplete((done, failure) ->
            {
                if (failure != null)
                {
                    LOG.error("{} recipient {}: quarantine expiry not journaled ({}); it expires again after a restart",
                        message.queueId(), index, failure.toString());
                }
            });
        }
    }
}
