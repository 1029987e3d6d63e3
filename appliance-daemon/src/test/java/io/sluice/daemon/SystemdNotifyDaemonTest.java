package io.sluice.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.sluice.spool.ChildJvm;
import io.sluice.spool.SpoolAwait;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * The real daemon in a child JVM, started the way systemd starts a {@code Type=notify} unit with
 * {@code WatchdogSec=}: {@code NOTIFY_SOCKET} and {@code WATCHDOG_USEC} in its environment.
 */
class SystemdNotifyDaemonTest
{
    @TempDir
    Path dir;

    @Test
    void shouldSignalReadyAfterBindingKeepTheWatchdogFedAndSignalStoppingOnSigterm() throws Exception
    {
        final Path socket = dir.resolve("notify");
        final Map<String, String> systemdEnvironment = Map.of(
            SystemdNotifier.NOTIFY_SOCKET, socket.toString(), SystemdNotifier.WATCHDOG_USEC, "2000000");
        try (FakeSystemd systemd = new FakeSystemd(AFUNIXSocketAddress.of(socket));
             ChildJvm daemon = ChildJvm.start(systemdEnvironment, SluiceDaemon.class,
                 "--set", "spool.directory=" + dir.resolve("spool"), "--set", "smtp.listen=127.0.0.1:0",
                 "--set", "relay.domains=relay.test", "--set", "jmx.enabled=false"))
        {
            final String ready = systemd.next(60_000);
            assertThat(ready).as("the first notification").startsWith("READY=1\nSTATUS=");

            // READY=1 promises a bound listener: the SMTP greeting must be there now.
            SpoolAwait.until(() -> daemon.lines().stream().anyMatch(l -> l.contains("sluice started")), 10_000);
            final String started = daemon.lines().stream().filter(l -> l.contains("sluice started")).findFirst().orElseThrow();
            final Matcher port = Pattern.compile("SMTP on /127\\.0\\.0\\.1:(\\d+)").matcher(started);
            assertThat(port.find()).as("the start-up line names the listener: %s", started).isTrue();
            assertThat(greeting(Integer.parseInt(port.group(1)))).startsWith("220 ");

            assertThat(systemd.nextNotStartingWith("STATUS=", 10_000))
                .as("a keep-alive within the 2 s watchdog interval").startsWith("WATCHDOG=1\nSTATUS=");

            daemon.terminate();
            assertThat(systemd.nextNotStartingWith("WATCHDOG=1", 10_000)).as("first thing on SIGTERM")
                .startsWith("STOPPING=1");
            assertThat(daemon.waitFor(30_000)).isEqualTo(143);
            assertThat(systemd.nextNotStartingWith("STATUS=", 500)).as("nothing after STOPPING=1 but status").isNull();
        }
    }

    private static String greeting(final int port) throws Exception
    {
        try (Socket client = new Socket("127.0.0.1", port))
        {
            client.setSoTimeout(10_000);
            return new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        }
    }
}
