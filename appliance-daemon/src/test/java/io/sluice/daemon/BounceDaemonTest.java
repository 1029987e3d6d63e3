package io.sluice.daemon;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

import io.sluice.bounce.BounceCounter;
import io.sluice.bounce.BouncePolicy;
import io.sluice.control.ControlPlane;
import io.sluice.control.JmxServer;
import io.sluice.delivery.TestSmtpSink;
import io.sluice.ingress.SmtpTestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole daemon, in-process, delivering over SMTP to a sink that rejects: the spoofing flood's pattern (sender ==
 * recipient in the relay domain, from outside the trusted networks, rejected 5.7.1) gets no DSN, while a real outside
 * sender whose recipient does not exist (5.1.1) gets exactly one, from the null sender, as a multipart/report.
 */
class BounceDaemonTest
{
    private static final int SPOOFS = 5;

    @TempDir
    Path dir;

    private TestSmtpSink sink;

    @BeforeEach
    void startSink() throws IOException
    {
        sink = TestSmtpSink.start();
    }

    @AfterEach
    void stopSink() throws IOException
    {
        sink.close();
    }

    private static int freePort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket(0))
        {
            return socket.getLocalPort();
        }
    }

    private SluiceDaemon start(final int jmxPort) throws IOException
    {
        return SluiceDaemon.start(SluiceDaemon.Configuration.of(DaemonSettings.load(null, Map.of(
            "spool.directory", dir.resolve("spool").toString(),
            "smtp.listen", "127.0.0.1:0",
            "relay.domains", "relay.test",
            "delivery.route.default.target", sink.target(),
            "delivery.route.notifications.target", "dir:" + dir.resolve("notifications"),
            "jmx.port", Integer.toString(jmxPort)))));
    }

    @Test
    void shouldSuppressBouncesOfSpoofedMailAndSendOneDsnToALegitimateSender() throws Exception
    {
        final int jmxPort = freePort();
        try (SluiceDaemon daemon = start(jmxPort))
        {
            try (SmtpTestClient client = SmtpTestClient.connect(daemon.smtp().localAddress(), "127.0.0.9"))
            {
                expect(client.reply(), "220");
                expect(client.command("EHLO outside.example"), "250");
                for (int i = 0; i < SPOOFS; i++)
                {
                    final String forged = "policy" + i + "@relay.test";
                    assertThat(client.sendMessage(forged, forged, "spoof " + i)).startsWith("250");
                }
                assertThat(client.sendMessage("legit@outside.test", "reject1@relay.test", "hello")).startsWith("250");
            }
            final BouncePolicy policy = daemon.bounces().policy();
            await(() -> policy.counters().get(BounceCounter.DECISIONS) == SPOOFS + 1
                && sink.received().stream().anyMatch(r -> r.from().isEmpty()));
            final List<TestSmtpSink.Received> dsns = sink.received().stream().filter(r -> r.from().isEmpty()).toList();
            assertThat(dsns).as("exactly one DSN").hasSize(1);
            assertThat(dsns.get(0).recipients()).containsExactly("legit@outside.test");
            assertThat(dsns.get(0).text()).contains("multipart/report").contains("reject1@relay.test").contains("5.1.1");
            assertThat(policy.counters().get(BounceCounter.SUPPRESSED_SPOOF_PATTERN)).isEqualTo(SPOOFS);
            assertThat(policy.counters().get(BounceCounter.BOUNCES_ALLOWED)).isEqualTo(1);
            assertThat(daemon.bounces().dsnsAppended()).isEqualTo(1);
            assertThat(policy.recentSuppressions()).hasSize(SPOOFS);
            // The suppressions are journaled SUPPRESSED, not FAILED, and the spool ends empty: nothing is left behind.
            await(() -> daemon.spool().pendingCount() == 0);
            try (JMXConnector jmx = JMXConnectorFactory.connect(
                new JMXServiceURL(JmxServer.serviceUrl("127.0.0.1", jmxPort))))
            {
                final MBeanServerConnection mbeans = jmx.getMBeanServerConnection();
                assertThat(mbeans.getAttribute(ControlPlane.name("Bounces"), "Suppressed")).isEqualTo((long) SPOOFS);
                assertThat(mbeans.getAttribute(ControlPlane.name("Bounces"), "Generated")).isEqualTo(1L);
                assertThat((String[]) mbeans.getAttribute(ControlPlane.name("Bounces"), "RecentSuppressions"))
                    .hasSize(SPOOFS).allMatch(line -> line.contains("SPOOF_PATTERN"));
            }
        }
    }

    private static void await(final BooleanSupplier condition) throws InterruptedException
    {
        final long deadline = System.nanoTime() + 30_000_000_000L;
        while (!condition.getAsBoolean())
        {
            assertThat(System.nanoTime()).as("condition not met within 30 s").isLessThan(deadline);
            Thread.sleep(20);
        }
    }
}
