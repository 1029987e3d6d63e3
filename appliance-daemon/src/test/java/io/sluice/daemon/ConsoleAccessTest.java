package io.sluice.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.sluice.control.ConsoleClient;
import io.sluice.spool.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The console's door, tried call by call with a real JMX client ({@link ConsoleProbe}, in its own JVM) against the
 * whole daemon serving both consoles: the TCP one (TLS, passwords) for each role and for no credentials, and the local
 * socket as its owner. Nobody may create an MLet or unregister a bean; only diagnostics may dump the heap, run a
 * diagnostic command, write a platform bean or see com.sun.management; each io.sluice setter and operation needs exactly
 * the role the table below says; every refusal is audited; guessing passwords is throttled.
 */
class ConsoleAccessTest
{
    /** Every io.sluice operation and setter by the role it needs; a new one fails this test until it is placed here. */
    private static final Set<String> MONITOR_OPERATIONS = Set.of("op:Limits.listOverrides", "op:Limits.listBlocks",
        "op:Limits.topSources", "op:Limits.reputation", "op:Limits.worstReputations", "op:Limits.authFailures",
        "op:Spool.listQueue", "op:Spool.showQueued");
    private static final Set<String> ADMIN_OPERATIONS = Set.of("op:Tenants.purge");
    private static final Set<String> OPERATOR_OPERATIONS = Set.of(
        "op:Spool.pauseIngress", "op:Spool.resumeIngress", "op:Spool.pauseDrain", "op:Spool.resumeDrain",
        "op:Spool.retryDeferred", "op:Spool.releaseQuarantined", "op:Spool.releaseAllQuarantined",
        "op:Spool.deleteQuarantined", "op:Spool.readQueuedContent", "op:Spool.holdQueued", "op:Spool.releaseQueued",
        "op:Spool.requeueQueued", "op:Spool.deleteQueued",
        "op:Limits.setDefaultLimit", "op:Limits.setOverride", "op:Limits.removeOverride", "op:Limits.block",
        "op:Limits.unblock",
        "set:Limits.IpRatePerSecond", "set:Limits.IpBurst", "set:Limits.NetworkRatePerSecond", "set:Limits.NetworkBurst",
        "set:Limits.SenderDomainRatePerSecond", "set:Limits.SenderDomainBurst", "set:Limits.TenantRatePerSecond",
        "set:Limits.TenantBurst", "set:Limits.GlobalRatePerSecond", "set:Limits.GlobalBurst",
        "set:Limits.MaxProjectedDelaySeconds",
        "op:Drain.setRouteRate", "op:Drain.setRouteConnections", "op:Drain.pauseTenant", "op:Drain.resumeTenant",
        "op:Drain.pauseSource", "op:Drain.resumeSource",
        "op:Tenants.hold", "op:Tenants.release", "op:Tenants.samples",
        "op:Bounces.suppress", "op:Bounces.unsuppress", "op:Bounces.blockSender", "op:Bounces.unblockSender",
        "op:Bounces.releaseDeferred",
        "op:Config.forget", "op:Tls.reloadCertificate");
    private static final List<String> NOBODY_MAY = List.of("mlet", "unregister");
    private static final List<String> DIAGNOSTICS_ONLY = List.of("diagnosticCommand", "dumpHeap", "setPlatformAttribute",
        "platformGc", "seesDiagnosticBeans", "readSystemProperties");

    @TempDir
    Path dir;

