package io.sluice.drain;

import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;

/**
 * The ready messages of one source queue, oldest (smallest id) first, without a tree node per message. Ids grow with
 * arrival time, so messages mostly come in order and are appended to a ring of slots (the entry and its
 * {@link MessageEntry#timerSeq} when it came): 8 bytes a message where a {@code TreeSet} node took 40. One placed again
 * out of order (a retry come due, a dispatch handed back, a demotion ended) goes to a small id-ordered set beside the
 * ring; the head is the older of the two heads. One that leaves from inside the ring (its snapshot changed, a demotion
 * or an operator moved it) is not searched for: its timer sequence moves on, which makes its slot stale, and stale
 * slots are dropped when they reach the head or when they outnumber the live ones (amortised O(1)).
 *
 * <p>Most of a backlog has no entry at all: a message that arrived ready and has had no snapshot since is <em>bare</em>,
 * only its id in {@link BareIds} (8 to 12 bytes), its ages in its lane's {@link BareAges}. The head is the oldest of
 * the three. Drain thread only.
 */
final class SourceQueue
{
    private static final int INITIAL_SLOTS = 4;
    private static final int MIN_STALE_BEFORE_COMPACTION = 8;
    private static final int SHRINK_ABOVE_SLOTS = 64;
    private static final Comparator<MessageEntry> OLDEST_FIRST = Comparator.comparingLong(entry -> entry.messageId);

    private final FairNode owner;
    private static final MessageEntry[] NO_ENTRIES = new MessageEntry[0];
    private static final int[] NO_SEQS = new int[0];

    /** Empty until an entry is queued: a queue of bare messages only (a backlog's) allocates no ring. */
    private MessageEntry[] entries = NO_ENTRIES;
    private int[] seqs = NO_SEQS;
    private int head;
    /** Slots in use from {@link #head}, live or stale. */
    private int slots;
    /** Live slots in the ring. */
    private int live;
    /** The id last appended: an entry with a greater id keeps the ring in order. */
    private long tailId = Long.MIN_VALUE;
    /** Entries placed again behind the ring's tail; null until one is. */
    private TreeSet<MessageEntry> returns;
    /** Ready messages without an entry, by id. */
    final BareIds bare = new BareIds();

    SourceQueue(final FairNode owner)
    {
        this.owner = owner;
    }

    boolean isEmpty()
    {
        return live == 0 && (returns == null || returns.isEmpty()) && bare.size() == 0;
    }

    /** @return true if the oldest ready message is bare (then {@link #first} is not the oldest); false when empty. */
    boolean bareIsFirst()
    {
        final long bareFirst = bare.first();
        if (bareFirst == 0)
        {
            return false;
        }
        final MessageEntry entry = first();
        return entry == null || bareFirst < entry.messageId;
    }

    /** Queues a ready entry whose {@code leaf} is this queue's node. */
    void add(final MessageEntry entry)
    {
        if (live == 0 && slots > 0)
        {
            clearRing();
        }
        if (entry.messageId > tailId)
        {
            if (slots == entries.length)
            {
                // Stale slots go first; only a ring at least half live grows.
                resize(Math.max(INITIAL_SLOTS, live * 2 >= entries.length ? entries.length * 2 : entries.length));
            }
            final int at = (head + slots) & (entries.length - 1);
            entries[at] = entry;
            seqs[at] = entry.timerSeq;
            slots++;
            live++;
            tailId = entry.messageId;
        }
        else
        {
            if (returns == null)
            {
                returns = new TreeSet<>(OLDEST_FIRST);
            }
            returns.add(entry);
        }
    }

    /** @return the oldest ready entry (a bare message may be older: {@link #bareIsFirst}); null if there is none. */
    MessageEntry first()
    {
        final MessageEntry ring = ringHead();
        if (returns == null || returns.isEmpty())
        {
            return ring;
        }
        final MessageEntry returned = returns.first();
        return ring == null || returned.messageId < ring.messageId ? returned : ring;
    }

    /** Takes a queued entry out; its timer sequence moves on, so a slot it leaves inside the ring is stale. */
    void remove(final MessageEntry entry)
    {
        if (returns != null && returns.remove(entry))
        {
            return;
        }
        final boolean atHead = ringHead() == entry;
        entry.timerSeq++;
        live--;
        if (atHead)
        {
            popHead();
        }
        else if (slots - live > live + MIN_STALE_BEFORE_COMPACTION)
        {
            resize(entries.length);
        }
    }

    /** Adds every queued entry to {@code found}. */
    void addTo(final List<MessageEntry> found)
    {
        for (int i = 0; i < slots; i++)
        {
            final int at = (head + i) & (entries.length - 1);
            if (isLive(at))
            {
                found.add(entries[at]);
            }
        }
        if (returns != null)
        {
            found.addAll(returns);
        }
    }

    private MessageEntry ringHead()
    {
        while (slots > 0 && !isLive(head))
        {
            popHead();
        }
        return slots > 0 ? entries[head] : null;
    }

    private boolean isLive(final int at)
    {
        final MessageEntry entry = entries[at];
        return entry.timerSeq == seqs[at] && entry.state == MessageEntry.READY && entry.leaf == owner;
    }

    private void popHead()
    {
        entries[head] = null;
        head = (head + 1) & (entries.length - 1);
        slots--;
    }

    private void clearRing()
    {
        if (entries.length > SHRINK_ABOVE_SLOTS)
        {
            // A flood's queue drained: its arrays go with it.
            entries = NO_ENTRIES;
            seqs = NO_SEQS;
        }
        else
        {
            while (slots > 0)
            {
                popHead();
            }
        }
        slots = 0;
        head = 0;
        tailId = Long.MIN_VALUE;
    }

    /** Copies the live slots, in order, into arrays of {@code capacity} (a power of two), dropping the stale ones. */
    private void resize(final int capacity)
    {
        final MessageEntry[] movedEntries = new MessageEntry[capacity];
        final int[] movedSeqs = new int[capacity];
        int kept = 0;
        for (int i = 0; i < slots; i++)
        {
            final int at = (head + i) & (entries.length - 1);
            if (isLive(at))
            {
                movedEntries[kept] = entries[at];
                movedSeqs[kept] = seqs[at];
                kept++;
            }
        }
        entries = movedEntries;
        seqs = movedSeqs;
        head = 0;
        slots = kept;
    }
}
