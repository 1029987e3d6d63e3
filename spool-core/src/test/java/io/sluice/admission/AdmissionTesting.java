package io.sluice.admission;

import java.net.InetAddress;
import java.net.UnknownHostException;
import io.sluice.testing.TestClock;

/** Shared set-up for admission tests. */
final class AdmissionTesting
{
    private AdmissionTesting()
    {
    }

    /**
     * @return a context on the test clock, no state file, every limit off (class buckets too, and the class pressure
     *         tiers at the watermark itself): each test turns on what it tests.
     */
    static AdmissionContext quietContext(final TestClock clock)
    {
        final AdmissionContext context = new AdmissionContext().clock(clock).nanoClock(clock).stateFile(null);
        for (final KeyKind kind : KeyKind.values())
        {
            for (final Traffic traffic : Traffic.values())
            {
                if (kind.limits(traffic))
                {
                    context.ratePerSecond(kind, traffic, 0);
                }
            }
        }
        for (final SourceClass sourceClass : ReputationSettings.bucketClasses())
        {
            for (final KeyKind kind : ReputationSettings.bucketKinds())
            {
                context.reputation().ratePerSecond(sourceClass, kind, 0);
            }
        }
        context.reputation().demotedConnections(0, 0).pressureSuspectAt(1).pressureUnknownAt(1).tenantReserve(0);
        return context;
    }

    /** @return the literal address; never a DNS lookup. */
    static InetAddress ip(final String literal)
    {
        try
        {
            return InetAddress.getByName(literal);
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalArgumentException(literal, ex);
        }
    }
}
