/**
 * The drain: a fair scheduler that empties the spool towards the upstream routes at a steady, known rate
 * ({@link io.sluice.drain.DrainScheduler}), its drain thread ({@link io.sluice.drain.DrainAgent}), the retry back-off
 * ({@link io.sluice.drain.RetrySchedule}), the vocabulary of replies and what they signal
 * ({@link io.sluice.drain.SmtpReply}, {@link io.sluice.drain.ReplyOutcome}), and the published backlog, rates and ETAs
 * ({@link io.sluice.drain.DrainStatus}). No sockets: the SMTP client lives in the daemon and is handed dispatches through
 * {@link io.sluice.drain.DeliveryGateway}; the outcome stage above ({@code io.sluice.outcome}) classifies its replies
 * and tells the drain their feedback.
 */
package io.sluice.drain;
