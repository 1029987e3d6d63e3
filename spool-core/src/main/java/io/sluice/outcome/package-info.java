/**
 * The outcome stage: every delivery reply goes through it once, one way. Delivery reports raw replies through
 * {@link io.sluice.outcome.DeliveryReports}; the {@link io.sluice.outcome.OutcomeStage} classifies each
 * ({@link io.sluice.outcome.OutcomeClassifier}), tells the drain its feedback, asks the bounce policy about a recipient
 * that failed for good ({@link io.sluice.outcome.BounceStep}, which builds and spools the DSN it allows, or defers it
 * over the budget: {@link io.sluice.outcome.DeferredDsns}), tells containment and admission's reputation each reply's
 * signal ({@link io.sluice.outcome.ContainmentFeed}, {@link io.sluice.outcome.ReputationFeed}), and journals the status.
 * The top floor of the library: it may use every package below it, and none uses it. No sockets.
 */
package io.sluice.outcome;
