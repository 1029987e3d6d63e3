package io.sluice.outcome;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

import io.sluice.drain.Dispatch;
import io.sluice.drain.SmtpReply;

/**
 * The one narrow way the delivery layer reports back: the raw replies of a dispatch it attempted, or a dispatch it
 * never attempted. Delivery neither classifies nor journals; the {@link OutcomeStage} does both, once, and tells the
 * drain. Thread-safe: called from delivery threads.
 */
public interface DeliveryReports
{
    /**
     * Reports what the upstream said for each recipient of an attempted dispatch. Call exactly once per dispatch
     * that was attempted.
     *
     * @param replies the reply for each of {@code dispatch.recipientIndexes()}; a missing one counts as a lost
     *                connection (deferred), never as success.
     * @return completes when every recipient's outcome is journaled or given up: a route holds the dispatch's
     *     connection slot until then, so a crash can lose at most one reply per connection (at-least-once, bounded)
     */
    CompletableFuture<Void> report(Dispatch dispatch, Map<Integer, SmtpReply> replies);

    /** Hands back a dispatch that was never attempted: the drain refunds its tokens and schedules it again. */
    void returnUndelivered(Dispatch dispatch);
}
