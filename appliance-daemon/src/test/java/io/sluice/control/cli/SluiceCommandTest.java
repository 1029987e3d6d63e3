package io.sluice.control.cli;

import static io.sluice.ingress.SmtpTestClient.expect;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import javax.management.MBeanServerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.admission.Block;
import io.sluice.control.ControlPlane;
import io.sluice.control.ControlState;
import io.sluice.control.JmxContext;
import io.sluice.control.LimitsControl;
import io.sluice.control.LimitsControlMXBean;
import io.sluice.control.SpoolControl;
import io.sluice.control.SpoolControlMXBean;
import io.sluice.ingress.IngressFixture;
import io.sluice.ingress.SmtpTestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code sluice} command in-process against a real daemon's stages: spool, admission and SMTP listener
 * ({@link IngressFixture}) behind the real MXBeans and a real RMI connector on a free loopback port.
 */
class SluiceCommandTest
{
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private IngressFixture fixture;
    private ControlPlane control;
    private Path socket;

    /** What one run printed, and its exit code. */
    record Outcome(int exit, String out, String err)
    {
    }

    @BeforeEach
    void startDaemon() throws IOException
    {
        socket = dir.resolve("jmx.sock");
        fixture = IngressFixture.start(dir, c -> c);
    }

    private void serve(final JmxContext jmx)
    {
        final ControlState state = ControlState.open(dir);
        control = new ControlPlane(MBeanServerFactory.newMBeanServer())
            .register("Spool", new SpoolControl(fixture.spool(), fixture.server(), state), SpoolControlMXBean.class)
            .register("Limits", new LimitsControl(fixture.admission(), state), LimitsControlMXBean.class)
            .serve(jmx.socket(socket).conclude());
    }

    @AfterEach
    void stopDaemon()
    {
        if (control != null)
        {
            control.close();
        }
        fixture.close();
    }

    private Outcome sluice(final String... args)
    {
        final List<String> all = new ArrayList<>(List.of("--socket", socket.toString()));
        all.addAll(Arrays.asList(args));
        return sluiceRaw(all.toArray(String[]::new));
    }

    private static Outcome sluiceRaw(final String... args)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = SluiceCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private String greetingFrom(final String source) throws IOException
    {
        try (SmtpTestClient client = SmtpTestClient.connect(fixture.address(), source))
        {
            return client.reply();
        }
    }

    @Test
    void shouldBlockANetworkForAWhileRefuseItAtConnectAndUnblockIt() throws Exception
    {
        serve(new JmxContext());
        final Outcome blocked = sluice("block", "127.0.0.9/32", "--for", "1h");
        assertThat(blocked.exit()).as(blocked.err()).isZero();
        assertThat(blocked.out()).startsWith("blocked 127.0.0.9/32 until 20");
        assertThat(fixture.admission().blocks()).extracting(b -> b.network().toString()).containsExactly("127.0.0.9/32");
        final Block block = fixture.admission().blocks().get(0);
        assertThat(block.expiresAt()).as("--for 1h").isNotNull();
        assertThat(greetingFrom("127.0.0.9")).startsWith("554 5.7.1");
        assertThat(greetingFrom("127.0.0.10")).as("a neighbour outside the /32").startsWith("220");

        final JsonNode limits = JSON.readTree(sluice("limits", "--json").out());
        assertThat(limits.at("/blocks/0/network").asText()).isEqualTo("127.0.0.9/32");
        assertThat(limits.at("/blocks/0/until").isTextual()).isTrue();

        final Outcome unblocked = sluice("unblock", "127.0.0.9/32");
        assertThat(unblocked.exit()).as(unblocked.err()).isZero();
        assertThat(unblocked.out()).isEqualTo("unblocked 127.0.0.9/32" + System.lineSeparator());
        assertThat(fixture.admission().blocks()).isEmpty();
        assertThat(greetingFrom("127.0.0.9")).startsWith("220");

        final Outcome again = sluice("unblock", "127.0.0.9/32");
        assertThat(again.exit()).isEqualTo(SluiceCommand.EXIT_REFUSED);
        assertThat(again.err()).contains("127.0.0.9/32 was not blocked");
    }

