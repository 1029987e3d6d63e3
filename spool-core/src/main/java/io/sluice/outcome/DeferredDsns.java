package io.sluice.outcome;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;

import io.sluice.bounce.BounceCounter;
import io.sluice.bounce.BouncePolicy;
import io.sluice.spool.Disposition;
import io.sluice.spool.Envelope;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;
import io.sluice.spool.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DSNs over the bounce budget, deferred in the spool instead of dropped: each is spooled like any DSN but arrives
 * held ({@link #holdOnArrival}, journaled {@code HELD} with {@link #DETAIL_PREFIX}), waits oldest first, and is
 * released ({@code RELEASED}, then the drain sends it) as the budget window has room ({@link #releaseDue}, every
 * second from the maintenance thread) or when an operator says so ({@link #releaseByOperator}, JMX
 * {@code Bounces.releaseDeferred} and {@code sluice}). A restart finds them in the journal ({@link #recover}).
 * Each release is one mail-log line. A deferred DSN still waiting when its queue lifetime ({@code drain.maxQueueLifetimeMs})
 * runs out fails undelivered, as any message would ({@link #expireDue}), with its own mail-log line. Thread-safe:
 * releases and expiries are serialised on one lock; arrivals never take it.
 */
public final class DeferredDsns
{
    /** Every journal detail of a deferred DSN starts with this, so its holds are told from containment's. */
    public static final String DETAIL_PREFIX = "bounce: ";
    static final RecipientStatus DEFERRED = new RecipientStatus(Disposition.HELD, 0, 0,
        DETAIL_PREFIX + "deferred, the bounce budget is spent");
    private static final Logger MAILLOG = LoggerFactory.getLogger("io.sluice.maillog");
    private static final Logger LOG = LoggerFactory.getLogger(DeferredDsns.class);

    private final Spool spool;
    private final BouncePolicy policy;
    /** DSN envelopes appended deferred, until the spool accepts them: by identity, the spool passes the same one on. */
    private final Set<Envelope> arriving = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
    /** Message ids of deferred DSNs, oldest first. */
    private final ConcurrentLinkedQueue<Long> waiting = new ConcurrentLinkedQueue<>();
    private final Object releaseLock = new Object();

    DeferredDsns(final Spool spool, final BouncePolicy policy)
    {
        this.spool = spool;
        this.policy = policy;
    }

    /** Before appending a deferred DSN: the spool's listener will hold it as it arrives. */
    void expect(final Envelope dsn)
    {
        arriving.add(dsn);
    }

    /** The append was refused: nothing will arrive. */
    void forget(final Envelope dsn)
    {
        arriving.remove(dsn);
    }

    /** For the spool's listener: {@link #DEFERRED} if this is a deferred DSN arriving, else null. */
    public RecipientStatus holdOnArrival(final PendingMessage message)
    {
        if (!arriving.remove(message.envelope()))
        {
            return null;
        }
        waiting.add(message.messageId());
        gauge();
        return DEFERRED;
    }

    /**
     * At start: the deferred DSNs the journal still holds wait again, oldest first (the spool is walked in id order,
     * never listed).
     */
    public void recover()
    {
        spool.forEachPending(message ->
        {
            if (isDeferred(message))
            {
                waiting.add(message.messageId());
            }
        });
        gauge();
        if (!waiting.isEmpty())
        {
            LOG.warn("{} deferred DSNs wait in the spool for the bounce budget (JMX Bounces.releaseDeferred sends them)",
                waiting.size());
        }
    }

    /** @return true if every open recipient of the message is a deferral this class journaled. */
    public static boolean isDeferred(final PendingMessage message)
    {
        return HeldMail.isHeldAs(message, DETAIL_PREFIX);
    }

    /** @return how many deferred DSNs wait. */
    public int waiting()
    {
        return waiting.size();
    }

    /**
     * Releases the oldest deferred DSNs the budget window has room for now.
     *
     * @return how many were released.
     */
    public int releaseDue()
    {
        return release(Integer.MAX_VALUE, false);
    }

    /**
     * Releases up to {@code max} deferred DSNs, oldest first, whatever the budget says; they are charged to it.
     *
     * @return how many were released.
     * @throws IllegalArgumentException if {@code max} is not positive.
     */
    public int releaseByOperator(final int max)
    {
        if (max < 1)
        {
            throw new IllegalArgumentException("expected how many deferred DSNs to release, at least 1: " + max);
        }
        return release(max, true);
    }

    private int release(final int max, final boolean byOperator)
    {
        int released = 0;
        synchronized (releaseLock)
        {
            Long head;
            while (released < max && (head = waiting.peek()) != null)
            {
                final PendingMessage message = spool.pending(head);
                if (message == null || (!isDeferred(message) && !isArriving(message)))
                {
                    // Sent, purged, or released some other way: nothing to do for it.
                    waiting.poll();
                    continue;
                }
                if (isArriving(message))
                {
                    // Its HELD is not journaled yet: a release now could land before it. Next time.
                    break;
                }
                if (byOperator)
                {
                    policy.releasedByOperator();
                }
                else if (!policy.tryReleaseDeferred())
                {
                    break;
                }
                waiting.poll();
                released++;
                journalRelease(message, byOperator);
            }
        }
        gauge();
        return released;
    }

    /**
     * Fails the deferred DSNs that waited past the queue lifetime, oldest first: a DSN of a DSN is never sent (null
     * sender), so each is journaled {@code FAILED} and logged, and the budget is not charged.
     *
     * @param lifetimeMs the queue lifetime, from the DSN's own arrival.
     * @return how many expired.
     */
    public int expireDue(final long lifetimeMs)
    {
        final long now = policy.context().clock().millis();
        int expired = 0;
        synchronized (releaseLock)
        {
            for (final Long id : waiting)
            {
                final PendingMessage message = spool.pending(id);
                if (message == null || !isDeferred(message))
                {
                    continue;
                }
                if (now - message.envelope().receivedAtMillis() < lifetimeMs)
                {
                    // Oldest first: the rest are younger.
                    break;
                }
                waiting.remove(id);
                expired++;
                policy.count(BounceCounter.DEFERRED_EXPIRED);
                final String why = "expired: deferred over the bounce budget for " + lifetimeMs + " ms, never sent";
                MAILLOG.info("{}: dsn=expired ({}), to=<{}>", message.queueId(), why,
                    String.join(">, <", message.envelope().recipients()));
                spool.recordOutcome(message.messageId(), -1, RecipientStatus.failed(0, DETAIL_PREFIX + why))
                    .whenComplete((done, failure) ->
                    {
                        if (failure != null)
                        {
                            LOG.error("{}: the expiry of a deferred DSN was not journaled ({}); it waits again after a"
                                + " restart", message.queueId(), failure.toString());
                        }
                    });
            }
        }
        gauge();
        return expired;
    }

    private static boolean isArriving(final PendingMessage message)
    {
        return message.recipients().stream().allMatch(status -> status.disposition() == Disposition.PENDING);
    }

    private void journalRelease(final PendingMessage message, final boolean byOperator)
    {
        final String why = byOperator ? "released by an operator" : "released, the bounce budget allows it";
        MAILLOG.info("{}: dsn={}, to=<{}>", message.queueId(), why, String.join(">, <", message.envelope().recipients()));
        spool.recordOutcome(message.messageId(), -1, new RecipientStatus(Disposition.RELEASED, 0, 0, DETAIL_PREFIX + why))
            .whenComplete((done, failure) ->
            {
                if (failure != null)
                {
                    LOG.error("{}: the release of a deferred DSN was not journaled ({}); it waits again after a restart",
                        message.queueId(), failure.toString());
                }
            });
    }

    private void gauge()
    {
        policy.deferredWaiting(waiting.size());
    }
}
