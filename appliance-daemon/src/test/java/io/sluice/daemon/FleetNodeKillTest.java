package io.sluice.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.sluice.ingress.SmtpTestClient;
import io.sluice.spool.ChildJvm;
import io.sluice.spool.SpoolAwait;
import org.junit.jupiter.api.Test;

/**
 * A fleet node killed with {@code kill -9} while it sends its share of a route: two nodes in this JVM (127.0.0.2-3)
 * and one real daemon in a child JVM share one real redis-server and a route at 100 msgs/s to one sink. The child takes
 * its mail over SMTP and is killed once the sink has some of it. The survivors then keep the fleet's rate: what the
 * dead node had borrowed is lost to the shared bucket only once (the bucket refills at the rate whatever any node
 * holds), so the rate over 500 arrivals after its liveness expired is 100 msgs/s +-5 %. Restarted on the same spool,
 * the child rejoins and delivers what it had acknowledged: delivery is at least once (a message whose reply the kill
 * took from a delivery connection is sent again), so every acknowledged message reaches the sink, and the only
 * duplicates are at most one per delivery connection of the killed node.
 */
class FleetNodeKillTest extends FleetNodes
{
    private static final int CHILD_CONNECTIONS = 4;
    private static final int CHILD_MESSAGES = 300;
    private static final int NODE_MESSAGES = 700;
    private static final int SETTLE = 50;
    private static final int MEASURED = 500;
    private static final Pattern QUEUED = Pattern.compile("^250 2\\.0\\.0 Ok: queued as ([0-9A-F]{16})$");
    private static final Pattern TAG = Pattern.compile("node-c default (\\d+)\r\n");

    /** Node c: the real daemon in a child JVM, on SMTP at 127.0.0.1, its spool in {@code spool-c}. */
    private ChildJvm childNode() throws IOException
    {
        final List<String> args = new ArrayList<>(SmtpCrashTest.floodableDaemonArgs(dir.resolve("spool-c")));
        args.addAll(List.of(
            "--set", "drain.routes=" + ROUTES,
            "--set", "delivery.route.default.target=" + sink.target(),
            "--set", "delivery.route.default.maxConnections=" + CHILD_CONNECTIONS,
            "--set", "fleet.redis=" + redis.uri(),
            "--set", "fleet.nodeId=c"));
        return ChildJvm.start(SluiceDaemon.class, args.toArray(new String[0]));
    }

    @Test
    void shouldKeepTheRouteRateAfterANodeIsKilledAndDeliverWhatItAcknowledgedOnceItIsBack() throws Exception
    {
        final SluiceDaemon a = node("a", 2);
        final SluiceDaemon b = node("b", 3);
        final Map<Integer, Long> acknowledged = new ConcurrentHashMap<>();
        try (ChildJvm c = childNode())
        {
            final InetSocketAddress smtp = SmtpCrashTest.smtpAddress(c);
            SpoolAwait.until(() -> liveNodes(a, b) == 3, 30_000);
            sendTo(smtp, acknowledged);
            assertThat(acknowledged).as("the child acknowledged its mail").hasSize(CHILD_MESSAGES);
            load(a, "default", "node-a", NODE_MESSAGES);
            load(b, "default", "node-b", NODE_MESSAGES);
            // Killed while it sends its share: its borrowed tokens and its delivery connections in use.
            SpoolAwait.until(() -> sink.markersIn(0, sink.arrived()).getOrDefault("node-c", 0) >= 30
                && sink.markersIn(0, sink.arrived()).getOrDefault("node-a", 0) > 0, 60_000);
            c.kill9();
        }
        final long killedAt = System.nanoTime();
        SpoolAwait.until(() -> liveNodes(a, b) == 2, 15_000);
        System.out.printf("fleet: node c killed; a and b see 2 live nodes after %d ms%n",
            (System.nanoTime() - killedAt) / 1_000_000);
        assertThat(sink.measureRate(SETTLE, MEASURED, "")).as("a and b after c was killed")
            .isBetween(ROUTE_RATE * 0.95, ROUTE_RATE * 1.05);

        try (ChildJvm c = childNode())
        {
            SmtpCrashTest.smtpAddress(c);
            SpoolAwait.until(() -> deliveredTags().keySet().containsAll(acknowledged.keySet())
                && a.spool().pendingCount() == 0 && b.spool().pendingCount() == 0, 90_000);
            c.terminate();
            assertThat(c.waitFor(60_000)).as("clean stop after the drain").isIn(0, 143);
        }
        final Map<Integer, Integer> copies = deliveredTags();
        final int duplicates = copies.values().stream().mapToInt(n -> n - 1).sum();
        final Map<String, Integer> all = sink.markersIn(0, sink.arrived());
        System.out.printf("fleet: after the restart: %d of c's %d acknowledged messages delivered, %d duplicates (bound"
            + " %d); arrivals by node %s%n", copies.size(), acknowledged.size(), duplicates, CHILD_CONNECTIONS, all);
        assertThat(copies.keySet()).as("every message c acknowledged delivered").containsAll(acknowledged.keySet());
        assertThat(duplicates).as("at least once: only replies the kill took from c's delivery connections")
            .isLessThanOrEqualTo(CHILD_CONNECTIONS);
        assertThat(distinctOf("node-a") + distinctOf("node-b")).as("every message a and b spooled delivered")
            .isEqualTo(2 * NODE_MESSAGES);
    }

    private static int liveNodes(final SluiceDaemon... nodes)
    {
        int fewest = Integer.MAX_VALUE;
        for (final SluiceDaemon node : nodes)
        {
            fewest = Math.min(fewest, node.fleet().status().shared() ? node.fleet().status().liveNodes() : 0);
        }
        return fewest;
    }

    /** Sends {@link #CHILD_MESSAGES} over one SMTP session, each tagged; records each one's queue id. */
    private static void sendTo(final InetSocketAddress smtp, final Map<Integer, Long> acknowledged) throws IOException
    {
        try (SmtpTestClient client = SmtpTestClient.connect(smtp))
        {
            SmtpTestClient.expect(client.reply(), "220");
            SmtpTestClient.expect(client.command("EHLO sender.example"), "250");
            for (int i = 0; i < CHILD_MESSAGES; i++)
            {
                final String reply = client.sendMessage("sender@partner.example", "user" + i + "@relay.test",
                    "Subject: fleet\r\n\r\nnode-c default " + i);
                final Matcher queued = QUEUED.matcher(reply);
                assertThat(queued.matches()).as("reply to message %d: %s", i, reply).isTrue();
                acknowledged.put(i, Long.parseLong(queued.group(1), 16));
            }
        }
    }

    /** @return c's delivered messages by number, with how many copies of each reached the sink. */
    private Map<Integer, Integer> deliveredTags()
    {
        final Map<Integer, Integer> copies = new HashMap<>();
        for (final String text : sink.texts())
        {
            final Matcher tag = TAG.matcher(text);
            if (tag.find())
            {
                copies.merge(Integer.parseInt(tag.group(1)), 1, Integer::sum);
            }
        }
        return copies;
    }

    private long distinctOf(final String marker)
    {
        final Set<String> distinct = new HashSet<>();
        for (final String text : sink.texts())
        {
            final int at = text.indexOf(marker + " ");
            if (at >= 0)
            {
                distinct.add(text.substring(at).trim());
            }
        }
        return distinct.size();
    }
}
