package io.sluice.control;

import java.util.ArrayList;
import java.util.List;

import io.sluice.delivery.Delivery;
import io.sluice.delivery.DeliveryCounter;

/** Reads delivery's route states and counters; changes nothing. */
public final class DeliveryControl implements DeliveryControlMXBean
{
    private final Delivery delivery;

    public DeliveryControl(final Delivery delivery)
    {
        this.delivery = delivery;
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
            lines.add(counter.name() + " " + delivery.counters().get(counter) + " (" + counter.label() + ")");
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
