package io.sluice.fleet;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.github.bucket4j.TimeMeter;
import io.lettuce.core.Range;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.sluice.admission.SharedRates;
import io.sluice.bounce.BounceContext;
import io.sluice.bounce.BudgetShare;
import io.sluice.containment.Containment;
import io.sluice.containment.ContainmentListener;
import io.sluice.counters.EnumCounters;
import io.sluice.drain.EgressTokens;
import io.sluice.drain.RouteSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fleet node on Redis. Its timer thread ({@code sluice-fleet}) connects, refreshes this node's liveness (a member of
 * the sorted set {@code <fleet.name>:nodes}, scored with the time of its last refresh; members older than
 * {@code fleet.livenessTtlMs} are dropped, and the rest counted as the live nodes), gives back idle borrowed tokens,
 * syncs the bounce budget, applies holds, pauses and blocks heard from other nodes, and catches up with their hashes.
 * Nothing here runs on the drain or an SMTP thread but the drain's and admission's non-blocking token calls.
 */
final class RedisFleet implements Fleet, FleetSwitches
{
    private static final Logger LOG = LoggerFactory.getLogger(RedisFleet.class);
    private static final long RETURN_IDLE_INTERVAL_MS = 100;
    private static final long CATCH_UP_INTERVAL_MS = 5_000;

