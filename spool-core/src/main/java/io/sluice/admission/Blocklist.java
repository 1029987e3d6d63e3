package io.sluice.admission;

import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import io.sluice.net.Cidr;

/**
 * The blocked networks, read lock-free on every connection and changed copy-on-write by the control plane.
 * A lookup masks the address once per distinct prefix length in the list and probes a hash map, so it costs the
 * same for 5 entries as for the 5,000 a botnet flood makes an operator block; an empty list costs one volatile read.
 */
final class Blocklist
{
    private static final long NEVER = Long.MAX_VALUE;

    private volatile Snapshot snapshot = new Snapshot(Map.of());

    boolean isEmpty()
    {
        return snapshot.expiries.isEmpty();
    }

    /** @return the block covering {@code address} at {@code nowMillis}, or null. */
    Block match(final InetAddress address, final long nowMillis)
    {
        final Snapshot current = snapshot;
        if (current.expiries.isEmpty())
        {
            return null;
        }
        final int[] prefixes = address.getAddress().length == 4 ? current.ipv4Prefixes : current.ipv6Prefixes;
        for (final int prefix : prefixes)
        {
            final Cidr network = Cidr.networkOf(address, prefix);
            final Long expiresAt = current.expiries.get(network);
            if (expiresAt != null && expiresAt > nowMillis)
            {
                return toBlock(network, expiresAt);
            }
        }
        return null;
    }

    /** Adds or replaces the block of {@code network}; {@code expiresAtMillis} is {@link Long#MAX_VALUE} for none. */
    synchronized void block(final Cidr network, final long expiresAtMillis)
    {
        final Map<Cidr, Long> next = new HashMap<>(snapshot.expiries);
        next.put(network, expiresAtMillis);
        snapshot = new Snapshot(next);
    }

    static long never()
    {
        return NEVER;
    }

    synchronized boolean unblock(final Cidr network)
    {
        if (!snapshot.expiries.containsKey(network))
        {
            return false;
        }
        final Map<Cidr, Long> next = new HashMap<>(snapshot.expiries);
        next.remove(network);
        snapshot = new Snapshot(next);
        return true;
    }

    /** @return the blocks in force at {@code nowMillis}, having forgotten the ones that lapsed. */
    synchronized List<Block> blocks(final long nowMillis)
    {
        final Map<Cidr, Long> live = new HashMap<>();
        snapshot.expiries.forEach((network, expiresAt) ->
        {
            if (expiresAt > nowMillis)
            {
                live.put(network, expiresAt);
            }
        });
        if (live.size() != snapshot.expiries.size())
        {
            snapshot = new Snapshot(live);
        }
        final List<Block> blocks = new ArrayList<>();
        live.forEach((network, expiresAt) -> blocks.add(toBlock(network, expiresAt)));
        blocks.sort(Comparator.comparing(block -> block.network().toString()));
        return blocks;
    }

    private static Block toBlock(final Cidr network, final long expiresAtMillis)
    {
        return new Block(network, expiresAtMillis == NEVER ? null : Instant.ofEpochMilli(expiresAtMillis));
    }

    private static final class Snapshot
    {
        final Map<Cidr, Long> expiries;
        final int[] ipv4Prefixes;
        final int[] ipv6Prefixes;

        Snapshot(final Map<Cidr, Long> expiries)
        {
            this.expiries = Map.copyOf(expiries);
            final TreeSet<Integer> v4 = new TreeSet<>(Comparator.reverseOrder());
            final TreeSet<Integer> v6 = new TreeSet<>(Comparator.reverseOrder());
            for (final Cidr network : expiries.keySet())
            {
                (network.isIpv6() ? v6 : v4).add(network.prefixLength());
            }
            this.ipv4Prefixes = v4.stream().mapToInt(Integer::intValue).toArray();
            this.ipv6Prefixes = v6.stream().mapToInt(Integer::intValue).toArray();
        }
    }
}
