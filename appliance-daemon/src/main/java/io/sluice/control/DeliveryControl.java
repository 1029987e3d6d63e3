package io.sluice.control;

import java.util.ArrayList;
import java.util.List;

import io.sluice.delivery.Delivery;
import io.sluice.delivery.DeliveryCounter;
import io.sluice.outcome.OutcomeCounter;
import io.sluice.outcome.OutcomeStage;

/** Reads delivery's route states and counters, and the outcome stage's, which journals delivery's replies; changes nothing. */
public final class DeliveryControl implements DeliveryControlMXBean
{
    private final Delivery delivery;
    private final OutcomeStage outcomes;

    /** @param outcomes the stage delivery reports to, for its counters; null for none. */
    public DeliveryControl(final Delivery delivery, final OutcomeStage outcomes)
    {
        this.delivery = delivery;
        this.outcomes = outcomes;
    }

    @Override
    public String[] getRoutes()
    {
        return delivery.routeStates().toArray(String[]::new);
    }

    @Override
    public String[] getCounters()
    {
        final List<String> lines = new ArrayList<>();
        for (final DeliveryCounter counter : DeliveryCounter.values())
        {
            if (counter.inUse())
            {
                lines.add(counter.name() + " " + delivery.counters().get(counter) + " (" + counter.label() + ")");
            }
        }
        if (outcomes != null)
        {
            for (final OutcomeCounter counter : OutcomeCounter.values())
            {
                lines.add(counter.name() + " " + outcomes.counters().get(counter) + " (" + counter.label() + ")");
            }
        }
        return lines.toArray(String[]::new);
    }

    @Override
    public String[] getVerifiers()
    {
        return delivery.verifierStates().toArray(String[]::new);
    }

    @Override
    public long getBytesInFlight()
    {
        return delivery.bytesInFlight();
    }
}
