package io.sluice.fleet;

import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.sluice.bounce.BounceContext;
import io.sluice.bounce.BudgetShare;
import io.sluice.bounce.BudgetStatus;
import io.sluice.counters.EnumCounters;

/**
 * The bounce budget of the whole fleet: bounces over the window at most {@code max(minimum, fraction x accepted)}, the
 * accepted mail and the bounces being the fleet's, not one node's. Redis keeps them in one hash,
 * {@code <fleet.name>:bounce:budget}, per slot of a sixtieth of the window as the node's own window does (fields
 * {@code a:<slot>} and {@code s:<slot>}, the slot numbered on the wall clock so that every node means the same minute).
 *
 * <p>A bounce decision never waits on Redis. The fleet's timer {@link #sync}s every {@value #SYNC_INTERVAL_MS} ms, and
 * at once when a decision found nothing reserved: one script (Redis runs it atomically, as Bucket4j's own Redis
 * backends run theirs) adds what this node accepted and sent since, drops the slots that left the window, and reserves
 * a few bounces for this node ({@link #BUDGET_SCRIPT}), so two nodes can never both take the last one. A decision takes
 * a reserved bounce from memory; with none left, it may take one on credit if the last sync showed room for one per
 * live node, at most {@value #CREDIT} per node until the next sync (so a node that bounces once an hour does not defer
 * each of its DSNs for a sync): that is the tolerance, which only a sync's view gone stale can use, at most about one
 * bounce per node over the fleet's budget. Reserved bounces unused for {@link SharedTokens#IDLE_RETURN_NANOS} go back.
 *
 * <p>With Redis away, {@link #tryCharge} says {@link Answer#OWN_WINDOW}: the node decides on its own window with the
 * minimum divided by the live nodes last seen, and what it accepted and sent meanwhile is added when Redis answers.
 * A bounce over the budget is deferred in the spool, never dropped, so a wrong "spent" costs a DSN a second, not a DSN.
 */
final class SharedBounceBudget implements BudgetShare
{
    static final long SYNC_INTERVAL_MS = 100;
    /** A node that changed nothing still reads the fleet's window this often, so its view (and credit) stays fresh. */
    private static final long REFRESH_NANOS = 1_000_000_000L;
    /** Bounces a node may take on credit between two syncs, beyond those it reserved. */
    static final long CREDIT = 1;
    /**
     * KEYS[1] the hash; ARGV: slot now, slots in the window, fraction, minimum, accepted and sent to add, bounces wanted,
     * the hash's expiry (ms). Returns {reserved, accepted, sent, allowed} over the window, the reservation included.
     */
    static final String BUDGET_SCRIPT = String.join("\n",
        "local key = KEYS[1]",
        "local now = tonumber(ARGV[1])",
        "local slots = tonumber(ARGV[2])",
        "local accepted = tonumber(ARGV[5])",
        "local charged = tonumber(ARGV[6])",
        "if accepted ~= 0 then redis.call('HINCRBY', key, 'a:' .. now, accepted) end",
        "if charged ~= 0 then redis.call('HINCRBY', key, 's:' .. now, charged) end",
        "local inAccepted, inSent = 0, 0",
        "local fields = redis.call('HGETALL', key)",
        "for i = 1, #fields, 2 do",
        "  local slot = tonumber(string.sub(fields[i], 3))",
        "  if slot == nil or slot <= now - slots then",
        "    redis.call('HDEL', key, fields[i])",
        "  elseif string.sub(fields[i], 1, 1) == 'a' then",
        "    inAccepted = inAccepted + tonumber(fields[i + 1])",
        "  else",
        "    inSent = inSent + tonumber(fields[i + 1])",
        "  end",
        "end",
        "local allowed = math.max(tonumber(ARGV[4]), math.floor(tonumber(ARGV[3]) * inAccepted))",
        "local reserved = math.max(0, math.min(tonumber(ARGV[7]), allowed - inSent))",
        "if reserved > 0 then",
        "  redis.call('HINCRBY', key, 's:' .. now, reserved)",
        "  inSent = inSent + reserved",
        "end",
        "redis.call('PEXPIRE', key, ARGV[8])",
        "return {reserved, inAccepted, inSent, allowed}");
    private static final int SLOTS = 60;

