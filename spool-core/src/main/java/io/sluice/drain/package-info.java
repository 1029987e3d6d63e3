/**
 * The drain: a fair scheduler that empties the spool towards the upstream routes at a steady, known rate
 * ({@link io.sluice.drain.DrainScheduler}), its drain thread ({@link io.sluice.drain.DrainAgent}), the mapping of
 * upstream replies to journaled outcomes with retry back-off ({@link io.sluice.drain.OutcomeClassifier},
 * {@link io.sluice.drain.RetrySchedule}), and the published backlog, rates and ETAs
 * ({@link io.sluice.drain.DrainStatus}). No sockets: the SMTP client lives in the daemon and talks to this package
 * through {@link io.sluice.drain.DeliveryGateway} and {@link io.sluice.drain.Dispatch}.
 */
package io.sluice.drain;
