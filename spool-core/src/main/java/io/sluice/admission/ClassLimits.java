package io.sluice.admission;

import io.github.bucket4j.BucketConfiguration;

/**
 * The class buckets' limits and the pressure tiers, built once from {@link ReputationSettings}. Immutable.
 *
 * <p>Why classes rather than one rate per network: a busy partner's /24 and a botnet's /24 send alike at first;
 * what tells them apart is what the upstream says of their mail, and whether it shows the spoof pattern. So each
 * message is charged to the bucket of its class for its address and for its network, beside the kind buckets
 * ({@link KeyKind}): a partner that earned {@link SourceClass#CLEAN} draws on a larger bucket, the spoofs and the
 * demoted sources of the very same network on tiny ones, and neither drains the other.
 */
final class ClassLimits
{
    private final BucketConfiguration[][] configurations;
    private final BucketConfiguration demotedConnections;
    private final double suspectAt;
    private final double unknownAt;

    ClassLimits(final ReputationSettings settings)
    {
        final SourceClass[] classes = ReputationSettings.bucketClasses();
        final KeyKind[] kinds = ReputationSettings.bucketKinds();
        configurations = new BucketConfiguration[SourceClass.values().length][KeyKind.values().length];
        for (final SourceClass sourceClass : classes)
        {
            for (final KeyKind kind : kinds)
            {
                configurations[sourceClass.ordinal()][kind.ordinal()] = settings.limit(sourceClass, kind).toConfiguration();
            }
        }
        demotedConnections = settings.demotedConnectionLimit().toConfiguration();
        suspectAt = settings.pressureSuspectAt();
        unknownAt = settings.pressureUnknownAt();
    }

    /** @return the message bucket of the class for the kind (IP or NETWORK); null for none (off, or no buckets). */
    BucketConfiguration configuration(final SourceClass sourceClass, final KeyKind kind)
    {
        return configurations[sourceClass.ordinal()][kind.ordinal()];
    }

    /** @return the connection bucket of a demoted network; null when off. */
    BucketConfiguration demotedConnections()
    {
        return demotedConnections;
    }

    /**
     * @param pressure how close the spool is to backpressure: the larger of backlog over its high watermark and
     *                 projected delay over its bound, 0 when idle, 1 at the watermark.
     * @return whether mail of this class is tempfailed at this pressure (above its tier's share): suspect first,
     *         then unknown (demoted mail is refused at any pressure);
     *         clean and trusted mail are left to the watermark and hard limit themselves.
     */
    boolean pressureCut(final SourceClass sourceClass, final double pressure)
    {
        return switch (sourceClass)
        {
            case SUSPECT -> pressure > suspectAt;
            case UNKNOWN -> pressure > unknownAt;
            default -> false;
        };
    }
}