    @Test
    void shouldBlockUntilUnblockedWithoutFor() throws Exception
    {
        serve(new JmxContext());
        final Outcome blocked = sluice("--json", "block", "198.51.100.0/24");
        assertThat(blocked.exit()).as(blocked.err()).isZero();
        final JsonNode json = JSON.readTree(blocked.out());
        assertThat(json.get("network").asText()).isEqualTo("198.51.100.0/24");
        assertThat(json.get("until").isNull()).isTrue();
        assertThat(fixture.admission().blocks().get(0).expiresAt()).isNull();
    }

    @Test
    void shouldShowTheDaemonsMessageAndExit1ForAMalformedCidr()
    {
        serve(new JmxContext());
        final Outcome outcome = sluice("block", "300.1.2.0/24");
        assertThat(outcome.exit()).isEqualTo(SluiceCommand.EXIT_REFUSED);
        assertThat(outcome.err()).startsWith("sluice block: network=300.1.2.0/24: expected an IP address or CIDR");
        assertThat(outcome.out()).isEmpty();
        assertThat(fixture.admission().blocks()).isEmpty();
    }

    @Test
    void shouldReportTheQueueAsTextAndAsJson() throws Exception
    {
        serve(new JmxContext());
        try (SmtpTestClient client = SmtpTestClient.connect(fixture.address(), "127.0.0.9"))
        {
            expect(client.reply(), "220");
            expect(client.command("EHLO outside.example"), "250");
            assertThat(client.sendMessage("a@outside.test", "b@relay.test", "hello")).startsWith("250 2.0.0");
        }
        final Outcome text = sluice("queue");
        assertThat(text.exit()).as(text.err()).isZero();
        assertThat(text.out()).contains("pending      1 message,").contains("accepting    yes").contains("ingress      running");

        final Outcome json = sluice("queue", "--json");
        assertThat(json.exit()).isZero();
        final JsonNode queue = JSON.readTree(json.out());
        assertThat(queue.get("pendingMessages").asLong()).isEqualTo(1);
        assertThat(queue.get("pendingBytes").asLong()).isPositive();
        assertThat(queue.get("acceptingMessages").asBoolean()).isTrue();
        assertThat(queue.get("ingressPaused").asBoolean()).isFalse();
        assertThat(queue.get("etaSeconds").isNull()).as("no Drain MXBean yet").isTrue();
        assertThat(queue.at("/shape/ageBucketsMinutes").size()).isEqualTo(10);
        assertThat(queue.at("/shape/rows").isArray()).isTrue();

        final JsonNode top = JSON.readTree(sluice("top", "5", "--json").out());
        assertThat(top.get("busiest").isArray()).isTrue();
        assertThat(top.get("busiest").findValuesAsText("key")).contains("127.0.0.9");
        assertThat(top.get("worstReputations").isArray()).as("sluice top shows reputation beside volume").isTrue();
    }

    @Test
    void shouldListLimitsAsTextAndJson() throws Exception
    {
        serve(new JmxContext());
        final Outcome text = sluice("limits");
        assertThat(text.exit()).as(text.err()).isZero();
        // The shipped address limit, a ceiling over every class since issue 12 (was 2/s, 60).
        assertThat(text.out()).containsPattern("ip\\s+20\\.00\\s+200").contains("blocks                     none");
        final JsonNode json = JSON.readTree(sluice("--json", "limits").out());
        assertThat(json.at("/defaults/IP/ratePerSecond").asDouble()).isEqualTo(20.0);
        assertThat(json.at("/defaults/IP/burst").asLong()).isEqualTo(200);
        assertThat(json.get("blocks").isEmpty()).isTrue();
        // The test's admission has no spool capacity: auto falls back to the fixed figures, and says so.
        assertThat(text.out()).contains("backlog watermarks         low 50000, high 100000, hard limit 150000 (auto: fixed: ");
        assertThat(json.get("backlogWatermarks").asText()).startsWith("low 50000, high 100000, hard limit 150000 (auto: ");
    }

    @Test
    void shouldPauseAndResumeIngress() throws Exception
    {
        serve(new JmxContext());
        final Outcome paused = sluice("pause");
        assertThat(paused.exit()).as(paused.err()).isZero();
        assertThat(paused.out()).startsWith("ingress paused");
        assertThat(greetingFrom("127.0.0.9")).startsWith("421 4.3.2");
        assertThat(JSON.readTree(sluice("queue", "--json").out()).get("ingressPaused").asBoolean()).isTrue();

        assertThat(sluice("resume").exit()).isZero();
        assertThat(greetingFrom("127.0.0.9")).startsWith("220");
    }

