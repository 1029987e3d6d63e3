package io.sluice.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import io.sluice.control.cli.SluiceCommand;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher scripts the build puts in target/ ({@code sluice-daemon}, {@code sluice}), run for real from an
 * installed layout ({@code usr/lib/sluice/} under a temporary root, reached through a symlink as from
 * {@code /usr/bin}). The jar there is a manifest whose Class-Path is this build's classes: the tests run
 * before {@code package} writes the real one.
 */
class LauncherTest
{
    @TempDir
    Path root;

    private Path installDir;
    private Path bin;

    @BeforeEach
    void install() throws IOException
    {
        final Path target = Path.of(System.getProperty("basedir", "."), "target");
        installDir = Files.createDirectories(root.resolve("usr/lib/sluice"));
        for (final String script : List.of("sluice-daemon", "sluice"))
        {
            assertThat(target.resolve(script)).as("the build copies %s into target/, executable", script).isExecutable();
            Files.copy(target.resolve(script), installDir.resolve(script), StandardCopyOption.COPY_ATTRIBUTES);
        }
        Files.copy(target.resolve("jvm.options"), installDir.resolve("jvm.options"));
        bin = Files.createDirectories(root.resolve("usr/bin"));
        Files.createSymbolicLink(bin.resolve("sluice-daemon"), Path.of("../lib/sluice/sluice-daemon"));
        Files.createSymbolicLink(bin.resolve("sluice"), Path.of("../lib/sluice/sluice"));
    }

    /** A jar like the build's: only a manifest, naming the main class and a class path (this build's). */
    private void jarOnTheTestClasspath() throws IOException
    {
        final Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, SluiceDaemon.class.getName());
        final List<String> classPath = new ArrayList<>();
        for (final String entry : System.getProperty("java.class.path").split(File.pathSeparator))
        {
            classPath.add(Path.of(entry).toUri().toString());
        }
        manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, String.join(" ", classPath));
        try (OutputStream out = Files.newOutputStream(installDir.resolve("sluice-daemon.jar"));
             JarOutputStream jar = new JarOutputStream(out, manifest))
        {
            jar.flush();
        }
    }

    record Result(int exit, List<String> lines, long pid)
    {
    }

    private static Result run(final Map<String, String> env, final String... command) throws Exception
    {
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().remove("SLUICE_JAVA_OPTS");
        builder.environment().remove("JAVA");
        builder.environment().putAll(env);
        final Process process = builder.start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("finished: %s", output).isTrue();
        return new Result(process.exitValue(), output.isEmpty() ? List.of() : Arrays.asList(output.split("\n")), process.pid());
    }

    @Test
    void shouldExecJavaWithTheJvmOptionsBesideItTheHeapDefaultsAndTheArgumentsIntact() throws Exception
    {
        Files.createFile(installDir.resolve("sluice-daemon.jar"));
        final Path fakeJava = Files.writeString(root.resolve("java"),
            "#!/bin/sh\necho \"pid=$$\"\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n");
        Files.setPosixFilePermissions(fakeJava, PosixFilePermissions.fromString("rwxr-xr-x"));
        final String lib = installDir.toRealPath().toString();

        final Result result = run(Map.of("JAVA", fakeJava.toString(), "SLUICE_JAVA_OPTS", "-Xmx2g -Dsluice.test=1"),
            bin.resolve("sluice-daemon").toString(), "--config", "/etc/sluice/sluice.properties", "--set", "a=b c");
        assertThat(result.exit()).isZero();
        assertThat(result.lines()).containsExactly("pid=" + result.pid(),
            "@" + lib + "/jvm.options", "-Xms256m", "-Xmx1g", "-XX:MaxDirectMemorySize=768m", "-XX:+UseG1GC",
            "-XX:+UseTransparentHugePages", "-XX:+ExitOnOutOfMemoryError",
            "-Xmx2g", "-Dsluice.test=1",
            "-jar", lib + "/sluice-daemon.jar", "--config", "/etc/sluice/sluice.properties", "--set", "a=b c");
        // pid: java replaced the shell (exec), so systemd's main pid is the JVM and NotifyAccess=main accepts it.
    }

    @Test
    void shouldRunTheRealJvmWithTheBuildsFlags() throws Exception
    {
        jarOnTheTestClasspath();
        final Path spool = root.resolve("spool");
        final Result result = run(Map.of("JAVA", javaBinary()), bin.resolve("sluice-daemon").toString(),
            "--set", "spool.directory=" + spool, "--set", "delivery.route.default.trustStorePassword=s3cret", "--check-config");
        assertThat(result.exit()).as(String.join("\n", result.lines())).isZero();
        assertThat(result.lines()).contains("spool.directory=" + spool, "sluice: configuration OK");
        // systemd runs --check-config as ExecStartPre: its lines land in the journal, so no password may be in them.
        assertThat(result.lines()).contains("delivery.route.default.trustStorePassword=(hidden)")
            .noneMatch(line -> line.contains("s3cret"));
        assertThat(spool).doesNotExist();

        final Result bad = run(Map.of("JAVA", javaBinary()), bin.resolve("sluice-daemon").toString(),
            "--set", "spool.maxBatch=0", "--check-config");
        assertThat(bad.exit()).isEqualTo(SluiceDaemon.EXIT_CONFIG);
        assertThat(bad.lines()).anyMatch(l -> l.contains("spool.maxBatch=0: expected"));
    }

    @Test
    void shouldRunTheSluiceToolFromTheSameDirectory() throws Exception
    {
        jarOnTheTestClasspath();
        final int port;
        try (ServerSocket socket = new ServerSocket(0))
        {
            port = socket.getLocalPort();
        }
        final Result unreachable = run(Map.of("JAVA", javaBinary()), bin.resolve("sluice").toString(),
            "--jmx", "127.0.0.1:" + port, "queue");
        assertThat(unreachable.exit()).isEqualTo(SluiceCommand.EXIT_UNREACHABLE);
        assertThat(unreachable.lines())
            .anyMatch(l -> l.contains("cannot connect to the sluice daemon's JMX at 127.0.0.1:" + port));

        final Result help = run(Map.of("JAVA", javaBinary()), bin.resolve("sluice").toString(), "--help");
        assertThat(help.exit()).isZero();
        assertThat(help.lines()).first().asString().startsWith("usage: sluice");
    }

    @Test
    void shouldSayHowToBuildWhenTheJarIsMissing() throws Exception
    {
        final Result result = run(Map.of("JAVA", javaBinary()), bin.resolve("sluice-daemon").toString());
        assertThat(result.exit()).isEqualTo(69);
        assertThat(result.lines()).singleElement().asString()
            .contains("no sluice-daemon.jar").contains("mvn -B -DskipTests package");
    }

    private static String javaBinary()
    {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
