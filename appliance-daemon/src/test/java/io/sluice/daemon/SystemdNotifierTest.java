package io.sluice.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/** The sd_notify protocol against a real Unix datagram socket standing in for systemd's NOTIFY_SOCKET. */
class SystemdNotifierTest
{
    @TempDir
    Path dir;

    @Test
    void shouldSendReadyStatusWatchdogAndStoppingToThePathSocket() throws Exception
    {
        final Path path = dir.resolve("notify");
        try (FakeSystemd systemd = new FakeSystemd(AFUNIXSocketAddress.of(path));
             SystemdNotifier notifier = SystemdNotifier.open(path.toString(), Duration.ZERO))
        {
            assertThat(notifier.enabled()).isTrue();
            notifier.ready("accepting on 127.0.0.1:25; 3 pending");
            notifier.status("12 pending (48 KiB),\noldest 4 s");
            notifier.watchdog();
            notifier.extendTimeout(Duration.ofSeconds(20));
            notifier.stopping("stopping: finishing SMTP transactions");

            assertThat(systemd.next()).isEqualTo("READY=1\nSTATUS=accepting on 127.0.0.1:25; 3 pending");
            assertThat(systemd.next()).as("a newline would start a new assignment")
                .isEqualTo("STATUS=12 pending (48 KiB), oldest 4 s");
            assertThat(systemd.next()).isEqualTo("WATCHDOG=1");
            assertThat(systemd.next()).isEqualTo("EXTEND_TIMEOUT_USEC=20000000");
            assertThat(systemd.next()).isEqualTo("STOPPING=1\nSTATUS=stopping: finishing SMTP transactions");
            assertThat(systemd.next(200)).isNull();
        }
    }

    @Test
    void shouldSendToAnAbstractSocket() throws Exception
    {
        final String name = "sluice-test-" + UUID.randomUUID();
        try (FakeSystemd systemd = new FakeSystemd(AFUNIXSocketAddress.inAbstractNamespace(name));
             SystemdNotifier notifier = SystemdNotifier.open("@" + name, Duration.ZERO))
        {
            notifier.ready("up");
            assertThat(systemd.next()).isEqualTo("READY=1\nSTATUS=up");
        }
    }

    @Test
    void shouldKeepTheWatchdogFedOnlyWhileHealthyAndFallSilentAfterStopping() throws Exception
    {
        final Path path = dir.resolve("notify");
        final AtomicBoolean healthy = new AtomicBoolean(true);
        try (FakeSystemd systemd = new FakeSystemd(AFUNIXSocketAddress.of(path));
             SystemdNotifier notifier = SystemdNotifier.open(path.toString(), Duration.ofMillis(400)))
        {
            notifier.ready("up");
            assertThat(systemd.next()).isEqualTo("READY=1\nSTATUS=up");
            notifier.startHeartbeat(healthy::get, () -> "7 pending");
            assertThat(systemd.next()).isEqualTo("WATCHDOG=1\nSTATUS=7 pending");
            assertThat(systemd.next()).as("again, every half interval").isEqualTo("WATCHDOG=1\nSTATUS=7 pending");

            healthy.set(false);
            assertThat(nextWithout(systemd, "WATCHDOG=1\nSTATUS=7 pending"))
                .as("the keep-alive is withheld, so systemd restarts a daemon whose workers died")
                .isEqualTo("STATUS=UNHEALTHY 7 pending");

            notifier.stopping("stopping");
            assertThat(nextWithout(systemd, "STATUS=UNHEALTHY 7 pending")).isEqualTo("STOPPING=1\nSTATUS=stopping");
            assertThat(systemd.next(1_000)).as("nothing after STOPPING=1").isNull();
        }
    }

    @Test
    void shouldReportStatusWithoutWatchdogWhenTheUnitHasNone() throws Exception
    {
        final Path path = dir.resolve("notify");
        try (FakeSystemd systemd = new FakeSystemd(AFUNIXSocketAddress.of(path));
             SystemdNotifier notifier = SystemdNotifier.open(path.toString(), Duration.ZERO))
        {
            notifier.startHeartbeat(() -> true, () -> "idle");
            assertThat(systemd.next()).isEqualTo("STATUS=idle");
        }
    }

    /** Skips the beats already under way when the test changed something: they may still be in flight. */
    private static String nextWithout(final FakeSystemd systemd, final String stale) throws IOException
    {
        String message = systemd.next();
        while (stale.equals(message))
        {
            message = systemd.next();
        }
        return message;
    }

    @Test
    void shouldDoNothingWithoutNotifySocket()
    {
        final SystemdNotifier notifier = SystemdNotifier.fromEnvironment(Map.of(), 42);
        assertThat(notifier.enabled()).isFalse();
        notifier.ready("up");
        notifier.startHeartbeat(() -> true, () -> "up");
        notifier.stopping("down");
        notifier.close();
    }

    @Test
    void shouldReadTheWatchdogIntervalOnlyWhenItIsForThisProcess() throws Exception
    {
        final Path path = dir.resolve("notify");
        try (FakeSystemd ignored = new FakeSystemd(AFUNIXSocketAddress.of(path));
             SystemdNotifier mine = SystemdNotifier.fromEnvironment(Map.of(SystemdNotifier.NOTIFY_SOCKET, path.toString(),
                 SystemdNotifier.WATCHDOG_USEC, "30000000", SystemdNotifier.WATCHDOG_PID, "42"), 42);
             SystemdNotifier anyPid = SystemdNotifier.fromEnvironment(Map.of(SystemdNotifier.NOTIFY_SOCKET, path.toString(),
                 SystemdNotifier.WATCHDOG_USEC, "30000000"), 42);
             SystemdNotifier parents = SystemdNotifier.fromEnvironment(Map.of(SystemdNotifier.NOTIFY_SOCKET, path.toString(),
                 SystemdNotifier.WATCHDOG_USEC, "30000000", SystemdNotifier.WATCHDOG_PID, "7"), 42))
        {
            assertThat(mine.watchdogInterval()).isEqualTo(Duration.ofSeconds(30));
            assertThat(anyPid.watchdogInterval()).isEqualTo(Duration.ofSeconds(30));
            assertThat(parents.enabled()).isTrue();
            assertThat(parents.watchdogInterval()).as("inherited from a parent: not ours to feed").isZero();
        }
    }

    @Test
    void shouldRefuseASocketNameOutsideTheProtocol()
    {
        assertThatThrownBy(() -> SystemdNotifier.open("relative/notify", Duration.ZERO))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("absolute path or @abstract-name");
        assertThat(SystemdNotifier.fromEnvironment(Map.of(SystemdNotifier.NOTIFY_SOCKET, "relative/notify"), 1).enabled())
            .as("a bad NOTIFY_SOCKET is logged, the daemon still starts").isFalse();
    }

    @Test
    void shouldNotThrowWhenSystemdIsGone() throws Exception
    {
        try (SystemdNotifier notifier = SystemdNotifier.open(dir.resolve("nobody-listens").toString(), Duration.ZERO))
        {
            notifier.ready("up");
            notifier.watchdog();
            notifier.stopping("down");
        }
    }
}
