package io.sluice.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import javax.management.JMX;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;

import io.sluice.bounce.BounceDecision;
import io.sluice.bounce.BouncePolicy;
import io.sluice.bounce.SuppressionReason;
import io.sluice.control.ControlPlane;
import io.sluice.control.DrainControlMXBean;
import io.sluice.control.LimitsControlMXBean;
import io.sluice.control.SpoolControlMXBean;
import io.sluice.delivery.TestSmtpSink;
import io.sluice.fleet.FleetCounter;
import io.sluice.fleet.RedisServer;
import io.sluice.ingress.SmtpTestClient;
import io.sluice.spool.Envelope;
import io.sluice.spool.PendingMessage;
import io.sluice.spool.RecipientStatus;
import io.sluice.spool.SpoolAwait;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a fleet shares besides its rates, with three appliances in this JVM on 127.0.0.2-4 and one real redis-server:
 * the bounce budget (decided on all three at once, it holds for the fleet within one bounce per node), an operator's
 * drain pauses, blocks and limit overrides made on one node (in force on the others within a second, through their own
 * JMX consoles), and all of it across a Redis that is killed and comes back empty: each node on its share of the budget
 * meanwhile, changes made meanwhile sent on return, the bounces sent meanwhile counted, and no switch lost.
 */
class FleetSharedStateTest
{
    private static final int BUDGET = 30;
    private static final int NODES = 3;
    /** Bounce decisions each node asks for: together four times the budget. */
    private static final int DECISIONS_PER_NODE = 40;
    private static final long WITHIN_A_SECOND_MS = 1_000;
    private static final String BLOCKED = "127.0.0.66";

    @TempDir
    Path dir;

    private RedisServer redis;
    private TestSmtpSink sink;
    private final List<SluiceDaemon> daemons = new ArrayList<>();
    private final Map<SluiceDaemon, MBeanServer> consoles = new HashMap<>();
    private final AtomicLong failures = new AtomicLong();

    @BeforeEach
    void start() throws Exception
    {
        redis = RedisServer.start(dir.resolve("redis"));
        sink = TestSmtpSink.start();
    }

    @AfterEach
    void stop() throws Exception
    {
        for (final SluiceDaemon daemon : daemons)
        {
            daemon.close();
        }
        sink.close();
        redis.close();
    }

    private SluiceDaemon node(final String id, final int address) throws IOException
    {
        final Map<String, String> settings = Map.of(
            "spool.directory", dir.resolve("spool-" + id).toString(),
            "smtp.listen", "127.0.0." + address + ":0",
            "relay.domains", "relay.test",
            "containment.exemptTenants", "default,acme",
            "delivery.route.default.target", sink.target(),
            "bounce.budget.minimum", String.valueOf(BUDGET),
            "fleet.redis", redis.uri(),
            "fleet.nodeId", id);
        final MBeanServer console = MBeanServerFactory.newMBeanServer();
        final SluiceDaemon daemon = SluiceDaemon.start(SluiceDaemon.Configuration.of(DaemonSettings.load(null, settings)),
            SystemdNotifier.disabled(), console);
        daemons.add(daemon);
        consoles.put(daemon, console);
        return daemon;
    }

    private List<SluiceDaemon> threeNodes() throws IOException
    {
        final List<SluiceDaemon> nodes = List.of(node("a", 2), node("b", 3), node("c", 4));
        SpoolAwait.until(() -> nodes.stream().allMatch(n -> n.fleet().status().shared()
            && n.fleet().status().liveNodes() == NODES), 10_000);
        return nodes;
    }

    private DrainControlMXBean drainConsole(final SluiceDaemon node)
    {
        return JMX.newMXBeanProxy(consoles.get(node), ControlPlane.name("Drain"), DrainControlMXBean.class);
    }

    private SpoolControlMXBean spoolConsole(final SluiceDaemon node)
    {
        return JMX.newMXBeanProxy(consoles.get(node), ControlPlane.name("Spool"), SpoolControlMXBean.class);
    }

    private LimitsControlMXBean limitsConsole(final SluiceDaemon node)
    {
        return JMX.newMXBeanProxy(consoles.get(node), ControlPlane.name("Limits"), LimitsControlMXBean.class);
    }

    /**
     * One recipient's permanent failure, decided by the node's bounce policy as delivery would: a sender and
     * recipient of their own each time, so neither dedup nor the per-recipient and per-domain rates say no.
     *
     * @return true if a DSN is sent; false if it is deferred over the budget.
     */
    private boolean bounce(final SluiceDaemon node)
    {
        final long n = failures.incrementAndGet();
        final Envelope envelope = new Envelope("127.0.0.1", "default", "mail", "sender" + n + "@partner" + n + ".example",
            List.of("user" + n + "@relay.test"), System.currentTimeMillis());
        final PendingMessage message = new PendingMessage(n, envelope, 100, List.of(RecipientStatus.NEW));
        final BounceDecision decision = node.bounces().policy().decide(message, 0,
            RecipientStatus.failed(1, "550 5.2.2 mailbox full"), true);
        if (decision.reason() == null)
        {
            return true;
        }
        assertThat(decision.reason()).isEqualTo(SuppressionReason.BUDGET_EXCEEDED);
        return false;
    }

