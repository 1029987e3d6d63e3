package io.sluice.drain;

import java.util.HashMap;
import java.util.Map;

import org.agrona.collections.Hashing;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * What the backlog's ages need of one lane's bare messages (see {@link SourceQueue}), which have no entry to walk:
 * per tenant and second of arrival, how many and their bytes, and the earliest arrival among them. A flood arriving over
 * an hour costs 3,600 rows here, not one object per message. An age is reckoned from the earliest arrival of its
 * second, so a message may be counted in the older of two age buckets during the last second before it moves on; the
 * oldest arrival may be up to a second older than the oldest message left. Drain thread only.
 */
final class BareAges
{
    private static final int COUNT = 0;
    private static final int BYTES = 1;
    private static final int EARLIEST = 2;

    /** Tenant to second of arrival to {count, bytes, earliest arrival millis}. */
    private final Map<String, Long2ObjectHashMap<long[]>> byTenant = new HashMap<>();

    /** Visits one row of counts. */
    @FunctionalInterface
    interface RowVisitor
    {
        void visit(String tenant, long count, long bytes, long earliestMillis);
    }

    void add(final String tenant, final long receivedAtMillis, final long bytes)
    {
        final Long2ObjectHashMap<long[]> seconds = byTenant.computeIfAbsent(tenant,
            name -> new Long2ObjectHashMap<>(8, Hashing.DEFAULT_LOAD_FACTOR, false));
        final long second = Math.floorDiv(receivedAtMillis, 1000L);
        long[] row = seconds.get(second);
        if (row == null)
        {
            row = new long[] {0, 0, receivedAtMillis};
            seconds.put(second, row);
        }
        row[COUNT]++;
        row[BYTES] += bytes;
        row[EARLIEST] = Math.min(row[EARLIEST], receivedAtMillis);
    }

    void remove(final String tenant, final long receivedAtMillis, final long bytes)
    {
        final Long2ObjectHashMap<long[]> seconds = byTenant.get(tenant);
        final long second = Math.floorDiv(receivedAtMillis, 1000L);
        final long[] row = seconds == null ? null : seconds.get(second);
        if (row == null)
        {
            throw new IllegalStateException("no bare message of tenant " + tenant + " received at " + receivedAtMillis);
        }
        row[BYTES] -= bytes;
        if (--row[COUNT] == 0)
        {
            seconds.remove(second);
            if (seconds.isEmpty())
            {
                byTenant.remove(tenant);
            }
        }
    }

    void forEach(final RowVisitor visitor)
    {
        for (final Map.Entry<String, Long2ObjectHashMap<long[]>> tenant : byTenant.entrySet())
        {
            for (final long[] row : tenant.getValue().values())
            {
                visitor.visit(tenant.getKey(), row[COUNT], row[BYTES], row[EARLIEST]);
            }
        }
    }
}