    private final FleetContext context;
    private final EnumCounters<FleetCounter> counters = new EnumCounters<>(FleetCounter.class, "fleet");
    private final FleetHealth health = new FleetHealth(counters);
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r ->
    {
        final Thread thread = new Thread(r, "sluice-fleet");
        thread.setDaemon(true);
        return thread;
    });
    private final FleetRedis redis;
    private final Map<String, SharedTokens> routes = new ConcurrentHashMap<>();
    private final SharedAdmissionRates admissionRates;
    /** Every kind of shared switch: the holds first, then {@link FleetSwitches.Kind}'s. */
    private final List<SharedEntries> shared = new ArrayList<>();
    private final SharedEntries holdEntries;
    private final Map<Kind, SharedEntries> switches = new EnumMap<>(Kind.class);
    private volatile SharedBounceBudget bounceBudget;

    private RedisFleet(final FleetContext context)
    {
        this.context = context;
        redis = new FleetRedis(context, health, context.key("events"), this::onMessage);
        admissionRates = new SharedAdmissionRates((key, rate, burst) -> new SharedTokens(context.key(key), rate, burst,
            context.batchMs(), true, health, counters, TimeMeter.SYSTEM_NANOTIME, redis::buckets));
        holdEntries = entries("holds", "hold", "release", FleetCounter.HOLDS_SHARED, FleetCounter.HOLDS_APPLIED);
        for (final Kind kind : Kind.values())
        {
            switches.put(kind, entries(kind.hash(), kind.onWord(), kind.offWord(), FleetCounter.SWITCHES_SHARED,
                FleetCounter.SWITCHES_APPLIED));
        }
    }

    private SharedEntries entries(final String kind, final String onWord, final String offWord,
        final FleetCounter sharedCounter, final FleetCounter appliedCounter)
    {
        final SharedEntries entries = new SharedEntries(kind, onWord, offWord, context, redis, health, counters,
            sharedCounter, appliedCounter, timer);
        shared.add(entries);
        return entries;
    }

    static RedisFleet start(final FleetContext context)
    {
        final RedisFleet fleet = new RedisFleet(context);
        fleet.health.onRejoin(() -> fleet.timer.execute(fleet::catchUp));
        final long refreshMs = Math.max(100, context.livenessTtlMs() / 3);
        fleet.timer.scheduleWithFixedDelay(fleet::refreshLiveness, 0, refreshMs, TimeUnit.MILLISECONDS);
        fleet.timer.scheduleWithFixedDelay(fleet::returnIdle, RETURN_IDLE_INTERVAL_MS, RETURN_IDLE_INTERVAL_MS,
            TimeUnit.MILLISECONDS);
        fleet.timer.scheduleWithFixedDelay(fleet::catchUp, CATCH_UP_INTERVAL_MS, CATCH_UP_INTERVAL_MS, TimeUnit.MILLISECONDS);
        fleet.timer.scheduleWithFixedDelay(fleet::syncBounceBudget, SharedBounceBudget.SYNC_INTERVAL_MS,
            SharedBounceBudget.SYNC_INTERVAL_MS, TimeUnit.MILLISECONDS);
        LOG.info("fleet {}: node {} joins through {}; on local limits until Redis answers", context.name(),
            context.nodeId(), context.uri());
        return fleet;
    }

    /** Lettuce's thread: the kind whose words the message starts with applies it on the timer thread. */
    private void onMessage(final String message)
    {
        for (final SharedEntries kind : shared)
        {
            if (kind.onMessage(message))
            {
                return;
            }
        }
    }

    /** Timer thread: this node is alive; how many are. */
    private void refreshLiveness()
    {
        try
        {
            redis.connectIfNeeded();
            final RedisAsyncCommands<String, String> commands = redis.commands();
            if (commands == null)
            {
                return;
            }
            final String nodes = context.key("nodes");
            final long now = System.currentTimeMillis();
            commands.zadd(nodes, now, context.nodeId())
                .thenCompose(added -> commands.zremrangebyscore(nodes, Range.create(0, now - context.livenessTtlMs())))
                .thenCompose(removed -> commands.zcard(nodes))
                .whenComplete((live, error) ->
                {
                    if (error != null)
                    {
                        health.failed(error);
                        return;
                    }
                    health.liveNodes(live.intValue());
                    health.succeeded();
                });
        }
        catch (final RuntimeException ex)
        {
            health.failed(ex);
        }
    }

    private void returnIdle()
    {
        try
        {
            routes.values().forEach(SharedTokens::returnIdle);
            admissionRates.returnIdle(TimeMeter.SYSTEM_NANOTIME.currentTimeNanos());
        }
        catch (final RuntimeException ex)
        {
            health.failed(ex);
        }
    }

    private void catchUp()
    {
        if (health.isShared())
        {
            counters.increment(FleetCounter.CATCH_UPS);
        }
        for (final SharedEntries kind : shared)
        {
            try
            {
                kind.catchUp();
            }
            catch (final RuntimeException ex)
            {
                LOG.warn("fleet: catching up with the fleet's switches failed; tried again in {} ms", CATCH_UP_INTERVAL_MS,
                    ex);
            }
        }
    }

    private void syncBounceBudget()
    {
        final SharedBounceBudget budget = bounceBudget;
        if (budget == null)
        {
            return;
        }
        try
        {
            budget.sync();
        }
        catch (final RuntimeException ex)
        {
            health.failed(ex);
        }
    }

    @Override
    public EgressTokens.Source egress()
    {
        return this::routeTokens;
    }

    private EgressTokens routeTokens(final RouteSpec route)
    {
        final SharedTokens tokens = new SharedTokens(context.key("egress:" + route.name()), route.ratePerSec(),
            route.burst(), context.batchMs(), false, health, counters, TimeMeter.SYSTEM_NANOTIME, redis::buckets);
        routes.put(route.name(), tokens);
        return tokens;
    }

    @Override
    public SharedRates admissionRates()
    {
        return admissionRates;
    }

    @Override
    public ContainmentListener holds(final ContainmentListener local)
    {
        return new SharedHolds(holdEntries, local);
    }

    @Override
    public void bind(final Containment containment)
    {
        SharedHolds.bind(holdEntries, containment);
        timer.execute(this::catchUp);
    }

    @Override
    public BudgetShare bounceBudget(final BounceContext bounce)
    {
        final SharedBounceBudget budget = new SharedBounceBudget(context, bounce.conclude(), redis, health, counters, timer);
        bounceBudget = budget;
        return budget;
    }

    @Override
    public FleetSwitches switches()
    {
        return this;
    }

    @Override
    public void changed(final Kind kind, final String entry, final boolean on, final String value)
    {
        final SharedEntries entries = switches.get(kind);
        if (!entries.isApplying(entry))
        {
            entries.share(entry, on, value);
        }
    }

    @Override
    public void bind(final Kind kind, final Applier applier)
    {
        switches.get(kind).bind((entry, on, value, node) -> applier.apply(entry, on, value));
        timer.execute(this::catchUp);
    }

    @Override
    public FleetStatus status()
    {
        return new FleetStatus(context.name(), context.nodeId(), health.isShared(), health.liveNodes(),
            counters.get(FleetCounter.FALLBACKS), health.lastError());
    }

    @Override
    public EnumCounters<FleetCounter> counters()
    {
        return counters;
    }

    /** @return the routes' gates, for tests. */
    List<SharedTokens> routeTokens()
    {
        return List.copyOf(routes.values());
    }

    @Override
    public void close()
    {
        timer.shutdownNow();
        final RedisAsyncCommands<String, String> commands = redis.commands();
        if (commands != null && health.isShared())
        {
            // Leaves the live nodes at once, so the others' fallback divisor is right without waiting for the TTL.
            try
            {
                commands.zrem(context.key("nodes"), context.nodeId()).get(context.timeoutMs(), TimeUnit.MILLISECONDS);
            }
            catch (final Exception ex)
            {
                LOG.debug("fleet: leaving the live nodes: {}", ex.toString());
            }
        }
        redis.close();
    }
}
