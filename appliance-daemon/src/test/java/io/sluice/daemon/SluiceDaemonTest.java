package io.sluice.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.sluice.spool.ChildJvm;
import io.sluice.spool.SpoolAwait;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon as a newcomer starts it: on the embedded defaults, as a child JVM, stopping cleanly on SIGTERM; a message
 * sent to it appears as an {@code .eml} in the default route's {@code new/} folder beside the spool; a bad setting is
 * refused by name without touching the spool.
 */
class SluiceDaemonTest
{
    @TempDir
    Path dir;

    @Test
    void shouldStartOnTheEmbeddedDefaultsAndStopCleanlyOnSigterm() throws Exception
    {
        final Path spool = dir.resolve("spool");
        try (ChildJvm daemon = ChildJvm.start(SluiceDaemon.class,
            "--set", "spool.directory=" + spool, "--set", "smtp.listen=127.0.0.1:0",
                "--set", "jmx.enabled=false", "--set", "relay.domains=relay.test"))
        {
            SpoolAwait.until(
                () -> daemon.lines().stream().anyMatch(l -> l.contains("sluice started")) || !daemon.isAlive(), 60_000);
            assertThat(daemon.isAlive()).as("daemon running").isTrue();
            assertThat(Files.exists(spool.resolve("metadata.cq4t"))).as("journal created under the configured folder").isTrue();
            final String started = daemon.lines().stream().filter(l -> l.contains("sluice started")).findFirst().orElseThrow();
            final Matcher port = Pattern.compile("SMTP on /127\\.0\\.0\\.1:(\\d+)").matcher(started);
            assertThat(port.find()).as("the start-up line names the listener: %s", started).isTrue();
            final String queued = sendOneMessage(Integer.parseInt(port.group(1)));
            assertThat(queued).startsWith("250 2.0.0 Ok: queued as ");
            assertThat(daemon.lines()).as("the effective routes are logged")
                .anyMatch(l -> l.contains("route default: 200.0 msg/s, burst 20; delivery default -> dir:"
                    + dir.resolve("delivered")))
                .anyMatch(l -> l.contains("route notifications: 20.0 msg/s, burst 5; delivery notifications -> dir:"));
            // The embedded default route writes into a maildir beside the spool: the newcomer sees the message arrive.
            final Path delivered =
                dir.resolve("delivered/default/new").resolve(queued.substring(queued.length() - 16) + "-r0.eml");
            SpoolAwait.until(() -> Files.exists(delivered), 30_000);
            assertThat(Files.readString(delivered)).startsWith("Return-Path: <a@outside.test>\r\nDelivered-To: b@relay.test\r\n")
                .endsWith("Subject: t\r\n\r\nhello\r\n");

            daemon.terminate();
            // 143 = 128 + SIGTERM: the JVM's status after its shutdown hooks ran (the unit lists it as success).
            assertThat(daemon.waitFor(30_000)).isEqualTo(143);
            assertThat(daemon.lines()).anyMatch(l -> l.contains("sluice stopped"));
        }
    }

    @Test
    void shouldRefuseABadSettingByNameWithoutTouchingTheSpool()
    {
        final Path spool = dir.resolve("never-created");
        final String err = captureStderr(() ->
            assertThat(SluiceDaemon.run("--set", "spool.directory=" + spool, "--set", "spool.maxBatch=0"))
                .isEqualTo(SluiceDaemon.EXIT_CONFIG));
        assertThat(err).contains("spool.maxBatch=0: expected");
        assertThat(spool).doesNotExist();
    }

    @Test
    void shouldRefuseAnUnknownKeyInTheConfigFile() throws Exception
    {
        final Path config = dir.resolve("sluice.properties");
        Files.writeString(config, "spool.directory=" + dir.resolve("s") + "\nspool.maxbatch=10\n");
        final String err = captureStderr(() ->
            assertThat(SluiceDaemon.run("--config", config.toString())).isEqualTo(SluiceDaemon.EXIT_CONFIG));
        assertThat(err).contains("spool.maxbatch=10: expected a known setting");
    }

    @Test
    void shouldCheckAConfigurationWithoutStarting() throws Exception
    {
        final Path config = dir.resolve("sluice.properties");
        Files.writeString(config, "spool.directory=" + dir.resolve("s") + "\nspool.maxBatch=64\n");
        assertThat(SluiceDaemon.run("--config", config.toString(), "--set", "spool.maxBatch=32", "--check-config")).isZero();
        assertThat(dir.resolve("s")).doesNotExist();
        assertThat(DaemonSettings.load(config, java.util.Map.of("spool.maxBatch", "32")).intValue("spool.maxBatch"))
            .as("--set wins over the file").isEqualTo(32);
    }

    @Test
    void shouldRejectUnknownArgumentsWithUsage()
    {
        final String err = captureStderr(() -> assertThat(SluiceDaemon.run("--frobnicate")).isEqualTo(SluiceDaemon.EXIT_USAGE));
        assertThat(err).contains("unknown argument: --frobnicate").contains("usage:");
    }

    /** A minimal, real SMTP dialogue; returns the reply to the end of data. */
    private static String sendOneMessage(final int port) throws Exception
    {
        try (Socket socket = new Socket("127.0.0.1", port))
        {
            socket.setSoTimeout(15_000);
            final BufferedReader in =
                new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            final OutputStream out = socket.getOutputStream();
            assertThat(in.readLine()).startsWith("220");
            out.write("HELO client.test\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(in.readLine()).startsWith("250");
            out.write("MAIL FROM:<a@outside.test>\r\nRCPT TO:<b@relay.test>\r\nDATA\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(in.readLine()).startsWith("250");
            assertThat(in.readLine()).startsWith("250");
            assertThat(in.readLine()).startsWith("354");
            out.write("Subject: t\r\n\r\nhello\r\n.\r\n".getBytes(StandardCharsets.US_ASCII));
            return in.readLine();
        }
    }

    private static String captureStderr(final Runnable action)
    {
        final PrintStream original = System.err;
        final ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try
        {
            action.run();
        }
        finally
        {
            System.setErr(original);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }
}
