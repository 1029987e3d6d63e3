/**
 * SMTP AUTH for the ingress (RFC 4954): the SASL exchanges PLAIN (RFC 4616) and LOGIN, the users file with its
 * salted slow hashes, the failure counts that back a guessing client off, and the per-user buckets. Nothing here
 * touches a socket: the SMTP session drives an {@link io.sluice.ingress.auth.AuthExchange}, hands the credentials it
 * yields to the {@link io.sluice.ingress.auth.Authenticator}, which checks them off the event loop, and carries on
 * with the {@link io.sluice.ingress.auth.AuthUser} it gets back.
 */
package io.sluice.ingress.auth;
