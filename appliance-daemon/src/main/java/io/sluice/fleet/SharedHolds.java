package io.sluice.fleet;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

import io.lettuce.core.api.async.RedisAsyncCommands;
import io.sluice.containment.Containment;
import io.sluice.containment.ContainmentFigures;
import io.sluice.containment.ContainmentListener;
import io.sluice.containment.HoldReason;
import io.sluice.counters.EnumCounters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tenant holds and releases across the fleet. A hold or release on this node (an operator's, or containment's own) is
 * written to the fleet's hash {@code <fleet.name>:holds} (tenant to "node reason") and announced on the channel
 * {@code <fleet.name>:events}; every other node applies it to its own containment as an operator hold ("held on fleet
 * node A: ...") or release, which journals its {@code HELD} or {@code RELEASED} statuses as a local one does. A node
 * applying a change it heard of does not announce it again ({@link #applying}), and a hold of a tenant already held
 * changes nothing, so no change echoes.
 *
 * <p>Redis away: changes made meanwhile are kept ({@link #pending}) and sent when it answers again; then the node reads
 * the hash and applies what it missed ({@link #catchUp}), which it also does every few seconds, in case a message was
 * lost. Applying a change (a state file write, journal appends) runs on the fleet's timer thread, never on Lettuce's
 * I/O thread or an SMTP event loop.
 */
final class SharedHolds implements ContainmentListener
{
    private static final Logger LOG = LoggerFactory.getLogger(SharedHolds.class);
    private static final String HOLD = "hold";
    private static final String RELEASE = "release";

    private final FleetContext context;
    private final FleetRedis redis;
    private final FleetHealth health;
    private final EnumCounters<FleetCounter> counters;
    private final Executor timer;
    private final ContainmentListener local;
    private final String holdsKey;
    private final String channel;
    /** Tenants whose change from another node is being applied on this thread: their listener calls are not sent back. */
    private final Set<String> applying = ConcurrentHashMap.newKeySet();
    /** Changes made here while Redis was away: tenant to held (true) or released (false), sent when it answers. */
    private final Map<String, Boolean> pending = new ConcurrentHashMap<>();
    /** Tenants held here because another node held them: released here when the fleet's hash no longer has them. */
    private final Set<String> heldForFleet = ConcurrentHashMap.newKeySet();
    private volatile Containment containment;

    SharedHolds(final FleetContext context, final FleetRedis redis, final FleetHealth health,
        final EnumCounters<FleetCounter> counters, final Executor timer, final ContainmentListener local)
    {
        this.context = context;
        this.redis = redis;
        this.health = health;
        this.counters = counters;
        this.timer = timer;
        this.local = local;
        holdsKey = context.key("holds");
        channel = context.key("events");
    }

    String channel()
    {
        return channel;
    }

    void bind(final Containment bound)
    {
        this.containment = bound;
    }

    @Override
    public void onHold(final String tenant, final HoldReason reason, final ContainmentFigures figures)
    {
        local.onHold(tenant, reason, figures);
        if (!applying.contains(tenant))
        {
            heldForFleet.remove(tenant);
            share(tenant, true, reason.name().toLowerCase(java.util.Locale.ROOT));
        }
    }

    @Override
    public void onRelease(final String tenant)
    {
        local.onRelease(tenant);
        if (!applying.contains(tenant))
        {
            heldForFleet.remove(tenant);
            share(tenant, false, "");
        }
    }

    @Override
    public void onPurge(final String tenant, final String note)
    {
        // A purge deletes this node's own spooled mail: each node's operator decides it for its own spool.
        local.onPurge(tenant, note);
    }

    private void share(final String tenant, final boolean held, final String why)
    {
        counters.increment(FleetCounter.HOLDS_SHARED);
        final RedisAsyncCommands<String, String> commands = redis.commands();
        if (commands == null || !health.isShared())
        {
            pending.put(tenant, held);
            LOG.warn("fleet: Redis is away; tenant {} {} here is told to the fleet when it answers", tenant,
                held ? "held" : "released");
            return;
        }
        final String event = (held ? HOLD : RELEASE) + " " + context.nodeId() + " " + tenant;
        (held ? commands.hset(holdsKey, tenant, context.nodeId() + " " + why).thenApply(x -> 1L)
            : commands.hdel(holdsKey, tenant))
            .thenCompose(written -> commands.publish(channel, event))
            .whenComplete((receivers, error) ->
            {
                if (error != null)
                {
                    pending.put(tenant, held);
                    health.failed(error);
                }
                else
                {
                    health.succeeded();
                }
            });
    }

    /** A message on the fleet's channel, on Lettuce's thread: applied on the timer thread. */
    void onMessage(final String message)
    {
        final String[] words = message.split(" ", 3);
        if (words.length != 3 || words[1].equals(context.nodeId()))
        {
            return;
        }
        final boolean held = HOLD.equals(words[0]);
        if (!held && !RELEASE.equals(words[0]))
        {
            return;
        }
        timer.execute(() -> apply(words[2], held, words[1]));
    }

    private void apply(final String tenant, final boolean held, final String node)
    {
        final Containment bound = containment;
        if (bound == null)
        {
            return;
        }
        applying.add(tenant);
        try
        {
            final boolean changed = held ? bound.hold(tenant, "held on fleet node " + node) : bound.release(tenant);
            if (changed)
            {
                counters.increment(FleetCounter.HOLDS_APPLIED);
                if (held)
                {
                    heldForFleet.add(tenant);
                }
                else
                {
                    heldForFleet.remove(tenant);
                }
                LOG.warn("fleet: tenant {} {} here because node {} did", tenant, held ? "held" : "released", node);
            }
        }
        catch (final RuntimeException ex)
        {
            LOG.error("fleet: applying node {}'s {} of tenant {} failed; the next catch-up tries again", node,
                held ? "hold" : "release", tenant, ex);
        }
        finally
        {
            applying.remove(tenant);
        }
    }

    /**
     * Sends what changed here while Redis was away, then applies what the fleet's hash says and this node missed.
     * Timer thread.
     */
    void catchUp()
    {
        final RedisAsyncCommands<String, String> commands = redis.commands();
        if (commands == null || !health.isShared() || containment == null)
        {
            return;
        }
        for (final Map.Entry<String, Boolean> change : Map.copyOf(pending).entrySet())
        {
            if (pending.remove(change.getKey(), change.getValue()))
            {
                share(change.getKey(), change.getValue(), "while Redis was away");
            }
        }
        commands.hgetall(holdsKey).whenComplete((holds, error) ->
        {
            if (error != null)
            {
                health.failed(error);
                return;
            }
            timer.execute(() -> applyHash(holds));
        });
    }

    private void applyHash(final Map<String, String> holds)
    {
        for (final Map.Entry<String, String> hold : holds.entrySet())
        {
            final String node = hold.getValue().split(" ", 2)[0];
            if (!node.equals(context.nodeId()) && !pending.containsKey(hold.getKey()))
            {
                apply(hold.getKey(), true, node);
            }
        }
        for (final String tenant : Set.copyOf(heldForFleet))
        {
            if (!holds.containsKey(tenant) && !pending.containsKey(tenant))
            {
                apply(tenant, false, "(the fleet's hash)");
            }
        }
    }
}
