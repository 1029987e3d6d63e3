package io.sluice.admission;

import java.time.Instant;

import io.sluice.net.Cidr;

/**
 * A blocked network.
 *
 * @param network   the network refused at connect and at MAIL FROM
 * @param expiresAt when the block lapses by itself; null for a block that lasts until removed
 */
public record Block(Cidr network, Instant expiresAt)
{
    public boolean isPermanent()
    {
        return expiresAt == null;
    }
}