    private final String key;
    private final FleetHealth health;
    private final EnumCounters<FleetCounter> counters;
    private final FleetRedis redis;
    private final Executor timer;
    private final Clock clock;
    private final long windowMs;
    private final long slotMs;
    private final String fraction;
    private final long minimum;
    /** Bounces reserved for this node in Redis and not yet sent. */
    private final AtomicLong reserved = new AtomicLong();
    /** Accepted messages and sent bounces (net of refunds) not yet added in Redis. */
    private final AtomicLong acceptedToAdd = new AtomicLong();
    private final AtomicLong sentToAdd = new AtomicLong();
    /** Bounces taken on credit since the last sync. */
    private final AtomicLong credit = new AtomicLong();
    private final AtomicBoolean syncing = new AtomicBoolean();
    /** A decision found too little reserved: the next sync asks for more. */
    private volatile boolean wanted;
    private volatile long lastTakeNanos = System.nanoTime();
    private volatile long lastSyncNanos;
    /** The last reservation found the budget spent: decisions do not ask Redis again before this (the timer does). */
    private volatile long spentUntilNanos = System.nanoTime();
    /** The fleet's window as the last sync saw it; {@code seen} false until a sync answered. */
    private volatile boolean seen;
    private volatile long seenAccepted;
    private volatile long seenSent;
    private volatile long seenAllowed;

    SharedBounceBudget(final FleetContext fleet, final BounceContext bounce, final FleetRedis redis,
        final FleetHealth health, final EnumCounters<FleetCounter> counters, final Executor timer)
    {
        key = fleet.key("bounce:budget");
        this.redis = redis;
        this.health = health;
        this.counters = counters;
        this.timer = timer;
        clock = bounce.clock();
        windowMs = bounce.budgetWindowMs();
        slotMs = Math.max(1, windowMs / SLOTS);
        fraction = Double.toString(bounce.budgetFraction());
        minimum = bounce.budgetMinimum();
    }

    @Override
    public void accepted(final long messages)
    {
        acceptedToAdd.addAndGet(messages);
    }

    @Override
    public Answer tryCharge()
    {
        if (!seen || !health.isShared())
        {
            return Answer.OWN_WINDOW;
        }
        lastTakeNanos = System.nanoTime();
        long left;
        do
        {
            left = reserved.get();
            if (left <= 0)
            {
                return onCredit();
            }
        }
        while (!reserved.compareAndSet(left, left - 1));
        if (left <= batch())
        {
            wanted = true;
        }
        return Answer.FITS;
    }

    /** Nothing reserved: a sync is asked for; a bounce goes on credit if the fleet had room when last seen. */
    private Answer onCredit()
    {
        wanted = true;
        if (System.nanoTime() - spentUntilNanos >= 0)
        {
            try
            {
                timer.execute(this::sync);
            }
            catch (final RejectedExecutionException closing)
            {
                // The fleet is closing: the decision stands on what was last seen.
            }
        }
        // Room for every node to take its one on credit at once, as last seen: the last few bounces of the budget go
        // only to nodes that reserved them, and a decision that finds none reserved then waits for the next sync.
        final long room = seenAllowed - seenSent - sentToAdd.get();
        if (room <= 0)
        {
            return Answer.SPENT;
        }
        if (room < (long)CREDIT * health.liveNodes())
        {
            return Answer.WAIT;
        }
        long used;
        do
        {
            used = credit.get();
            if (used >= CREDIT)
            {
                // Room, but this node's credit is out until the sync it asked for answers: deferred, no alert.
                return Answer.WAIT;
            }
        }
        while (!credit.compareAndSet(used, used + 1));
        sentToAdd.incrementAndGet();
        counters.increment(FleetCounter.BOUNCES_ON_CREDIT);
        return Answer.FITS;
    }

