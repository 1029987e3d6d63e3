package io.sluice.benchmarks.flood;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.daemon.SluiceDaemon;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The harness end to end on a tiny scenario against the real daemon (a child JVM from this classpath): it must
 * account for every message and write a report a parser reads. No figure here is a timing: those are the
 * benchmark's to report, not a test's to assert.
 */
class FloodScenarioTinyRunTest
{
    @TempDir
    Path temp;

    @Test
    void shouldDriveTheDaemonAndAccountForEveryMessageInTheReport() throws Exception
    {
        final Path out = temp.resolve("results");
        final ScenarioOptions options = ScenarioOptions.parse("--out", out.toString(), "--work", temp.toString(),
            "--flood", "300", "--flood-sources", "30", "--flood-networks", "3", "--flood-sessions", "10",
            "--legit-sources", "2", "--legit-rate", "4", "--upstream-rate", "150", "--warmup-seconds", "1",
            "--after-seconds", "1", "--max-seconds", "120", "--message-bytes", "512");

        final List<RunResult> runs = FloodScenario.runAll(options, daemonFromThisClasspath());

        final RunResult run = runs.get(0);
        assertThat(run.floodAccepted).as("the scenario admits the whole flood").isEqualTo(300);
        assertThat(run.drained()).isTrue();
        assertThat(run.floodRejectedUpstream).as("every flood message met the upstream's malware scan").isEqualTo(300);
        assertThat(run.bounces).as("Sluice bounces none of the forged flood").isZero();
        assertThat(run.acknowledgedNotDelivered).isZero();
        assertThat(run.duplicates).isZero();
        assertThat(run.legitAccepted).isPositive().isEqualTo(run.legitDelivered);

        final JsonNode json = new ObjectMapper().readTree(out.resolve("flood.json").toFile());
        final JsonNode sluice = json.get("runs").get(0);
        assertThat(sluice.get("system").asText()).isEqualTo("sluice");
        assertThat(sluice.get("flood").get("accepted").asInt()).isEqualTo(300);
        assertThat(sluice.get("legitimate").get("latencySeconds").get("during").get("count").asInt())
            .isEqualTo(run.latencySeconds.get("during").length);
        assertThat(sluice.get("timeline").size()).isEqualTo(run.samples.size()).isPositive();
        assertThat(Files.readString(out.resolve("flood.txt"))).contains("sluice", "bounce amplification", "0.00%");
        assertThat(Files.readString(out.resolve("flood-backlog.svg"))).startsWith("<svg").contains("<polyline");
        assertThat(Files.readString(out.resolve("flood-latency.svg"))).startsWith("<svg").contains("<circle");
        assertThat(out.resolve("raw/flood-sluice.log")).exists();
        try (var left = Files.list(temp))
        {
            assertThat(left.map(p -> p.getFileName().toString())).as("the work folder is removed").containsExactly("results");
        }
    }

    /** java, the build's JVM flags (Surefire hands them over), this classpath, the daemon's main class. */
    private static List<String> daemonFromThisClasspath()
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(Arrays.asList(System.getProperty("sluice.jvm.flags", "").trim().split("\\s+")));
        command.add("-Xmx512m");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(SluiceDaemon.class.getName());
        return command;
    }
}
