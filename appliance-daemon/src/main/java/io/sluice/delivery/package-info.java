/**
 * Upstream delivery: the drain's {@link io.sluice.drain.DeliveryGateway}. Each drain route has a target, an SMTP relay
 * ({@code smtp://host:port}: a Netty client with a connection pool, reuse, PIPELINING and RFC 5321 timeouts) or a
 * maildir-style folder ({@code dir:PATH}: atomic {@code .eml} files). Every recipient's raw reply is reported to the
 * outcome stage ({@link io.sluice.outcome.DeliveryReports}), which classifies it, asks the bounce policy, journals it
 * and tells the drain: delivery never sees the drain.
 * Delivery is at-least-once; {@link io.sluice.delivery.Delivery} says exactly when a message can arrive twice.
 */
package io.sluice.delivery;
