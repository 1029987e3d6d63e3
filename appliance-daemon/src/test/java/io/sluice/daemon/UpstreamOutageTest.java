package io.sluice.daemon;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.sluice.delivery.DeliveryCounter;
import io.sluice.delivery.TestSmtpSink;
import io.sluice.drain.DrainCounter;
import io.sluice.drain.DrainStatus;
import io.sluice.ingress.SmtpTestClient;
import io.sluice.spool.Disposition;
import io.sluice.spool.QueueIds;
import io.sluice.spool.SpoolAwait;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole daemon, in-process, delivering over SMTP to a relay that goes away (its listener closed: connections
 * refused) and comes back on the same port. Mail keeps being accepted meanwhile; the refused connections count as
 * throttling, so the route's rate backs off and it probes one connection at a time; the dispatch that met the refusal is
 * journaled DEFERRED; when the relay is back everything drains, each message exactly once, and the spool ends empty.
 * Only counters and journal states are asserted, never rates measured on the wall clock.
 */
class UpstreamOutageTest
{
    private static final int BEFORE = 10;
    private static final int DURING = 30;

    @TempDir
    Path dir;

    private SluiceDaemon start(final TestSmtpSink sink) throws IOException
    {
        return SluiceDaemon.start(SluiceDaemon.Configuration.of(DaemonSettings.load(null, Map.ofEntries(
            Map.entry("spool.directory", dir.resolve("spool").toString()),
            Map.entry("smtp.listen", "127.0.0.1:0"),
            Map.entry("jmx.enabled", "false"),
            Map.entry("relay.domains", "relay.test"),
            Map.entry("containment.exemptTenants", "default"),
            Map.entry("drain.routes", "default:100:10,notifications:20:5"),
            // Short retry and probe intervals, so the outage and the recovery fit in a test.
            Map.entry("drain.retry.initialMs", "300"),
            Map.entry("drain.retry.maxMs", "1000"),
            Map.entry("delivery.reconnectDelayMs", "200"),
            Map.entry("delivery.route.default.maxConnections", "4"),
            Map.entry("delivery.route.default.target", sink.target()),
            Map.entry("delivery.route.notifications.target", "dir:" + dir.resolve("notifications"))))));
    }

    @Test
    void shouldDeferBackOffAndThenDrainEverythingOnceWhenTheRelayComesBack() throws Exception
    {
        final TestSmtpSink first = TestSmtpSink.start();
        try (SluiceDaemon daemon = start(first))
        {
            send(daemon, "before", BEFORE);
            SpoolAwait.until(() -> first.received().size() == BEFORE && daemon.spool().pendingCount() == 0);

            final TestSmtpSink.DownRelay down = first.goDown();
            final List<Long> during = send(daemon, "during", DURING);
            assertThat(during).as("accepted while the relay is down").hasSize(DURING);
            // Refused connections: throttling, a multiplicative decrease, and the dispatch that met it deferred.
            SpoolAwait.until(() -> daemon.delivery().counters().get(DeliveryCounter.CONNECT_FAILURES) >= 3
                && daemon.drain().counters().get(DrainCounter.RATE_DECREASES) >= 1
                && daemon.drain().counters().get(DrainCounter.DEFERRED) >= 1, 30_000);
            // The published status is a snapshot the drain renews every few hundred milliseconds: wait for one that
            // was taken after the back-off.
            SpoolAwait.until(() -> daemon.drain().status().route("default").throttleSignals() >= 1, 10_000);
            final DrainStatus.RouteStatus route = daemon.drain().status().route("default");
            assertThat(route.throttleSignals()).isGreaterThanOrEqualTo(1);
            assertThat(route.effectiveRatePerSec()).as("backed off").isLessThan(route.configuredRatePerSec());
            assertThat(daemon.spool().pendingCount()).as("nothing delivered while the relay is down").isEqualTo(DURING);
            // The dispatches that met the refusal are journaled DEFERRED (the journal writer may still be at it).
            SpoolAwait.until(() -> deferredInJournal(daemon, during) > 0);
            final long journaledDeferred = deferredInJournal(daemon, during);
            final long failuresDuringOutage = daemon.delivery().counters().get(DeliveryCounter.CONNECT_FAILURES);
            final long openedBefore = daemon.delivery().counters().get(DeliveryCounter.CONNECTIONS_OPENED);

            try (TestSmtpSink back = down.comeBack())
            {
                SpoolAwait.until(() -> daemon.spool().pendingCount() == 0, 60_000);
                for (int i = 0; i < DURING; i++)
                {
                    assertThat(back.copiesOf("Subject: during-" + i + "\r\n")).as("during-%d exactly once", i).isEqualTo(1);
                }
                assertThat(back.received()).as("only the mail held back by the outage").hasSize(DURING);
                assertThat(daemon.delivery().counters().get(DeliveryCounter.LOST_AFTER_DATA)).isZero();
                assertThat(daemon.delivery().counters().get(DeliveryCounter.CONNECTIONS_OPENED)).isGreaterThan(openedBefore);
                System.out.printf("Upstream outage: %d connection attempts refused, %d throttle signals, %d rate decreases"
                        + " (effective %.1f of %.1f msg/s at the worst), %d recipient outcomes deferred, %d recipients journaled"
                        + " DEFERRED when checked; after the relay came back all %d delivered once, spool empty%n",
                    failuresDuringOutage, route.throttleSignals(), daemon.drain().counters().get(DrainCounter.RATE_DECREASES),
                    route.effectiveRatePerSec(), route.configuredRatePerSec(),
                    daemon.drain().counters().get(DrainCounter.DEFERRED), journaledDeferred, DURING);
            }
        }
        for (int i = 0; i < BEFORE; i++)
        {
            assertThat(first.copiesOf("Subject: before-" + i + "\r\n")).isEqualTo(1);
        }
    }

    private static long deferredInJournal(final SluiceDaemon daemon, final List<Long> ids)
    {
        return ids.stream().map(id -> daemon.spool().pending(id))
            .filter(m -> m != null && m.recipients().get(0).disposition() == Disposition.DEFERRED).count();
    }

    /** One session from the trusted 127.0.0.1; every message must get its 250. Returns the queue ids. */
    private static List<Long> send(final SluiceDaemon daemon, final String prefix, final int count) throws IOException
    {
        final List<Long> ids = new ArrayList<>();
        try (SmtpTestClient client = SmtpTestClient.connect(daemon.smtp().localAddress()))
        {
            expect(client.reply(), "220");
            expect(client.command("EHLO outage.test"), "250");
            for (int i = 0; i < count; i++)
            {
                final String reply = expect(client.sendMessage("sender@outage.test", "user@relay.test",
                    "Subject: " + prefix + "-" + i + "\r\n\r\nbody " + i), "250 2.0.0 Ok: queued as ");
                ids.add(QueueIds.parse(reply.substring(reply.lastIndexOf(' ') + 1)));
            }
            expect(client.command("QUIT"), "221");
        }
        return ids;
    }
}
