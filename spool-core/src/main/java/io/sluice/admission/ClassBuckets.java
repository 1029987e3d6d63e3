package io.sluice.admission;

import io.github.bucket4j.BucketConfiguration;

/**
 * Charges a message to the buckets of its class ({@link ClassLimits}): the class's bucket for the client address,
 * then for its network, both kept in admission's one {@link SourceTable} beside the kind buckets (a class key is
 * the address or network key tagged with the class). A refusal gives back what was taken, as the kind buckets do.
 * Thread-safe, as {@link TrackedKey} is.
 */
final class ClassBuckets
{
    private final SourceTable table;
    private final int ipv4PrefixLength;
    private final int ipv6PrefixLength;
    private volatile ClassLimits limits;

    ClassBuckets(final SourceTable table, final ClassLimits limits, final int ipv4PrefixLength, final int ipv6PrefixLength)
    {
        this.table = table;
        this.limits = limits;
        this.ipv4PrefixLength = ipv4PrefixLength;
        this.ipv6PrefixLength = ipv6PrefixLength;
    }

    ClassLimits limits()
    {
        return limits;
    }

    /**
     * Takes one message token from the class's address bucket and network bucket.
     *
     * @return null if both gave one, else the refusal (naming the class and key; nothing is kept taken).
     */
    Decision chargeMessage(final SourceClass sourceClass, final byte[] address, final long nowNs)
    {
        if (!sourceClass.hasBuckets())
        {
            return null;
        }
        final ClassLimits current = limits;
        final BucketConfiguration ipLimit = current.configuration(sourceClass, KeyKind.IP);
        final TrackedKey ip = ipLimit == null ? null : key(sourceClass, KeyKind.IP, address, nowNs);
        if (ip != null)
        {
            final long ipWait = ip.tryConsume(Traffic.MESSAGES, ipLimit, 1, nowNs);
            if (ipWait > 0)
            {
                return refusal(ip, ipWait);
            }
        }
        final BucketConfiguration networkLimit = current.configuration(sourceClass, KeyKind.NETWORK);
        if (networkLimit != null)
        {
            final TrackedKey network = key(sourceClass, KeyKind.NETWORK, address, nowNs);
            final long networkWait = network.tryConsume(Traffic.MESSAGES, networkLimit, 1, nowNs);
            if (networkWait > 0)
            {
                if (ip != null)
                {
                    ip.refund(Traffic.MESSAGES, 1, nowNs);
                }
                return refusal(network, networkWait);
            }
        }
        return null;
    }

    /** Gives back the tokens {@link #chargeMessage} took, for a message refused further on. */
    void refundMessage(final SourceClass sourceClass, final byte[] address, final long nowNs)
    {
        if (!sourceClass.hasBuckets())
        {
            return;
        }
        final ClassLimits current = limits;
        if (current.configuration(sourceClass, KeyKind.IP) != null)
        {
            key(sourceClass, KeyKind.IP, address, nowNs).refund(Traffic.MESSAGES, 1, nowNs);
        }
        if (current.configuration(sourceClass, KeyKind.NETWORK) != null)
        {
            key(sourceClass, KeyKind.NETWORK, address, nowNs).refund(Traffic.MESSAGES, 1, nowNs);
        }
    }

    /** @return null if a demoted network may open one more connection now, else the refusal. */
    Decision chargeDemotedConnection(final byte[] address, final long nowNs)
    {
        final BucketConfiguration configuration = limits.demotedConnections();
        if (configuration == null)
        {
            return null;
        }
        final TrackedKey network = key(SourceClass.DEMOTED, KeyKind.NETWORK, address, nowNs);
        final long wait = network.tryConsume(Traffic.CONNECTIONS, configuration, 1, nowNs);
        return wait > 0 ? refusal(network, wait) : null;
    }

    private TrackedKey key(final SourceClass sourceClass, final KeyKind kind, final byte[] address, final long nowNs)
    {
        final int prefix = kind == KeyKind.IP ? address.length * 8 : address.length == 4 ? ipv4PrefixLength : ipv6PrefixLength;
        return table.get(KeyProbe.local().address(kind, address, prefix, sourceClass.ordinal()), nowNs);
    }

    private static Decision refusal(final TrackedKey key, final long waitNs)
    {
        return new Decision(Verdict.RATE_LIMITED, (waitNs + 999_999) / 1_000_000, key.toString());
    }
}
