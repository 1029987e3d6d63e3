package io.sluice.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.sluice.control.JmxContext;
import io.sluice.spool.CiRequirement;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code systemd/sluice.service} as systemd itself reads it: {@code systemd-analyze verify} on a copy whose
 * {@code /usr/lib/sluice/} points at the launcher this build produced (verify checks that every command
 * exists and is executable), with and without the port 25 drop-in. verify exits 0 on an unknown key or a
 * bad value and only warns, so any output at all fails the test. Without {@code systemd-analyze} the test
 * fails on CI ({@code .ci/run} installs Debian's systemd package) and is skipped, with a message, elsewhere.
 */
class SystemdUnitTest
{
    private static final String INSTALL_DIR = "/usr/lib/sluice/";

    @TempDir
    Path root;

    private Path systemdAnalyze;
    private Path repository;

    @BeforeEach
    void findSystemdAnalyze()
    {
        repository = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().getParent();
        systemdAnalyze = onPath("systemd-analyze");
        CiRequirement.requireOnCi(systemdAnalyze != null, "systemd-analyze is not installed (Debian: apt-get install"
            + " systemd), so the unit file is not verified; .ci/run installs it when missing");
    }

    private static Path onPath(final String command)
    {
        for (final String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator))
        {
            final Path candidate = Path.of(dir, command);
            if (Files.isExecutable(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    @Test
    void shouldPassSystemdAnalyzeVerifyWithoutAWarning() throws Exception
    {
        final Path unit = installUnit(repository.resolve("systemd/sluice.service"));
        assertThat(run(systemdAnalyze.toString(), "verify", unit.toString())).isEqualTo(new Result(0, ""));
    }

    @Test
    void shouldPassSystemdAnalyzeVerifyWithThePort25DropIn() throws Exception
    {
        final Path unit = installUnit(repository.resolve("systemd/sluice.service"));
        final Path dropIns = Files.createDirectories(root.resolve("sluice.service.d"));
        final Path port25 =
            Files.copy(repository.resolve("systemd/sluice.service.d/port25.conf"), dropIns.resolve("port25.conf"));
        assertThat(run(systemdAnalyze.toString(), "verify", unit.toString())).isEqualTo(new Result(0, ""));

        // The control: the drop-in directory is really read, and a mistake in it is reported.
        Files.writeString(port25, "AmbientCapabilitiez=CAP_NET_BIND_SERVICE\n", StandardCharsets.UTF_8,
            StandardOpenOption.APPEND);
        assertThat(run(systemdAnalyze.toString(), "verify", unit.toString()).output())
            .contains("Unknown key 'AmbientCapabilitiez'");
    }

    @Test
    void shouldReportAMistakeInTheUnit() throws Exception
    {
        final Path broken = root.resolve("broken.service");
        Files.writeString(broken, Files.readString(repository.resolve("systemd/sluice.service"))
            .replace("Type=notify", "Type=notfy").replace(INSTALL_DIR, root.resolve("nowhere") + "/"));
        final Result result = run(systemdAnalyze.toString(), "verify", broken.toString());
        assertThat(result.output()).contains("Failed to parse service type").contains("is not executable");
        assertThat(result.exitCode()).isNotZero();
    }

    @Test
    void shouldKeepItsExposureLow() throws Exception
    {
        final Path unit = installUnit(repository.resolve("systemd/sluice.service"));
        // 0 (locked down) to 100 (unprotected); the unit scores about 17, systemd calls up to 39 "OK".
        final Result result = run(systemdAnalyze.toString(), "security", "--offline=true", "--threshold=25", "--no-pager",
            unit.toString());
        assertThat(result.exitCode()).as(result.output()).isZero();
    }

    @Test
    void shouldBeANotifyServiceThatStartsThroughTheLauncher() throws Exception
    {
        final Map<String, List<String>> service =
            section(Files.readString(repository.resolve("systemd/sluice.service")), "Service");
        assertThat(service.get("Type")).containsExactly("notify");
        assertThat(service.get("NotifyAccess")).containsExactly("main");
        assertThat(service.get("WatchdogSec")).containsExactly("30");
        assertThat(service.get("ExecStartPre")).singleElement().asString()
            .startsWith(INSTALL_DIR + "sluice-daemon ").endsWith(" --check-config");
        assertThat(service.get("ExecStart")).singleElement().asString().startsWith(INSTALL_DIR + "sluice-daemon ");
        assertThat(service.get("SuccessExitStatus")).containsExactly("143");
        assertThat(service.get("Restart")).containsExactly("on-failure");
        assertThat(service.get("StateDirectory")).containsExactly("sluice");
        assertThat(service).as("only the port 25 drop-in grants a capability").doesNotContainKey("AmbientCapabilities");
    }

    @Test
    void shouldGiveTheConsoleSocketToTheSluiceAdminGroupWhereTheSluiceCommandLooks() throws Exception
    {
        final Map<String, List<String>> service =
            section(Files.readString(repository.resolve("systemd/sluice.service")), "Service");
        assertThat(service.get("RuntimeDirectory")).containsExactly("sluice");
        assertThat(service.get("SupplementaryGroups")).containsExactly(JmxContext.SOCKET_GROUP.defaultValue());
        assertThat(Files.readAllLines(repository.resolve("systemd/sluice.sysusers.conf")))
            .contains("g " + JmxContext.SOCKET_GROUP.defaultValue() + " -");
        assertThat(Files.readAllLines(repository.resolve("systemd/sluice.properties")))
            .contains(JmxContext.SOCKET + "=" + JmxContext.SERVICE_SOCKET);
        assertThat(Path.of(JmxContext.SERVICE_SOCKET).getParent()).isEqualTo(Path.of("/run", service.get("RuntimeDirectory")
            .get(0)));
    }

    /** Copies {@code unit} into the temporary root with its commands pointing at this build's launcher. */
    private Path installUnit(final Path unit) throws IOException
    {
        final Path launcher = Path.of(System.getProperty("basedir", "."), "target", "sluice-daemon");
        assertThat(launcher).as("the build copies the launcher into target/ and makes it executable").isExecutable();
        final Path installDir = Files.createDirectories(root.resolve("usr/lib/sluice"));
        Files.copy(launcher, installDir.resolve("sluice-daemon"), StandardCopyOption.COPY_ATTRIBUTES);
        final String text = Files.readString(unit);
        assertThat(text).contains("ExecStart=" + INSTALL_DIR);
        return Files.writeString(root.resolve(unit.getFileName().toString()), text.replace(INSTALL_DIR, installDir + "/"));
    }

    private static Map<String, List<String>> section(final String unit, final String name)
    {
        final Map<String, List<String>> values = new LinkedHashMap<>();
        boolean inside = false;
        for (final String raw : unit.split("\n"))
        {
            final String line = raw.strip();
            if (line.startsWith("["))
            {
                inside = line.equals("[" + name + "]");
            }
            else if (inside && !line.isEmpty() && !line.startsWith("#") && line.indexOf('=') > 0)
            {
                final int eq = line.indexOf('=');
                values.computeIfAbsent(line.substring(0, eq), k -> new ArrayList<>()).add(line.substring(eq + 1));
            }
        }
        return values;
    }

    record Result(int exitCode, String output)
    {
    }

    private static Result run(final String... command) throws IOException, InterruptedException
    {
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("SYSTEMD_COLORS", "0");
        builder.environment().put("SYSTEMD_PAGER", "");
        final Process process = builder.start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            fail("timed out: " + String.join(" ", command));
        }
        return new Result(process.exitValue(), output.strip());
    }
}
