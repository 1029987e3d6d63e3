package io.sluice.bounce;

/**
 * An address on the suppression list: no bounce goes to it until {@code expiresAtMillis}.
 *
 * @param address         the address, lower case
 * @param expiresAtMillis when it comes off the list, epoch milliseconds
 */
public record SuppressedAddress(String address, long expiresAtMillis)
{
}
