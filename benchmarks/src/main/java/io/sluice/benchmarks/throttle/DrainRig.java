package io.sluice.benchmarks.throttle;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import io.sluice.delivery.Delivery;
import io.sluice.delivery.DeliveryContext;
import io.sluice.drain.DrainAgent;
import io.sluice.drain.DrainContext;
import io.sluice.outcome.OutcomeStage;
import io.sluice.spool.Envelope;
import io.sluice.spool.Spool;
import io.sluice.spool.SpoolContext;
import org.agrona.concurrent.AgentRunner;

/**
 * The real pipeline from the spool to a relay on loopback, as the daemon wires it: the spool journal on disk, the drain
 * on its own thread, SMTP delivery (route {@code default} to the relay) and the outcome stage. The backlog is appended
 * straight into the spool (ingress is not what the harnesses measure), with route {@code default} paused until
 * {@link #resume}.
 */
final class DrainRig implements AutoCloseable
{
    private static final int FILL_BATCH = 10_000;
    private static final byte[] CONTENT = "Subject: backlog\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HEADER = "Subject: backlog\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    final DrainAgent agent;
    final Spool spool;
    private final Path dir;
    private final OutcomeStage outcomes;
    private final Delivery delivery;
    private final AgentRunner runner;

    /** @param drain the drain's settings; route {@code default} is paused here. */
    DrainRig(final Path dir, final int relayPort, final DrainContext drain)
    {
        this.dir = dir;
        drain.pausedRoutes("default").conclude();
        final DeliveryContext deliveryContext = new DeliveryContext()
            .target("default", "smtp://127.0.0.1:" + relayPort)
            .target("notifications", "dir:" + dir.resolve("notifications"))
            .conclude(drain);
        agent = new DrainAgent(drain);
        spool = Spool.open(new SpoolContext().directory(dir.resolve("spool")).diskReserveBytes(64L << 20), agent.listener());
        outcomes = new OutcomeStage(spool, drain, agent, (message, index, reply, status) -> status);
        delivery = new Delivery(deliveryContext, spool, outcomes);
        runner = new AgentRunner(agent.idleStrategy(), Throwable::printStackTrace, agent.errorCounter(),
            agent.deliveringTo(delivery));
        AgentRunner.startOnThread(runner);
    }

    /** Appends {@code backlog} one-recipient messages from 50 sources, in batches, and waits until the drain holds them. */
    void fill(final int backlog) throws InterruptedException
    {
        fill(backlog, CONTENT);
    }

    /** As {@link #fill(int)}, each message {@code bytes} long (a header, then lines of 'x'). */
    void fill(final int backlog, final int bytes) throws InterruptedException
    {
        fill(backlog, content(bytes));
    }

    private static byte[] content(final int bytes)
    {
        final byte[] content = new byte[Math.max(bytes, HEADER.length + 2)];
        System.arraycopy(HEADER, 0, content, 0, HEADER.length);
        for (int i = HEADER.length; i < content.length; i++)
        {
            // 78 characters and CRLF per line: what a body looks like, and no line over RFC 5322's 998.
            final int column = (i - HEADER.length) % 80;
            content[i] = (byte)(column == 78 ? '\r' : column == 79 ? '\n' : 'x');
        }
        content[content.length - 2] = '\r';
        content[content.length - 1] = '\n';
        return content;
    }

    private void fill(final int backlog, final byte[] body) throws InterruptedException
    {
        final long now = System.currentTimeMillis();
        for (int from = 0; from < backlog; from += FILL_BATCH)
        {
            final List<CompletableFuture<?>> appended = new ArrayList<>(FILL_BATCH);
            for (int i = from; i < Math.min(backlog, from + FILL_BATCH); i++)
            {
                final Envelope envelope = new Envelope("192.0.2." + (1 + i % 50), "default", "mail", "sender@bench.test",
                    List.of("user" + i + "@relay.test"), now);
                appended.add(spool.append(envelope, ByteBuffer.wrap(body)));
            }
            CompletableFuture.allOf(appended.toArray(new CompletableFuture<?>[0])).join();
        }
        while (agent.status().ready() + agent.status().paused() < backlog)
        {
            Thread.sleep(50);
        }
    }

    /** Lets route {@code default} go, as after an outage. */
    void resume()
    {
        agent.resumeRoute("default");
    }

    @Override
    public void close()
    {
        runner.close();
        delivery.close();
        outcomes.close();
        spool.close();
        // The journal of a 1M backlog is hundreds of MiB of /tmp: gone with the run.
        try (Stream<Path> files = Files.walk(dir))
        {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
        catch (final IOException ex)
        {
            System.err.println("could not delete " + dir + ": " + ex);
        }
    }
}
