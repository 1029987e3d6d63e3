package io.sluice.drain;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A delivery layer that records what it is handed, with a settable number of free slots per route. */
final class RecordingGateway implements DeliveryGateway
{
    final List<Dispatch> delivered = new ArrayList<>();
    final Map<String, Integer> slots = new HashMap<>();
    RuntimeException failure;

    RecordingGateway slots(final String route, final int free)
    {
        slots.put(route, free);
        return this;
    }

    @Override
    public int capacity(final String route)
    {
        return slots.getOrDefault(route, 0);
    }

    @Override
    public void deliver(final Dispatch dispatch)
    {
        if (failure != null)
        {
            throw failure;
        }
        slots.merge(dispatch.route(), -1, Integer::sum);
        delivered.add(dispatch);
    }
}