    @Test
    void shouldSayWhereItTriedAndExit3WhenNoDaemonListens()
    {
        final Outcome outcome = sluice("queue");
        assertThat(outcome.exit()).isEqualTo(SluiceCommand.EXIT_UNREACHABLE);
        assertThat(outcome.err()).contains("cannot connect to the sluice daemon's console socket " + socket + " (from --socket)")
            .contains("is the daemon running? The service listens on /run/sluice/jmx.sock");
    }

    @Test
    void shouldFindTheSocketInTheSettingsFileAndKeepLoginsForTheTcpConsole() throws Exception
    {
        serve(new JmxContext());
        final Path settings = Files.writeString(dir.resolve("sluice.properties"), "jmx.socket=" + socket + "\n");
        final Outcome configured = sluiceRaw("--config", settings.toString(), "queue", "--json");
        assertThat(configured.exit()).as(configured.err()).isZero();
        assertThat(JSON.readTree(configured.out()).get("pendingMessages").asLong()).isZero();

        final Path bySpool = Files.writeString(dir.resolve("by-spool.properties"), "spool.directory=" + dir + "\n");
        assertThat(sluiceRaw("--config", bySpool.toString(), "queue").exit()).as("<spool.directory>/jmx.sock").isZero();

        final Outcome user = sluice("--user", "admin", "queue");
        assertThat(user.exit()).isEqualTo(SluiceCommand.EXIT_USAGE);
        assertThat(user.err()).contains("--user, --ssl and --truststore are for the TCP console");
    }

    @Test
    void shouldRefuseUsageErrorsWithExit2BeforeConnecting()
    {
        for (final String[] args : List.of(new String[] {}, new String[] {"frobnicate"}, new String[] {"block"},
            new String[] {"block", "192.0.2.0/24", "--for", "0"}, new String[] {"block", "192.0.2.0/24", "--for", "soon"},
            new String[] {"queue", "--for", "1h"}, new String[] {"top", "many"}, new String[] {"top", "0"},
            new String[] {"--jmx", "localhost", "queue"}, new String[] {"--bogus", "queue"}, new String[] {"queue", "extra"},
            new String[] {"hold"}, new String[] {"release", "a", "b"}, new String[] {"purge", "acme"},
            new String[] {"purge", "acme", "--confirm"}, new String[] {"tenants", "--note", "x"}, new String[] {"drain"},
            new String[] {"drain", "stop"}, new String[] {"drain", "pause", "--route", "a", "--tenant", "b"},
            new String[] {"queue", "--route", "default"}, new String[] {"drain", "pause", "--route", "a", "--route", "b"},
            new String[] {"rate", "default", "fast", "1"}, new String[] {"rate", "default", "10"},
            new String[] {"connections", "default", "0"}, new String[] {"retry", "now"},
            new String[] {"--truststore-password-file", "pw", "queue"}, new String[] {"queue", "list", "--older-than", "5x"},
            new String[] {"queue", "list", "--state", "stuck"}, new String[] {"queue", "list", "--limit", "0"},
            new String[] {"queue", "list", "--oldest", "--newest"}, new String[] {"queue", "show"},
            new String[] {"queue", "show", "0A", "--tenant", "t"}, new String[] {"queue", "hold"},
            new String[] {"queue", "hold", "0A", "--sender", "a@b.test"}, new String[] {"queue", "release", "0A", "--confirm"},
            new String[] {"queue", "requeue", "0A", "--limit", "3"}, new String[] {"queue", "list", "--body"}))
        {
            final Outcome outcome = sluice(args);
            assertThat(outcome.exit()).as("%s: %s", List.of(args), outcome.err()).isEqualTo(SluiceCommand.EXIT_USAGE);
            assertThat(outcome.err()).as("%s", List.of(args)).startsWith("sluice").doesNotContain("cannot connect");
        }
        final Outcome help = sluiceRaw("--help");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("usage: sluice").contains("exit codes:");
    }

    @Test
    void shouldReadDurations() throws Exception
    {
        assertThat(Invocation.duration("90s").toSeconds()).isEqualTo(90);
        assertThat(Invocation.duration("30m").toSeconds()).isEqualTo(1800);
        assertThat(Invocation.duration("1h30m").toSeconds()).isEqualTo(5400);
        assertThat(Invocation.duration("2d").toSeconds()).isEqualTo(172_800);
        assertThat(Invocation.duration("45").toSeconds()).isEqualTo(45);
    }
}
