/**
 * Upstream delivery: the drain's {@link io.sluice.drain.DeliveryGateway}. Each drain route has a target, an SMTP relay
 * ({@code smtp://host:port}: a Netty client with a connection pool, reuse, PIPELINING and RFC 5321 timeouts) or a
 * maildir-style folder ({@code dir:PATH}: atomic {@code .eml} files). Every recipient's reply is classified by the drain
 * and journaled in the spool; failures go to a {@link io.sluice.delivery.FailureListener} (the bounce policy's hook).
 * Delivery is at-least-once; {@link io.sluice.delivery.Delivery} says exactly when a message can arrive twice.
 */
package io.sluice.delivery;
