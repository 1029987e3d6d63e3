package io.sluice.daemon;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;

import io.sluice.control.ConsoleClient;
import io.sluice.control.ControlPlane;
import io.sluice.control.cli.SluiceCommand;
import io.sluice.delivery.TestSmtpSink;
import io.sluice.ingress.SmtpTestClient;
import io.sluice.spool.SmallFilesystem;
import io.sluice.spool.SpoolAwait;
import io.sluice.spool.SpoolCounter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole daemon on a real 24 MiB filesystem: SMTP fills the spool until the reserve answers {@code 452 4.3.1}
 * (the drain paused by the operator meanwhile), {@code sluice queue} says so, the drain is resumed and delivers
 * everything, and the same SMTP listener takes mail again within seconds, with no restart. This is the test that would
 * have caught a spool that stayed full with nothing pending.
 */
class DiskPressureDaemonTest
{
    private static final String BODY = "x".repeat(60 << 10);
    private static final int PER_SOURCE = 40;

    @TempDir
    Path dir;

    private static SluiceDaemon start(final Path spoolDir, final TestSmtpSink sink) throws IOException
    {
        return SluiceDaemon.start(SluiceDaemon.Configuration.of(DaemonSettings.load(null, Map.ofEntries(
            Map.entry("spool.directory", spoolDir.toString()),
            // Scaled to the small filesystem: the reserve must hold four blocks.
            Map.entry("spool.blockSizeBytes", Integer.toString(1 << 20)),
            Map.entry("spool.chunkBytes", Integer.toString(64 << 10)),
            Map.entry("spool.diskReserveBytes", Integer.toString(8 << 20)),
            Map.entry("smtp.listen", "127.0.0.1:0"),
            Map.entry("relay.domains", "relay.test"),
            Map.entry("containment.exemptTenants", "default"),
            Map.entry("delivery.route.default.target", sink.target()),
            Map.entry("delivery.route.notifications.target", "dir:" + spoolDir.resolveSibling("notifications"))))));
    }

    @Test
    void shouldTakeMailAgainOverSmtpOnceTheFullSpoolHasDrainedWithNoRestart() throws Exception
    {
        try (SmallFilesystem fs = SmallFilesystem.mount(dir.resolve("mnt"), 24);
             TestSmtpSink sink = TestSmtpSink.start();
             SluiceDaemon daemon = start(fs.path().resolve("spool"), sink);
             JMXConnector jmx = ConsoleClient.connect(ConsoleClient.socketOf(fs.path().resolve("spool"))))
        {
            final MBeanServerConnection mbeans = jmx.getMBeanServerConnection();
            mbeans.invoke(ControlPlane.name("Spool"), "pauseDrain", new Object[] {""}, new String[] {String.class.getName()});
            int accepted = 0;
            String refusal = null;
            // A few dozen messages from each of many sources, each in its own /24, well inside admission's defaults.
            for (int source = 1; refusal == null && source < 100; source++)
            {
                try (SmtpTestClient client = SmtpTestClient.connect(daemon.smtp().localAddress(), "127." + source + ".0.1"))
                {
                    expect(client.reply(), "220");
                    expect(client.command("EHLO full.test"), "250");
                    for (int i = 0; refusal == null && i < PER_SOURCE; i++)
                    {
                        final String reply = send(client, "fill-" + accepted);
                        if (reply.startsWith("250"))
                        {
                            accepted++;
                        }
                        else
                        {
                            refusal = reply;
                        }
                    }
                }
            }
            assertThat(refusal).as("the reserve refused before the disk was full").startsWith("452 4.3.1");
            assertThat(accepted).isGreaterThan(100);
            SpoolAwait.until(() -> daemon.spool().counters().get(SpoolCounter.DISK_PRESSURE_EPISODES) == 1);
            final String during = sluice(ConsoleClient.socketOf(fs.path().resolve("spool")), "queue");
            assertThat(during).contains("accepting    NO: disk pressure for").contains("452 4.3.1");
            assertThat(mbeans.getAttribute(ControlPlane.name("Spool"), "DiskPressureEpisodes")).isEqualTo(1L);
            assertThat(mbeans.getAttribute(ControlPlane.name("Spool"), "AcceptingMessages")).isEqualTo(false);

            mbeans.invoke(ControlPlane.name("Spool"), "resumeDrain", new Object[] {""}, new String[] {String.class.getName()});
            final int toDeliver = accepted;
            SpoolAwait.until(() -> daemon.spool().pendingCount() == 0 && sink.received().size() == toDeliver, 120_000);
            final long drainedNs = System.nanoTime();
            SpoolAwait.until(daemon.spool()::isAcceptingMessages, 10_000);
            final long reopenMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - drainedNs);
            try (SmtpTestClient client = SmtpTestClient.connect(daemon.smtp().localAddress(), "127.200.0.1"))
            {
                expect(client.reply(), "220");
                expect(client.command("EHLO full.test"), "250");
                assertThat(send(client, "after")).as("the same daemon takes mail again").startsWith("250 2.0.0");
            }
            final String after = sluice(ConsoleClient.socketOf(fs.path().resolve("spool")), "queue");
            assertThat(after).contains("accepting    yes").contains("under pressure 1 time since start");
            System.out.printf("disk pressure, whole daemon: %d messages of 60 KiB over SMTP filled a 24 MiB filesystem, then"
                + " %s; drained to accepting again in %d ms; sluice queue meanwhile:%n%s", accepted, refusal, reopenMs, during);
        }
    }

    /** One transaction of 60 KiB; the first reply that is not the expected one ends it and is returned. */
    static String send(final SmtpTestClient client, final String tag) throws IOException
    {
        final String mail = client.command("MAIL FROM:<sender@full.test>");
        if (!mail.startsWith("250"))
        {
            return mail;
        }
        expect(client.command("RCPT TO:<user@relay.test>"), "250");
        expect(client.command("DATA"), "354");
        client.send("Subject: " + tag + "\r\n\r\n" + BODY + "\r\n.\r\n");
        return client.reply();
    }

    private static String sluice(final Path socket, final String... args)
    {
        final String[] all = new String[args.length + 2];
        all[0] = "--socket";
        all[1] = socket.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final int exit = SluiceCommand.run(all, new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
        assertThat(exit).isZero();
        return out.toString(StandardCharsets.UTF_8);
    }
}
