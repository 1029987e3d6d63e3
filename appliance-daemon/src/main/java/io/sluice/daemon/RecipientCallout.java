package io.sluice.daemon;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import io.sluice.delivery.Delivery;
import io.sluice.delivery.ProbeVerdict;
import io.sluice.delivery.RecipientVerifier;
import io.sluice.drain.RouteTable;
import io.sluice.ingress.RecipientVerification;

/**
 * Ingress's recipient verification answered by delivery: the route a message from this tenant on this lane leaves by
 * (the drain's route table), and that route's {@link RecipientVerifier} if it verifies recipients. Ingress and delivery
 * never import each other; this is where they meet.
 */
final class RecipientCallout implements RecipientVerification
{
    /** Each verdict completed once, for the answers the cache gives at once: nothing is allocated for them. */
    private static final Map<ProbeVerdict, CompletableFuture<Verdict>> COMPLETED = new EnumMap<>(ProbeVerdict.class);

    static
    {
        for (final ProbeVerdict probe : ProbeVerdict.values())
        {
            COMPLETED.put(probe, CompletableFuture.completedFuture(verdict(probe)));
        }
    }

    private final RouteTable routes;
    private final Delivery delivery;

    RecipientCallout(final RouteTable routes, final Delivery delivery)
    {
        this.routes = routes;
        this.delivery = delivery;
    }

    @Override
    public CompletionStage<Verdict> verify(final String tenant, final String lane, final String recipient)
    {
        final RecipientVerifier verifier = delivery.recipientVerifier(routes.route(tenant, lane));
        if (verifier == null)
        {
            return null;
        }
        final CompletableFuture<ProbeVerdict> probe = verifier.verify(recipient).toCompletableFuture();
        if (probe.isDone())
        {
            return COMPLETED.get(probe.getNow(ProbeVerdict.UNAVAILABLE));
        }
        return probe.thenApply(RecipientCallout::verdict);
    }

    private static Verdict verdict(final ProbeVerdict probe)
    {
        return switch (probe)
        {
            case EXISTS -> Verdict.EXISTS;
            case UNKNOWN -> Verdict.UNKNOWN;
            case TEMPFAIL -> Verdict.TEMPFAIL;
            case UNAVAILABLE -> Verdict.UNAVAILABLE;
        };
    }
}
