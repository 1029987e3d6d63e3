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
    void shouldDriveTheDaemonAtItsDefaultsAndAccountForEveryMessageInTheReport() throws Exception
    {
        final Path out = temp.resolve("results");
        final ScenarioOptions options = ScenarioOptions.parse("--out", out.toString(), "--work", temp.toString(),
            "--scenarios", "unknown-users", "--unknown-users-flood", "spoofed", "--unknown-users", "3",
            "--flood", "300", "--flood-sources", "30", "--flood-networks", "3", "--flood-sessions", "10",
            "--legit-sources", "2", "--legit-rate", "4", "--warmup-seconds", "1", "--idle-seconds", "10",
            "--after-seconds", "2", "--max-seconds", "120", "--message-bytes", "512", "--note", "tiny run");

        final List<RunResult> runs = FloodScenario.runAll(options, daemonFromThisClasspath());

        final RunResult run = runs.get(0);
        assertThat(run.description.get(SystemUnderTest.CHANGED)).as("the daemon ran at its defaults").isEqualTo("none");
        assertThat(run.floodAccepted + run.floodRefused).as("every flood message has its answer at the door").isEqualTo(300);
        assertThat(run.floodRejectedUpstream + run.floodDelivered).isEqualTo(run.admission.floodReachedUpstream)
            .isLessThanOrEqualTo(run.floodAccepted);
        assertThat(run.floodDelivered).as("the upstream refuses every flood message it sees").isZero();
        assertThat(run.acknowledgedButLost()).as("what has no verdict upstream, the daemon says it holds").isZero();
        assertThat(run.duplicates).isZero();
        assertThat(run.admission.dsnsToForgedSenders).as("no backscatter to the forged senders").isZero();
        assertThat(run.admission.unknownUserMessages).isEqualTo(3);
        assertThat(run.admission.unknownUserExactlyOneDsn + run.admission.unknownUserRefusedInSession)
            .as("each legitimate sender to an unknown user: one DSN, or refused in the session").isEqualTo(3);
        assertThat(run.legitAccepted).isPositive().isEqualTo(run.legitDelivered);
        assertThat(run.admission.partnerFirstTryAll().tried).isEqualTo(run.legitSent);

        final JsonNode json = new ObjectMapper().readTree(out.resolve("flood.json").toFile());
        assertThat(json.get("note").asText()).isEqualTo("tiny run");
        final JsonNode scenario = json.get("scenarios").get(0);
        assertThat(scenario.get("scenario").asText()).isEqualTo("unknown-users");
        final JsonNode sluice = scenario.get("runs").get(0);
        assertThat(sluice.get("system").asText()).isEqualTo("sluice");
        assertThat(sluice.get("settingsChangedFromDefaults").asText()).isEqualTo("none");
        assertThat(sluice.get("flood").get("accepted").asInt()).isEqualTo(run.floodAccepted);
        assertThat(sluice.get("admission").get("dsns").get("unknownUserMessages").asInt()).isEqualTo(3);
        assertThat(sluice.get("targets").size()).isEqualTo(AdmissionTargets.of(run).size()).isPositive();
        assertThat(sluice.get("legitimate").get("latencySeconds").get("during").get("count").asInt())
            .isEqualTo(run.latencySeconds.get("during").length);
        assertThat(sluice.get("timeline").size()).isEqualTo(run.samples.size()).isPositive();
        assertThat(Files.readString(out.resolve("flood.txt"))).contains("Note: tiny run", "=== Scenario unknown-users ===",
            "sluice: settings changed from the defaults: none", "Targets (issue 12), sluice:", "DSNs to forged senders");
        assertThat(Files.readString(out.resolve("flood-unknown-users-backlog.svg"))).startsWith("<svg").contains("<polyline");
        assertThat(Files.readString(out.resolve("flood-unknown-users-latency.svg"))).startsWith("<svg").contains("<circle");
        assertThat(out.resolve("raw/flood-unknown-users-sluice.log")).exists();
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