    @Override
    public void refund()
    {
        sentToAdd.decrementAndGet();
    }

    @Override
    public void charged()
    {
        sentToAdd.incrementAndGet();
    }

    @Override
    public int divisor()
    {
        return health.liveNodes();
    }

    @Override
    public BudgetStatus status(final long ignoredWindowMs)
    {
        if (!seen || !health.isShared())
        {
            return null;
        }
        return new BudgetStatus(windowMs, seenAccepted, seenSent, seenAllowed);
    }

    /** @return bounces to reserve at once: a quarter of this node's share of the room left, at least 1. */
    private long batch()
    {
        final long room = seenAllowed - seenSent;
        return Math.max(1, room / (4L * health.liveNodes()));
    }

    /**
     * Adds what changed here, gives back what sat unused, reserves what decisions want. Timer thread; one sync on its
     * way at a time (the next waits for its answer).
     */
    void sync()
    {
        final RedisAsyncCommands<String, String> commands = redis.commands();
        if (commands == null || !health.isShared() || !syncing.compareAndSet(false, true))
        {
            return;
        }
        final long accepted = acceptedToAdd.getAndSet(0);
        final long sent = sentToAdd.getAndSet(0);
        final long creditTaken = credit.get();
        final long back = System.nanoTime() - lastTakeNanos >= SharedTokens.IDLE_RETURN_NANOS ? reserved.getAndSet(0) : 0;
        final boolean reserve = wanted;
        wanted = false;
        final long want = reserve ? Math.max(0, batch() - reserved.get()) : 0;
        final long now = System.nanoTime();
        if (accepted == 0 && sent == 0 && back == 0 && want == 0 && seen && now - lastSyncNanos < REFRESH_NANOS)
        {
            syncing.set(false);
            return;
        }
        if (back > 0)
        {
            counters.add(FleetCounter.BOUNCES_RETURNED, back);
        }
        lastSyncNanos = now;
        final long slot = clock.millis() / slotMs;
        final String[] args = {Long.toString(slot), Integer.toString(SLOTS), fraction, Long.toString(minimum),
            Long.toString(accepted), Long.toString(sent - back), Long.toString(want), Long.toString(windowMs + slotMs)};
        final String[] keys = {key};
        CompletableFuture<List<Long>> script;
        try
        {
            script = commands.<List<Long>>eval(BUDGET_SCRIPT, ScriptOutputType.MULTI, keys, args).toCompletableFuture();
        }
        catch (final RuntimeException ex)
        {
            script = CompletableFuture.failedFuture(ex);
        }
        script.whenComplete((answer, error) ->
        {
            if (error != null)
            {
                // Nothing is lost: added again at the next sync; the bounces given back stay reserved. A script that timed
                // out may have run all the same: its counts are then added twice, once more mail and bounces than there
                // were, which an answer from a Redis slower than fleet.timeoutMs costs at most once per sync.
                acceptedToAdd.addAndGet(accepted);
                sentToAdd.addAndGet(sent);
                reserved.addAndGet(back);
                wanted |= reserve;
                syncing.set(false);
                health.failed(error);
                return;
            }
            final long got = answer.get(0);
            if (got == 0 && want > 0)
            {
                spentUntilNanos = System.nanoTime() + SYNC_INTERVAL_MS * 1_000_000L;
            }
            reserved.addAndGet(got);
            counters.add(FleetCounter.BOUNCES_RESERVED, got);
            seenAccepted = answer.get(1);
            seenSent = answer.get(2);
            seenAllowed = answer.get(3);
            credit.addAndGet(-creditTaken);
            seen = true;
            syncing.set(false);
            health.succeeded();
        });
    }
}
