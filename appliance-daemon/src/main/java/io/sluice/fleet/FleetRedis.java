package io.sluice.fleet;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's connections to Redis, through Lettuce (Netty, asynchronous): one for commands, one for Bucket4j's
 * buckets (byte values), one subscribed to the fleet's channel. They are opened asynchronously and kept open by
 * Lettuce's reconnection; while Redis is away, commands fail at once instead of queueing
 * ({@code REJECT_COMMANDS}), so a caller falls back to local limits rather than wait. Until the first connection
 * succeeds, {@link #commands()} is null and {@link #connectIfNeeded} tries again (the fleet's timer calls it).
 *
 * <p>Lettuce runs on its own small Netty event loop (one I/O thread): a Redis reply is never handled on an SMTP
 * event loop, and an SMTP session never waits for Redis.
 */
final class FleetRedis implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(FleetRedis.class);
    /** Idle shared buckets vanish from Redis this long after they would be full again. */
    private static final Duration BUCKET_KEEP = Duration.ofSeconds(60);
    private static final Duration RECONNECT_DELAY = Duration.ofMillis(250);
    private static final long CONNECT_TIMEOUT_MS = 10_000;

    private final FleetContext context;
    private final FleetHealth health;
    private final ClientResources resources;
    private final RedisClient client;
    private final String channel;
    private final Consumer<String> onMessage;
    private volatile StatefulRedisConnection<String, String> connection;
    private volatile StatefulRedisConnection<String, byte[]> bucketConnection;
    private volatile StatefulRedisPubSubConnection<String, String> pubSub;
    private volatile AsyncProxyManager<String> buckets;
    private CompletableFuture<?> connecting;

    /**
     * @param channel   the fleet's pub/sub channel.
     * @param onMessage called with each message on it, on Lettuce's thread: it must not block.
     */
    FleetRedis(final FleetContext context, final FleetHealth health, final String channel, final Consumer<String> onMessage)
    {
        this.context = context;
        this.health = health;
        this.channel = channel;
        this.onMessage = onMessage;
        // A quick, steady reconnection: a node away from the fleet divides every shared rate by the live nodes, so it
        // should rejoin within about a second of Redis coming back, not after an exponential back-off of 30 s.
        resources = DefaultClientResources.builder().ioThreadPoolSize(1).computationThreadPoolSize(1)
            .reconnectDelay(Delay.constant(RECONNECT_DELAY)).build();
        client = RedisClient.create(resources, RedisAddress.of(context));
        client.setOptions(ClientOptions.builder()
            .autoReconnect(true)
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .timeoutOptions(TimeoutOptions.enabled(Duration.ofMillis(context.timeoutMs())))
            .build());
    }

    /** Opens the connections if they are not open and no attempt is under way; never waits. Timer thread. */
    synchronized void connectIfNeeded()
    {
        if (connection != null || (connecting != null && !connecting.isDone()))
        {
            return;
        }
        final CompletableFuture<StatefulRedisConnection<String, String>> commands =
            client.connectAsync(StringCodec.UTF8, RedisAddress.of(context)).toCompletableFuture();
        final CompletableFuture<StatefulRedisConnection<String, byte[]>> bytes =
            client.connectAsync(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE), RedisAddress.of(context))
                .toCompletableFuture();
        final CompletableFuture<StatefulRedisPubSubConnection<String, String>> subscriber =
            client.connectPubSubAsync(StringCodec.UTF8, RedisAddress.of(context)).toCompletableFuture();
        connecting = CompletableFuture.allOf(commands, bytes, subscriber).orTimeout(CONNECT_TIMEOUT_MS, TimeUnit.MILLISECONDS)
            .whenComplete((done, error) ->
            {
                if (error != null)
                {
                    commands.thenAccept(StatefulRedisConnection::closeAsync);
                    bytes.thenAccept(StatefulRedisConnection::closeAsync);
                    subscriber.thenAccept(StatefulRedisPubSubConnection::closeAsync);
                    health.failed(error);
                    return;
                }
                opened(commands.join(), bytes.join(), subscriber.join());
            });
    }

    private void opened(final StatefulRedisConnection<String, String> commands,
        final StatefulRedisConnection<String, byte[]> bytes, final StatefulRedisPubSubConnection<String, String> subscriber)
    {
        subscriber.addListener(new RedisPubSubAdapter<>()
        {
            @Override
            public void message(final String from, final String message)
            {
                onMessage.accept(message);
            }
        });
        // Lettuce subscribes again by itself after a reconnection.
        subscriber.async().subscribe(channel);
        buckets = Bucket4jLettuce.casBasedBuilder(bytes)
            .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(BUCKET_KEEP))
            .requestTimeout(Duration.ofMillis(context.timeoutMs()))
            .build()
            .asAsync();
        bucketConnection = bytes;
        pubSub = subscriber;
        connection = commands;
        LOG.info("fleet {}: node {} connected to {}", context.name(), context.nodeId(), context.uri());
    }

    /** @return the asynchronous commands, or null before the first connection. */
    RedisAsyncCommands<String, String> commands()
    {
        final StatefulRedisConnection<String, String> open = connection;
        return open == null ? null : open.async();
    }

    /** @return Bucket4j's proxies over Redis, or null before the first connection. */
    AsyncProxyManager<String> buckets()
    {
        return buckets;
    }

    @Override
    public synchronized void close()
    {
        for (final AutoCloseable open : new AutoCloseable[] {pubSub, bucketConnection, connection})
        {
            if (open != null)
            {
                try
                {
                    open.close();
                }
                catch (final Exception ex)
                {
                    LOG.debug("closing a Redis connection: {}", ex.toString());
                }
            }
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
        resources.shutdown(0, 1, TimeUnit.SECONDS);
    }
}
