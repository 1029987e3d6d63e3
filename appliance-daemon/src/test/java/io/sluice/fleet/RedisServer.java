package io.sluice.fleet;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.sluice.spool.CiRequirement;

/**
 * A real {@code redis-server} (Debian's package) for one test: on a free loopback port, in its own directory, with
 * nothing persisted ({@code --save '' --appendonly no}), stopped by its process id (never by name). It can be killed
 * and started again on the same port, as an outage. Without {@code redis-server}, a test is skipped on a developer's
 * machine and FAILS on CI ({@code CI=true}), whose {@code .ci/run} installs it.
 */
public final class RedisServer implements AutoCloseable
{
    private static final List<String> PLACES = List.of("/usr/bin/redis-server", "/usr/local/bin/redis-server");
    private static final long START_TIMEOUT_MS = 10_000;

    private final String binary;
    private final Path dir;
    private final int port;
    private Process process;

    private RedisServer(final String binary, final Path dir, final int port)
    {
        this.binary = binary;
        this.dir = dir;
        this.port = port;
    }

    /** Starts one in {@code dir}; skips the test without redis-server, or fails it on CI. */
    public static RedisServer start(final Path dir) throws IOException, InterruptedException
    {
        final String binary = PLACES.stream().filter(p -> Files.isExecutable(Path.of(p))).findFirst().orElse(null);
        CiRequirement.requireOnCi(binary != null, "redis-server is not installed (apt-get install redis-server); "
            + "the fleet tests start their own");
        final int port;
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()))
        {
            port = probe.getLocalPort();
        }
        final RedisServer server = new RedisServer(binary, dir, port);
        server.startProcess();
        return server;
    }

    private void startProcess() throws IOException, InterruptedException
    {
        Files.createDirectories(dir);
        process = new ProcessBuilder(binary, "--port", String.valueOf(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", dir.toString(), "--protected-mode", "no")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("redis.log").toFile())
            .start();
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
        while (!answersPing())
        {
            if (!process.isAlive())
            {
                fail("redis-server exited at start: " + Files.readString(dir.resolve("redis.log")));
            }
            if (System.nanoTime() - deadline > 0)
            {
                fail("redis-server did not answer PING within " + START_TIMEOUT_MS + " ms");
            }
            Thread.sleep(10);
        }
    }

    private boolean answersPing()
    {
        try (Socket socket = new Socket())
        {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            socket.setSoTimeout(500);
            final OutputStream out = socket.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            final InputStream in = socket.getInputStream();
            final byte[] reply = new byte[7];
            final int read = in.read(reply);
            return read > 0 && new String(reply, 0, read, StandardCharsets.US_ASCII).startsWith("+PONG");
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    /** @return {@code redis://127.0.0.1:port}, for {@code fleet.redis}. */
    public String uri()
    {
        return "redis://127.0.0.1:" + port;
    }

    public int port()
    {
        return port;
    }

    /** Kills it with SIGKILL, by its process id, and waits for it to be gone: Redis is away. */
    public void kill() throws InterruptedException
    {
        if (process != null && process.isAlive())
        {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Starts it again on the same port, empty (nothing was persisted): Redis is back. */
    public void restart() throws IOException, InterruptedException
    {
        kill();
        startProcess();
    }

    @Override
    public void close() throws InterruptedException
    {
        kill();
    }
}
