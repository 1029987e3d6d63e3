package io.sluice.bounce;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Addresses no bounce may go to until their expiry (wall clock, epoch ms, so an operator reads real dates), at
 * most {@code maxEntries}: the entry added longest ago goes first. Expired entries are dropped when met.
 *
 * <p>NOT thread-safe: guarded by the {@link BouncePolicy}'s lock.
 */
final class SuppressionList
{
    private final int maxEntries;
    private final LinkedHashMap<String, Long> expiries = new LinkedHashMap<>();

    SuppressionList(final int maxEntries)
    {
        this.maxEntries = maxEntries;
    }

    /** @param address normalized. */
    boolean contains(final String address, final long nowMillis)
    {
        final Long expiry = expiries.get(address);
        if (expiry == null)
        {
            return false;
        }
        if (expiry <= nowMillis)
        {
            expiries.remove(address);
            return false;
        }
        return true;
    }

    /**
     * Lists {@code address} until {@code untilMillis}, or later if it already is.
     *
     * @return true if it was not listed before.
     */
    boolean add(final String address, final long untilMillis, final long nowMillis)
    {
        final boolean listed = contains(address, nowMillis);
        final Long previous = expiries.remove(address);
        expiries.put(address, previous == null ? untilMillis : Math.max(previous, untilMillis));
        if (expiries.size() > maxEntries)
        {
            final Iterator<String> eldest = expiries.keySet().iterator();
            eldest.next();
            eldest.remove();
        }
        return !listed;
    }

    boolean remove(final String address)
    {
        return expiries.remove(address) != null;
    }

    /** @return the address's expiry, expired or not, or null if it is not listed: to undo a change. */
    Long expiryOf(final String address)
    {
        return expiries.get(address);
    }

    /** Puts back an entry exactly as it was (undoing a change that could not be made durable). */
    void put(final String address, final long expiry)
    {
        expiries.put(address, expiry);
    }

    /** @return the listed addresses, oldest entry first, dropping the expired ones. */
    List<SuppressedAddress> list(final long nowMillis)
    {
        final List<SuppressedAddress> listed = new ArrayList<>(expiries.size());
        final Iterator<Map.Entry<String, Long>> entries = expiries.entrySet().iterator();
        while (entries.hasNext())
        {
            final Map.Entry<String, Long> entry = entries.next();
            if (entry.getValue() <= nowMillis)
            {
                entries.remove();
            }
            else
            {
                listed.add(new SuppressedAddress(entry.getKey(), entry.getValue()));
            }
        }
        return listed;
    }

    int size()
    {
        return expiries.size();
    }
}