    private static int freePort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket(0))
        {
            return socket.getLocalPort();
        }
    }

    private SluiceDaemon start(final int port) throws IOException
    {
        final Map<String, String> settings = ConsoleStores.remoteSettings(dir, port);
        settings.put("jmx.diagnostics", "true");
        return SluiceDaemon.start(SluiceDaemon.Configuration.of(DaemonSettings.load(null, settings)));
    }

    @Test
    void shouldGiveEachRoleExactlyItsRightsAndNobodyMletsHeapDumpsOrClassLoading() throws Exception
    {
        ConsoleStores.make(dir, String.join("\n", "monitor look", "operator tune", "admin s3cret", "diag dump",
            "nobody none"), String.join("\n", "monitor monitor", "operator operator", "admin admin", "diag diagnostics"));
        final Path existing = Files.writeString(dir.resolve("exists.hprof"), "not a heap dump");
        final int port = freePort();
        final ListAppender<ILoggingEvent> audit = new ListAppender<>();
        audit.start();
        final Logger auditLogger = (Logger)LoggerFactory.getLogger("io.sluice.audit");
        auditLogger.addAppender(audit);
        final Map<String, String> outcomes = new HashMap<>();
        try (SluiceDaemon daemon = start(port);
             ChildJvm probe = ChildJvm.start(ConsoleProbe.class, "127.0.0.1:" + port, dir.resolve("trust.p12").toString(),
                 dir.resolve("trust.pw").toString(), existing.toString(), "monitor:look", "operator:tune", "admin:s3cret",
                 "diag:dump", "-", "nobody:none", "ghost:wrong",
                 "socket:" + ConsoleClient.socketOf(dir.resolve("spool"))))
        {
            assertThat(probe.waitFor(120_000)).as("the probe finished").isZero();
            for (final String line : probe.lines())
            {
                final String[] parts = line.split(" ", 4);
                outcomes.put(parts[0] + " " + parts[1], parts[2] + (parts.length > 3 ? " " + parts[3] : ""));
            }
        }
        finally
        {
            auditLogger.detachAppender(audit);
        }

        assertThat(outcomes.get("- connect")).as("no credentials").startsWith("REFUSED");
        assertThat(outcomes.get("nobody connect")).as("a password but no role").startsWith("REFUSED");
        assertThat(outcomes.get("admin connect")).startsWith("ALLOWED");
        final Set<String> sluiceChecks = outcomes.keySet().stream().filter(key -> key.startsWith("admin "))
            .map(key -> key.substring("admin ".length())).filter(check -> check.startsWith("op:") || check.startsWith("set:"))
            .collect(Collectors.toSet());
        final Set<String> table = new HashSet<>(OPERATOR_OPERATIONS);
        table.addAll(MONITOR_OPERATIONS);
        table.addAll(ADMIN_OPERATIONS);
        assertThat(sluiceChecks).as("every io.sluice setter and operation has its role in this test's table")
            .containsExactlyInAnyOrderElementsOf(table);

        final Map<String, Set<String>> allowed = Map.of(
            "monitor", MONITOR_OPERATIONS,
            "operator", union(MONITOR_OPERATIONS, OPERATOR_OPERATIONS),
            "admin", table,
            "diag", Set.of(),
            "socket", table);
        final List<String> wrong = new ArrayList<>();
        for (final Map.Entry<String, Set<String>> login : allowed.entrySet())
        {
            final String who = login.getKey();
            final boolean diagnostics = who.equals("diag") || who.equals("socket");
            expect(wrong, outcomes, who, "connect", true);
            expect(wrong, outcomes, who, "readPlatform", true);
            NOBODY_MAY.forEach(check -> expect(wrong, outcomes, who, check, false));
            DIAGNOSTICS_ONLY.forEach(check -> expect(wrong, outcomes, who, check, diagnostics));
            for (final String type : List.of("Spool", "Limits", "Drain", "Delivery", "Tenants", "Bounces", "Config", "Tls"))
            {
                expect(wrong, outcomes, who, "read:" + type, true);
            }
            table.forEach(check -> expect(wrong, outcomes, who, check, login.getValue().contains(check)));
        }
        assertThat(wrong).as("checks whose outcome is not the role's").isEmpty();

        final List<String> lines = audit.list.stream().map(ILoggingEvent::getFormattedMessage).collect(Collectors.toList());
        assertThat(lines).as("refusals audited: principal, operation, bean")
            .anyMatch(l -> l.startsWith("audit: monitor refused invoke io.sluice:type=Tenants purge: needs the admin role"))
            .anyMatch(l -> l.startsWith("audit: operator refused invoke io.sluice:type=Tenants purge: needs the admin role"))
            .anyMatch(l -> l.startsWith("audit: admin refused createMBean javax.management.loading.MLet"))
            .anyMatch(l -> l.startsWith("audit: admin refused invoke com.sun.management:type=HotSpotDiagnostic dumpHeap"))
            .anyMatch(l -> l.startsWith("audit: admin refused setAttribute java.lang:type=Threading ThreadCpuTimeEnabled"))
            .anyMatch(l -> l.startsWith("audit: (none) refused login from 127.0.0.1"))
            .anyMatch(l -> l.startsWith("audit: nobody refused login from 127.0.0.1: nobody has no role"))
            .anyMatch(l -> l.matches("audit: .* \\(uid \\d+, pid \\d+\\) logged in from the console socket as .*"));
    }

    @Test
    void shouldThrottleRepeatedFailedLoginsFromOneAddressEvenWithTheRightPasswordThen() throws Exception
    {
        ConsoleStores.make(dir, "admin s3cret", "admin admin");
        final int port = freePort();
        final List<String> logins = new ArrayList<>();
        for (int i = 0; i < 5; i++)
        {
            logins.add("admin:guess" + i);
        }
        logins.add("admin:s3cret");
        final List<String> args = new ArrayList<>(List.of("127.0.0.1:" + port, dir.resolve("trust.p12").toString(),
            dir.resolve("trust.pw").toString(), dir.resolve("none").toString()));
        args.addAll(logins);
        try (SluiceDaemon daemon = start(port); ChildJvm probe = ChildJvm.start(ConsoleProbe.class, args.toArray(String[]::new)))
        {
            assertThat(probe.waitFor(120_000)).isZero();
            final List<String> connects = probe.lines().stream().filter(l -> l.startsWith("admin connect")).toList();
            assertThat(connects).hasSize(6);
            assertThat(connects.subList(0, 5)).allMatch(l -> l.contains("REFUSED authentication failed"));
            assertThat(connects.get(5)).as("the sixth try, right or not, within the lock-out")
                .contains("REFUSED authentication refused: too many failed logins from 127.0.0.1");
        }
    }

    private static Set<String> union(final Set<String> a, final Set<String> b)
    {
        final Set<String> all = new HashSet<>(a);
        all.addAll(b);
        return all;
    }

    private static void expect(final List<String> wrong, final Map<String, String> outcomes, final String who,
        final String check, final boolean allowed)
    {
        final String outcome = outcomes.get(who + " " + check);
        if (outcome == null || outcome.startsWith("ALLOWED") != allowed)
        {
            wrong.add(who + " " + check + ": expected " + (allowed ? "ALLOWED" : "REFUSED") + ", got " + outcome);
        }
    }
}
