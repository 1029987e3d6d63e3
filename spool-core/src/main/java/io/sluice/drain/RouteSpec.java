package io.sluice.drain;

/**
 * One upstream route's egress limit: the rate the provider tolerates and how many messages may leave at
 * once after an idle spell.
 *
 * @param name       the route's name, e.g. {@code default}, {@code notifications}, {@code acme-smtp}
 * @param ratePerSec the configured egress rate, messages per second; throttling may back it off, never raise it
 * @param burst      the bucket's capacity: messages that may leave back to back after an idle spell
 */
public record RouteSpec(String name, double ratePerSec, int burst)
{
}
