package io.sluice.fleet;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

import io.lettuce.core.api.async.RedisAsyncCommands;
import io.sluice.counters.EnumCounters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One kind of switch the fleet shares (tenant holds, an operator's drain pauses, the blocklist): a set of entries, each
 * with a value, on or off on every node alike. A change on this node is written to the kind's hash
 * {@code <fleet.name>:<kind>} (entry to "node value") and announced on the channel {@code <fleet.name>:events} as
 * {@code <on-word> <node> <entry> [value]} or {@code <off-word> <node> <entry>}; every other node applies it through
 * its {@link Applier}. A node applying a change it heard of does not announce it again ({@link #isApplying}), and an
 * applier that finds nothing to change says so, so no change echoes.
 *
 * <p>Redis away: changes made meanwhile are kept ({@link #pending}) and sent when it answers again; then the node reads
 * the hash and applies what it missed ({@link #catchUp}), which it also does every few seconds, in case a message was
 * lost. Applying a change (a state file write, journal appends) runs on the fleet's timer thread, never on Lettuce's
 * I/O thread or an SMTP event loop.
 *
 * <p>Redis keeps no state the fleet cannot rebuild: a Redis that restarts empty loses the hashes, so each node writes
 * back the entries it switched on itself ({@link #mine}) at each catch-up, and a node switches an entry off only when
 * the catch-ups have missed it for {@link #MISSING_GRACE_NANOS} ({@link #missingSince}), by which time every live node
 * has caught up and written its own back.
 */
final class SharedEntries
{
    private static final Logger LOG = LoggerFactory.getLogger(SharedEntries.class);
    /** A periodic catch-up's interval: every live node has caught up (and written its own entries back) within it. */
    static final long MISSING_GRACE_NANOS = 5_000_000_000L;

    /** Applies another node's change here. */
    @FunctionalInterface
    interface Applier
    {
        /**
         * @param value the entry's value when switched on (a hold's reason, a block's expiry); "" when off.
         * @return true if it changed something here.
         */
        boolean apply(String entry, boolean on, String value, String node);
    }

    /** A change made here while Redis was away. */
    private record Change(boolean on, String value)
    {
    }

    private final String kind;
    private final String onWord;
    private final String offWord;
    private final FleetContext context;
    private final FleetRedis redis;
    private final FleetHealth health;
    private final EnumCounters<FleetCounter> counters;
    private final FleetCounter sharedCounter;
    private final FleetCounter appliedCounter;
    private final Executor timer;
    private final String hashKey;
    private final String channel;
    /** Entries whose change from another node is being applied: this node's own listener does not send it back. */
    private final Set<String> applying = ConcurrentHashMap.newKeySet();
    private final Map<String, Change> pending = new ConcurrentHashMap<>();
    /** Entries on here because another node switched them on: off here when the fleet's hash no longer has them. */
    private final Set<String> onForFleet = ConcurrentHashMap.newKeySet();
    /** The value each entry of {@link #onForFleet} was switched on with: a catch-up does not apply it again. */
    private final Map<String, String> appliedValues = new ConcurrentHashMap<>();
    /** Entries this node switched on itself, with their values: written back when the fleet's hash lost them. */
    private final Map<String, String> mine = new ConcurrentHashMap<>();
    /** Entries of {@link #onForFleet} the catch-ups did not find in the hash, since when (ns). Timer thread. */
    private final Map<String, Long> missingSince = new ConcurrentHashMap<>();
    private volatile Applier applier;

    /**
     * @param kind    the hash's name under the fleet's, e.g. {@code holds}, and the log's word for it.
     * @param onWord  the event's first word for an entry switched on, e.g. {@code hold}; unique on the channel.
     * @param offWord the same for off, e.g. {@code release}.
     */
    SharedEntries(final String kind, final String onWord, final String offWord, final FleetContext context,
        final FleetRedis redis, final FleetHealth health, final EnumCounters<FleetCounter> counters,
        final FleetCounter sharedCounter, final FleetCounter appliedCounter, final Executor timer)
    {
        this.kind = kind;
        this.onWord = onWord;
        this.offWord = offWord;
        this.context = context;
        this.redis = redis;
        this.health = health;
        this.counters = counters;
        this.sharedCounter = sharedCounter;
        this.appliedCounter = appliedCounter;
        this.timer = timer;
        hashKey = context.key(kind);
        channel = context.key("events");
    }

    /** Binds how other nodes' changes are applied here; until then, they wait for the next catch-up. */
    void bind(final Applier bound)
    {
        applier = bound;
    }

    /** @return true while this thread applies another node's change of {@code entry}: not to be sent back. */
    boolean isApplying(final String entry)
    {
        return applying.contains(entry);
    }

    /**
     * A change made on this node: forgets that the fleet switched the entry here, and tells the fleet.
     *
     * @param value the entry's value when on (no spaces needed, but allowed); ignored when off.
     */
    void share(final String entry, final boolean on, final String value)
    {
        onForFleet.remove(entry);
        appliedValues.remove(entry);
        if (on)
        {
            mine.put(entry, value);
        }
        else
        {
            mine.remove(entry);
        }
        send(entry, on, value);
    }

    private void send(final String entry, final boolean on, final String value)
    {
        counters.increment(sharedCounter);
        final RedisAsyncCommands<String, String> commands = redis.commands();
        if (commands == null || !health.isShared())
        {
            pending.put(entry, new Change(on, value));
            LOG.warn("fleet: Redis is away; {} {} {} here is told to the fleet when it answers", kind, entry,
                on ? onWord : offWord);
            return;
        }
        final String event = on ? onWord + " " + context.nodeId() + " " + entry + " " + value
            : offWord + " " + context.nodeId() + " " + entry;
        (on ? commands.hset(hashKey, entry, context.nodeId() + " " + value).thenApply(x -> 1L)
            : commands.hdel(hashKey, entry))
            .thenCompose(written -> commands.publish(channel, event))
            .whenComplete((receivers, error) ->
            {
                if (error != null)
                {
                    pending.put(entry, new Change(on, value));
                    health.failed(error);
                }
                else
                {
                    health.succeeded();
                }
            });
    }

    /**
     * A message on the fleet's channel, on Lettuce's thread: applied on the timer thread if it is this kind's.
     *
     * @return true if it was this kind's (from any node).
     */
    boolean onMessage(final String message)
    {
        final String[] words = message.split(" ", 4);
        final boolean on = onWord.equals(words[0]);
        if (!on && !offWord.equals(words[0]))
        {
            return false;
        }
        if (words.length >= 3 && !words[1].equals(context.nodeId()))
        {
            final String value = on && words.length == 4 ? words[3] : "";
            timer.execute(() -> apply(words[2], on, value, words[1]));
        }
        return true;
    }

    private void apply(final String entry, final boolean on, final String value, final String node)
    {
        final Applier bound = applier;
        if (bound == null)
        {
            return;
        }
        applying.add(entry);
        try
        {
            if (bound.apply(entry, on, value, node))
            {
                counters.increment(appliedCounter);
                mine.remove(entry);
                if (on)
                {
                    onForFleet.add(entry);
                    appliedValues.put(entry, value);
                }
                else
                {
                    onForFleet.remove(entry);
                    appliedValues.remove(entry);
                }
                LOG.warn("fleet: {} {} {} here because node {} did", kind, entry, on ? onWord : offWord, node);
            }
        }
        catch (final RuntimeException ex)
        {
            LOG.error("fleet: applying node {}'s {} of {} {} failed; the next catch-up tries again", node,
                on ? onWord : offWord, kind, entry, ex);
        }
        finally
        {
            applying.remove(entry);
        }
    }

    /**
     * Sends what changed here while Redis was away, then applies what the fleet's hash says and this node missed.
     * Timer thread.
     */
    void catchUp()
    {
        final RedisAsyncCommands<String, String> commands = redis.commands();
        if (commands == null || !health.isShared() || applier == null)
        {
            return;
        }
        for (final Map.Entry<String, Change> change : Map.copyOf(pending).entrySet())
        {
            if (pending.remove(change.getKey(), change.getValue()))
            {
                send(change.getKey(), change.getValue().on(), change.getValue().value());
            }
        }
        commands.hgetall(hashKey).whenComplete((entries, error) ->
        {
            if (error != null)
            {
                health.failed(error);
                return;
            }
            timer.execute(() -> applyHash(entries));
        });
    }

    private void applyHash(final Map<String, String> entries)
    {
        for (final Map.Entry<String, String> entry : entries.entrySet())
        {
            final String[] nodeAndValue = entry.getValue().split(" ", 2);
            final String node = nodeAndValue[0];
            final String value = nodeAndValue.length == 2 ? nodeAndValue[1] : "";
            final boolean appliedSo = onForFleet.contains(entry.getKey()) && value.equals(appliedValues.get(entry.getKey()));
            if (!node.equals(context.nodeId()) && !pending.containsKey(entry.getKey()) && !appliedSo)
            {
                apply(entry.getKey(), true, value, node);
            }
        }
        for (final Map.Entry<String, String> own : Map.copyOf(mine).entrySet())
        {
            if (!entries.containsKey(own.getKey()) && !pending.containsKey(own.getKey()))
            {
                LOG.warn("fleet: the fleet's {} lost {} (Redis restarted empty?); this node, which made it, writes it back",
                    kind, own.getKey());
                send(own.getKey(), true, own.getValue());
            }
        }
        final long now = System.nanoTime();
        for (final String entry : Set.copyOf(onForFleet))
        {
            if (entries.containsKey(entry) || pending.containsKey(entry))
            {
                missingSince.remove(entry);
            }
            else if (now - missingSince.computeIfAbsent(entry, missing -> now) >= MISSING_GRACE_NANOS)
            {
                missingSince.remove(entry);
                apply(entry, false, "", "(the fleet's hash)");
            }
        }
    }
}
