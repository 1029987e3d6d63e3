package io.sluice.admission;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Reputation per address and per network (/24, /64 by default), learnt from outcomes: clean deliveries against
 * policy rejections, spoofs, unknown recipients and refused commands ({@link ReputationEvent}). Points decay with a
 * half-life, so a network that stops sending bad mail comes back to {@link SourceClass#UNKNOWN}.
 *
 * <p>A message's standing is the worse of its address's and its network's: DEMOTED if either has a bad record,
 * else CLEAN if either has a clean one, else UNKNOWN. So a partner's twenty relays share their network's clean
 * record from the first minute, and one compromised host in a clean network is demoted on its own.
 *
 * <p>Thread-safe: lookups are lock-free, an entry's points are updated under its own monitor. Bounded at
 * {@link ReputationSettings#MAX_KEYS}: an insert over the limit drops the entry with the fewest points among a few
 * examined, which loses the least.
 */
final class ReputationTable
{
    private static final int EVICTION_SCAN = 16;
    /** An entry with fewer points than this (clean plus bad) says nothing and is not saved. */
    private static final double NEGLIGIBLE = 0.05;

    private final ConcurrentHashMap<ReputationEntry, ReputationEntry> entries;
    private final int maxKeys;
    private final long halfLifeMs;
    private final double demoteAfter;
    private final double cleanAfter;
    private final double establishedAfter;
    private final int ipv4PrefixLength;
    private final int ipv6PrefixLength;
    private final Clock clock;
    private final AtomicBoolean evicting = new AtomicBoolean();
    /** Guarded by {@link #evicting}. */
    private Iterator<ReputationEntry> cursor;

    ReputationTable(final ReputationSettings settings, final int ipv4PrefixLength, final int ipv6PrefixLength,
        final Clock clock)
    {
        this.clock = clock;
        this.maxKeys = settings.maxKeys();
        this.entries = new ConcurrentHashMap<>(Math.min(maxKeys, 1 << 16));
        this.halfLifeMs = settings.halfLifeMs();
        this.demoteAfter = settings.demoteAfter();
        this.cleanAfter = settings.cleanAfter();
        this.establishedAfter = settings.establishedAfter();
        this.ipv4PrefixLength = ipv4PrefixLength;
        this.ipv6PrefixLength = ipv6PrefixLength;
    }

    private int networkPrefix(final byte[] address)
    {
        return address.length == 4 ? ipv4PrefixLength : ipv6PrefixLength;
    }

    /** @return DEMOTED, CLEAN or UNKNOWN for a message from {@code address} now; never inserts. */
    SourceClass standing(final byte[] address, final long nowMillis)
    {
        if (entries.isEmpty())
        {
            return SourceClass.UNKNOWN;
        }
        final SourceClass own = standingOf(KeyProbe.local().entry(address, address.length * 8), nowMillis);
        if (own == SourceClass.DEMOTED)
        {
            return own;
        }
        final SourceClass network = standingOf(KeyProbe.local().entry(address, networkPrefix(address)), nowMillis);
        if (network == SourceClass.DEMOTED || network == SourceClass.CLEAN)
        {
            return network;
        }
        return own;
    }

    /**
     * @return whether a source whose standing is CLEAN is also established: its network's or its own clean record
     *         reaches {@link ReputationSettings#ESTABLISHED_AFTER}. Network first: a partner's relays share its record.
     */
    boolean isEstablished(final byte[] address, final long nowMillis)
    {
        return isEstablished(KeyProbe.local().entry(address, networkPrefix(address)), nowMillis)
            || isEstablished(KeyProbe.local().entry(address, address.length * 8), nowMillis);
    }

    private boolean isEstablished(final KeyProbe probe, final long nowMillis)
    {
        final ReputationEntry entry = entries.get(probe);
        return entry != null && entry.isEstablished(nowMillis, halfLifeMs, establishedAfter);
    }

    /** @return whether {@code address}'s network (not the address alone) has a bad record now. */
    boolean isNetworkDemoted(final byte[] address, final long nowMillis)
    {
        return !entries.isEmpty()
            && standingOf(KeyProbe.local().entry(address, networkPrefix(address)), nowMillis) == SourceClass.DEMOTED;
    }

    private SourceClass standingOf(final KeyProbe probe, final long nowMillis)
    {
        final ReputationEntry entry = entries.get(probe);
        return entry == null ? SourceClass.UNKNOWN : entry.standing(nowMillis, halfLifeMs, demoteAfter, cleanAfter);
    }

    /** Counts an event for the address and for its network. */
    void record(final byte[] address, final ReputationEvent event, final long nowMillis)
    {
        entry(KeyProbe.local().entry(address, address.length * 8)).record(event, nowMillis, halfLifeMs);
        entry(KeyProbe.local().entry(address, networkPrefix(address))).record(event, nowMillis, halfLifeMs);
    }

    private ReputationEntry entry(final KeyProbe probe)
    {
        final ReputationEntry existing = entries.get(probe);
        if (existing != null)
        {
            return existing;
        }
        final ReputationEntry fresh = probe.toEntry();
        final ReputationEntry raced = entries.putIfAbsent(fresh, fresh);
        if (raced != null)
        {
            return raced;
        }
        if (entries.size() > maxKeys)
        {
            evict(fresh);
        }
        return fresh;
    }

    private void evict(final ReputationEntry keep)
    {
        if (!evicting.compareAndSet(false, true))
        {
            return;
        }
        try
        {
            final long nowMillis = clock.millis();
            while (entries.size() > maxKeys)
            {
                ReputationEntry lightest = null;
                double lightestWeight = Double.MAX_VALUE;
                for (int i = 0; i < EVICTION_SCAN; i++)
                {
                    if (cursor == null || !cursor.hasNext())
                    {
                        cursor = entries.values().iterator();
                        if (!cursor.hasNext())
                        {
                            return;
                        }
                    }
                    final ReputationEntry candidate = cursor.next();
                    final double weight = candidate == keep ? Double.MAX_VALUE : candidate.weight(nowMillis, halfLifeMs);
                    if (weight < lightestWeight)
                    {
                        lightest = candidate;
                        lightestWeight = weight;
                    }
                }
                if (lightest == null || !entries.remove(lightest, lightest))
                {
                    return;
                }
            }
        }
        finally
        {
            evicting.set(false);
        }
    }

    int size()
    {
        return entries.size();
    }

    /**
     * @param text an address ({@code 198.51.100.7}) or a network of the configured prefix length
     *             ({@code 198.51.100.0/24})
     * @return its reputation, or null if it has none.
     * @throws IllegalArgumentException if the text is neither.
     */
    SourceReputation describe(final String text, final long nowMillis)
    {
        final String trimmed = text == null ? "" : text.trim();
        final ReputationEntry probe;
        if (trimmed.indexOf('/') >= 0)
        {
            final TrackedKey key = TrackedKey.parse(KeyKind.NETWORK, trimmed, ipv4PrefixLength, ipv6PrefixLength);
            probe = new ReputationEntry(key.ipv6, key.prefixLength, key.high, key.low);
        }
        else
        {
            final TrackedKey key = TrackedKey.parse(KeyKind.IP, trimmed, ipv4PrefixLength, ipv6PrefixLength);
            probe = new ReputationEntry(key.ipv6, key.prefixLength, key.high, key.low);
        }
        final ReputationEntry entry = entries.get(probe);
        return entry == null ? null : describe(entry, nowMillis);
    }

    /**
     * @return the {@code n} entries with the lowest score (the worst record first). Walks the whole table: for the
     *         control plane only.
     */
    List<SourceReputation> worst(final int n, final long nowMillis)
    {
        record Candidate(ReputationEntry entry, double score)
        {
        }
        final PriorityQueue<Candidate> top = new PriorityQueue<>(Comparator.comparingDouble(Candidate::score).reversed());
        for (final ReputationEntry entry : entries.values())
        {
            final ReputationEntry.Saved points = entry.save(nowMillis, halfLifeMs);
            final double score = score(points);
            if (top.size() < n || score < top.peek().score())
            {
                top.add(new Candidate(entry, score));
                if (top.size() > n)
                {
                    top.poll();
                }
            }
        }
        final List<SourceReputation> worst = new ArrayList<>(top.size());
        for (final Candidate candidate : top)
        {
            worst.add(describe(candidate.entry(), nowMillis));
        }
        worst.sort(Comparator.comparingDouble(SourceReputation::score).thenComparing(SourceReputation::key));
        return worst;
    }

    private static double score(final ReputationEntry.Saved points)
    {
        return points.clean() - points.bad() / ReputationEntry.TOLERANCE;
    }

    private SourceReputation describe(final ReputationEntry entry, final long nowMillis)
    {
        final ReputationEntry.Saved points = entry.save(nowMillis, halfLifeMs);
        final SourceClass standing = entry.standing(nowMillis, halfLifeMs, demoteAfter, cleanAfter);
        final Map<String, Integer> counts = new LinkedHashMap<>();
        final StringBuilder events = new StringBuilder();
        for (final ReputationEvent event : ReputationEvent.values())
        {
            final int count = points.counts()[event.ordinal()];
            counts.put(event.label(), count);
            if (count > 0)
            {
                events.append(events.length() == 0 ? "" : ", ").append(count).append(' ').append(event.label());
            }
        }
        final String why = String.format(Locale.ROOT, "%s: %.1f clean / %.1f bad points (demoted at %.1f bad over %.0f%% "
            + "of clean, clean from %.0f); seen: %s%s", standing.label(), points.clean(), points.bad(), demoteAfter,
            ReputationEntry.TOLERANCE * 100, cleanAfter, events.length() == 0 ? "nothing" : events,
            points.lastBad() >= 0 ? "; last bad: " + ReputationEvent.values()[points.lastBad()].label() : "");
        return new SourceReputation(entry.text(), entry.isNetwork(), standing, score(points), points.clean(), points.bad(),
            counts, why);
    }

    /**
     * Writes every entry that still carries points to {@code path}, atomically; entries decayed to nothing are
     * dropped from the table too.
     *
     * @return the entries written.
     */
    int save(final Path path, final long nowMillis) throws IOException
    {
        final ReputationStateFile.Writer writer = new ReputationStateFile.Writer();
        for (final ReputationEntry entry : entries.values())
        {
            final ReputationEntry.Saved points = entry.save(nowMillis, halfLifeMs);
            if (points.clean() + points.bad() < NEGLIGIBLE)
            {
                entries.remove(entry, entry);
                continue;
            }
            writer.entry(entry.ipv6, entry.prefixLength, entry.high, entry.low, points);
        }
        return writer.commit(path, nowMillis);
    }

    /** Drops entries decayed to nothing; for when there is no file to write. @return how many were dropped. */
    int sweep(final long nowMillis)
    {
        int dropped = 0;
        for (final ReputationEntry entry : entries.values())
        {
            if (entry.weight(nowMillis, halfLifeMs) < NEGLIGIBLE && entries.remove(entry, entry))
            {
                dropped++;
            }
        }
        return dropped;
    }

    /** @return the entries restored: those whose prefix length is still an address's or the configured network's. */
    int restore(final List<ReputationStateFile.SavedEntry> saved)
    {
        int restored = 0;
        for (final ReputationStateFile.SavedEntry one : saved)
        {
            final int full = one.ipv6() ? 128 : 32;
            final int network = one.ipv6() ? ipv6PrefixLength : ipv4PrefixLength;
            if (one.prefixLength() != full && one.prefixLength() != network)
            {
                continue;
            }
            final ReputationEntry entry = new ReputationEntry(one.ipv6(), one.prefixLength(), one.high(), one.low());
            entry.restore(one.points());
            if (entries.putIfAbsent(entry, entry) == null)
            {
                restored++;
            }
        }
        return restored;
    }
}