    /** @return the bounces sent of {@code count} decided on {@code node}, about one every millisecond. */
    private int bounces(final SluiceDaemon node, final int count)
    {
        int sent = 0;
        for (int i = 0; i < count; i++)
        {
            sent += bounce(node) ? 1 : 0;
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000L);
        }
        return sent;
    }

    /** @return the fleet's budget as {@code node} last saw it: bounces counted over the window. */
    private static long fleetBounces(final SluiceDaemon node)
    {
        return node.bounces().policy().budget().bouncesInWindow();
    }

    @Test
    void shouldHoldTheBounceBudgetForTheFleetDecidedOnThreeNodesAtOnce() throws Exception
    {
        final List<SluiceDaemon> nodes = threeNodes();
        final List<CompletableFuture<Integer>> deciding = new ArrayList<>();
        for (final SluiceDaemon node : nodes)
        {
            deciding.add(CompletableFuture.supplyAsync(() -> bounces(node, DECISIONS_PER_NODE)));
        }
        final int[] sent = deciding.stream().mapToInt(CompletableFuture::join).toArray();
        // Bounces a node reserved and did not send go back once it has been idle for 200 ms.
        final int together = Arrays.stream(sent).sum();
        SpoolAwait.until(() -> nodes.stream().allMatch(n -> fleetBounces(n) == together), 10_000);
        // If the fleet's budget still has room (bounces reserved on one node while another was refused), one node uses it.
        final int rest = bounces(nodes.get(0), DECISIONS_PER_NODE);
        final int total = together + rest;
        System.out.printf("fleet: bounce budget %d; sent %s at once on three nodes, then %d on a; %d in all; %d on credit%n",
            BUDGET, Arrays.toString(sent), rest, total,
            nodes.stream().mapToLong(n -> n.fleet().counters().get(FleetCounter.BOUNCES_ON_CREDIT)).sum());
        assertThat(total).as("the fleet's bounces: the budget, at most one more per node").isBetween(BUDGET, BUDGET + NODES);
        assertThat(Arrays.stream(sent).filter(s -> s > 0).count()).as("each node sent a share").isEqualTo(NODES);
        SpoolAwait.until(() -> nodes.stream().allMatch(n -> fleetBounces(n) == total), 10_000);
        assertThat(nodes.get(1).bounces().policy().budget().allowed()).isEqualTo(BUDGET);

        // Mail accepted on one node raises the fleet's budget: 1 % of 5,000 is 50, 20 more than the minimum.
        nodes.get(0).bounces().policy().onAccepted(5_000);
        SpoolAwait.until(() -> nodes.get(2).bounces().policy().budget().allowed() == 50, 10_000);
        final int more = bounces(nodes.get(1), DECISIONS_PER_NODE) + bounces(nodes.get(2), DECISIONS_PER_NODE);
        assertThat(total + more).as("the raised budget, at most one more per node").isBetween(50, 50 + NODES);
    }

    @Test
    void shouldPauseAndBlockOnEveryNodeWithinASecondOfAnOperatorOnOne() throws Exception
    {
        final List<SluiceDaemon> nodes = threeNodes();
        final SluiceDaemon a = nodes.get(0);
        final List<SluiceDaemon> others = nodes.subList(1, NODES);
        assertThat(connect(nodes.get(1), BLOCKED)).as("before the block").startsWith("220");

        final long pausedAt = System.nanoTime();
        drainConsole(a).pauseTenant("acme");
        spoolConsole(a).pauseDrain("default");
        limitsConsole(a).block(BLOCKED + "/32", 0);
        limitsConsole(a).setOverride("tenant", "acme", 5, 10);
        SpoolAwait.until(() -> others.stream().allMatch(n -> List.of(drainConsole(n).getPausedTenants()).contains("acme")
            && List.of(spoolConsole(n).getDrainPausedRoutes()).contains("default")
            && limitsConsole(n).listBlocks().length == 1 && limitsConsole(n).listOverrides().length == 1), 10_000);
        final long elapsedMs = (System.nanoTime() - pausedAt) / 1_000_000;
        System.out.printf("fleet: pauses, a block and an override on a in force on b and c after %d ms%n", elapsedMs);
        assertThat(limitsConsole(nodes.get(2)).listOverrides()).containsExactlyElementsOf(List.of(
            limitsConsole(a).listOverrides()));
        assertThat(elapsedMs).as("ms until B and C have the pauses and the block").isLessThan(WITHIN_A_SECOND_MS);
        for (final SluiceDaemon other : others)
        {
            assertThat(connect(other, BLOCKED)).as("a connection from the network blocked on A").startsWith("554 5.7.1");
            assertThat(connect(other, "127.0.0.67")).as("a neighbour, not blocked").startsWith("220");
        }

        // Lifted on C: lifted on A and B, and C's own change is not sent back to it.
        drainConsole(nodes.get(2)).resumeTenant("acme");
        limitsConsole(nodes.get(2)).unblock(BLOCKED + "/32");
        limitsConsole(nodes.get(2)).removeOverride("tenant", "acme");
        SpoolAwait.until(() -> nodes.stream().allMatch(n -> drainConsole(n).getPausedTenants().length == 0
            && limitsConsole(n).listBlocks().length == 0 && limitsConsole(n).listOverrides().length == 0), 10_000);
        assertThat(connect(a, BLOCKED)).startsWith("220");
        assertThat(List.of(spoolConsole(nodes.get(2)).getDrainPausedRoutes())).as("the route stays paused").contains("default");
    }

    @Test
    void shouldFallBackWhileRedisIsAwayAndLoseNothingWhenItReturnsEmpty() throws Exception
    {
        final List<SluiceDaemon> nodes = threeNodes();
        final SluiceDaemon a = nodes.get(0);
        final SluiceDaemon b = nodes.get(1);
        final SluiceDaemon c = nodes.get(2);
        drainConsole(a).pauseSource("127.0.0.55");
        SpoolAwait.until(() -> List.of(drainConsole(c).getPausedSources()).contains("127.0.0.55"), 10_000);

        redis.kill();
        SpoolAwait.until(() -> nodes.stream().noneMatch(n -> n.fleet().status().shared()), 10_000);
        drainConsole(a).pauseTenant("acme");
        limitsConsole(a).block(BLOCKED + "/32", 3_600);
        final BouncePolicy onB = b.bounces().policy();
        final int sentAway = bounces(b, DECISIONS_PER_NODE);
        assertThat(sentAway).as("B's share of the budget while Redis is away: the minimum / 3 live nodes")
            .isEqualTo(BUDGET / NODES);
        assertThat(onB.budget().bouncesInWindow()).as("B's own window").isEqualTo(BUDGET / NODES);
        assertThat(List.of(drainConsole(c).getPausedTenants())).as("not yet: Redis is away").doesNotContain("acme");

        // Back, and empty: nothing was persisted.
        redis.restart();
        SpoolAwait.until(() -> nodes.stream().allMatch(n -> n.fleet().status().shared()), 10_000);
        SpoolAwait.until(() -> List.of(drainConsole(c).getPausedTenants()).contains("acme")
            && List.of(drainConsole(b).getPausedTenants()).contains("acme") && limitsConsole(c).listBlocks().length == 1,
            10_000);
        assertThat(connect(c, BLOCKED)).as("blocked on A while Redis was away").startsWith("554 5.7.1");
        // The bounces B sent meanwhile are the fleet's too.
        SpoolAwait.until(() -> fleetBounces(c) == sentAway, 10_000);
        // Two catch-ups later (5 s apart), the pause made before Redis went away is still in force everywhere: A, which
        // made it, wrote it back to the empty Redis.
        final long catchUps = c.fleet().counters().get(FleetCounter.CATCH_UPS);
        SpoolAwait.until(() -> redisHas("sluice:pauses:source", "127.0.0.55")
            && b.fleet().counters().get(FleetCounter.CATCH_UPS) >= catchUps + 2
            && c.fleet().counters().get(FleetCounter.CATCH_UPS) >= catchUps + 2, 20_000);
        assertThat(List.of(drainConsole(b).getPausedSources())).contains("127.0.0.55");
        assertThat(List.of(drainConsole(c).getPausedSources())).contains("127.0.0.55");
        assertThat(a.fleet().counters().get(FleetCounter.FALLBACKS)).as("one fallback, one ALERT").isEqualTo(1);
    }

    /** @return whether Redis holds {@code field} in the hash {@code key}, read with redis-cli's protocol by hand. */
    private boolean redisHas(final String key, final String field)
    {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", redis.port()))
        {
            final String command = "*3\r\n$7\r\nHEXISTS\r\n$" + key.length() + "\r\n" + key + "\r\n$" + field.length()
                + "\r\n" + field + "\r\n";
            socket.getOutputStream().write(command.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            final byte[] reply = new byte[4];
            final int read = socket.getInputStream().read(reply);
            return read >= 2 && reply[0] == ':' && reply[1] == '1';
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    /** @return the greeting a client from {@code source} gets from the node. */
    private static String connect(final SluiceDaemon node, final String source) throws IOException
    {
        try (SmtpTestClient client = SmtpTestClient.connect(node.smtp().localAddress(), source))
        {
            return client.reply();
        }
    }
}
