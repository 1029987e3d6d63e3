package io.sluice.daemon;

import java.util.Collections;
import java.util.function.Function;

import io.sluice.bounce.BouncePolicy;
import io.sluice.containment.Containment;
import io.sluice.spool.Envelope;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The spool's listener in the daemon: counts every accepted message for the bounce budget and containment, and hands
 * it to the drain; a message that must wait from its first moment (the own sending of a tenant containment holds, a
 * DSN deferred over the bounce budget) reaches the drain already held, and its {@code HELD} status is journaled
 * behind it. So the drain never sends it in the moment between its acceptance and the journal's record of the hold,
 * and a restart finds it held. Runs on the journal writer's thread: counters, a map lookup, one queued outcome.
 */
final class ArrivalHolds implements SpoolListener
{
    private static final Logger LOG = LoggerFactory.getLogger(ArrivalHolds.class);

    private final SpoolListener drain;
    private final BouncePolicy policy;
    private final Containment containment;
    private volatile Spool spool;
    private volatile Function<PendingMessage, RecipientStatus> deferredDsns = message -> null;

    ArrivalHolds(final SpoolListener drain, final BouncePolicy policy, final Containment containment)
    {
        this.drain = drain;
        this.policy = policy;
        this.containment = containment;
    }

    /**
     * Once the spool is open: where held statuses are journaled, and which DSNs arrive deferred. Before it (while the
     * spool replays its journal) nothing arrives.
     */
    void bind(final Spool openSpool, final Function<PendingMessage, RecipientStatus> deferred)
    {
        this.deferredDsns = deferred;
        this.spool = openSpool;
    }

    @Override
    public void onAccepted(final PendingMessage message)
    {
        final Envelope envelope = message.envelope();
        policy.onAccepted(envelope);
        containment.recordAccepted(envelope);
        RecipientStatus hold = containment.holdOnArrival(envelope);
        if (hold == null)
        {
            hold = deferredDsns.apply(message);
        }
        final Spool journal = spool;
        if (hold == null || journal == null)
        {
            drain.onAccepted(message);
            return;
        }
        drain.onAccepted(new PendingMessage(message.messageId(), envelope, message.contentLength(),
            Collections.nCopies(envelope.recipients().size(), hold)));
        final RecipientStatus held = hold;
        journal.recordOutcome(message.messageId(), -1, held).whenComplete((done, failure) ->
        {
            if (failure != null)
            {
                // The drain keeps it held; only a restart before the next outcome would find it unheld.
                LOG.error("{}: HELD ({}) not journaled: {}", message.queueId(), held.detail(), failure.toString());
            }
        });
    }

    @Override
    public void onOutcome(final PendingMessage message)
    {
        drain.onOutcome(message);
    }
}
