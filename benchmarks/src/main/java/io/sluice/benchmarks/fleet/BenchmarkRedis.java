package io.sluice.benchmarks.fleet;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.sluice.fleet.Fleet;
import io.sluice.fleet.FleetContext;
import io.sluice.fleet.FleetCounter;

/**
 * A real {@code redis-server} for one benchmark trial, on a free loopback port with nothing persisted, and a fleet
 * node on it that shares once Redis answered; stopped by its process id. As the fleet's tests start theirs.
 */
final class BenchmarkRedis implements AutoCloseable
{
    private static final long SHARED_TIMEOUT_SECONDS = 20;

    private final Process redis;
    private final Fleet fleet;
    private final long startedNanos;

    private BenchmarkRedis(final Process redis, final Fleet fleet)
    {
        this.redis = redis;
        this.fleet = fleet;
        startedNanos = System.nanoTime();
    }

    /** Starts redis-server and a node named {@code nodeId} at the shipped fleet settings; waits until it shares. */
    static BenchmarkRedis start(final String nodeId) throws IOException, InterruptedException
    {
        final int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            port = probe.getLocalPort();
        }
        final Path dir = Files.createTempDirectory("sluice-bench-redis");
        final Process redis = new ProcessBuilder("redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", dir.toString()).redirectErrorStream(true)
            .redirectOutput(dir.resolve("redis.log").toFile()).start();
        final Fleet fleet = Fleet.open(new FleetContext().redis("redis://127.0.0.1:" + port).nodeId(nodeId).conclude());
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SHARED_TIMEOUT_SECONDS);
        while (!fleet.status().shared())
        {
            if (System.nanoTime() - deadline > 0)
            {
                fleet.close();
                redis.destroyForcibly();
                throw new IllegalStateException("redis-server at port " + port + " did not answer: " + fleet.status());
            }
            Thread.sleep(10);
        }
        return new BenchmarkRedis(redis, fleet);
    }

    Fleet fleet()
    {
        return fleet;
    }

    /** @return what Redis saw: about one request per batch ({@code fleet.batchMs} of tokens), not one per decision. */
    String requestsSeen()
    {
        final long seconds = Math.max(1, (System.nanoTime() - startedNanos) / 1_000_000_000L);
        final long borrows = fleet.counters().get(FleetCounter.BORROWS);
        return String.format("Redis saw %d borrow requests in %d s (%d/s) for %d tokens borrowed; %d fallbacks to local"
            + " limits", borrows, seconds, borrows / seconds, fleet.counters().get(FleetCounter.TOKENS_BORROWED),
            fleet.counters().get(FleetCounter.FALLBACKS));
    }

    @Override
    public void close() throws InterruptedException
    {
        fleet.close();
        redis.destroyForcibly();
        redis.waitFor(10, TimeUnit.SECONDS);
    }
}
