package io.sluice.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The Debian package the build makes, installed for real with {@code dpkg -i} (the surefire execution in the
 * integration-test phase, after {@code package}): the daemon and its libraries, the unit, the sysusers and tmpfiles
 * snippets, the settings as a conffile owned by the daemon's group, the {@code sluice} user, and a
 * {@code --check-config} of the installed settings by the installed launcher. Then an upgrade over a locally edited
 * conffile keeps the edit, and a purge removes the files. It needs root and dpkg, which CI has; without them it fails
 * and says so, rather than skip: a package nobody installed proves nothing.
 */
class DebianPackageTest
{
    private static final Path SETTINGS = Path.of("/etc/sluice/sluice.properties");

    @Test
    void shouldInstallCheckItsConfigurationUpgradeKeepingLocalEditsAndPurge() throws Exception
    {
        assertThat(run("id", "-u").output().trim()).as("installing a package needs root, as CI runs").isEqualTo("0");
        assertThat(run("sh", "-c", "command -v dpkg").exit()).as("dpkg, as on CI's Debian").isZero();
        assertThat(run("dpkg-query", "-W", "-f=${Status}", "sluice").output())
            .as("sluice already installed here: the test installs and purges its own").doesNotContain("install ok installed");
        final Path deb = builtPackage();
        try
        {
            final Result install = run("dpkg", "-i", "--force-confold", deb.toString());
            assertThat(install.exit()).as(install.output()).isZero();
            for (final String file : List.of("/usr/share/sluice/sluice-daemon.jar", "/usr/share/sluice/jvm.options",
                "/usr/lib/systemd/system/sluice.service", "/usr/lib/sysusers.d/sluice.conf", "/usr/lib/tmpfiles.d/sluice.conf",
                "/usr/share/doc/sluice/README.md"))
            {
                assertThat(Path.of(file)).as(file).isRegularFile();
            }
            try (Stream<Path> libs = Files.list(Path.of("/usr/share/sluice/lib")))
            {
                assertThat(libs.map(p -> p.getFileName().toString())).anyMatch(n -> n.startsWith("chronicle-queue-"))
                    .anyMatch(n -> n.startsWith("prometheus-metrics-core-"));
            }
            assertThat(Files.isExecutable(Path.of("/usr/lib/sluice/sluice-daemon"))).as("the unit's ExecStart").isTrue();
            assertThat(Files.isExecutable(Path.of("/usr/bin/sluice"))).isTrue();
            assertThat(run("getent", "passwd", "sluice").output()).as("the daemon's user").contains(":/var/lib/sluice:");
            assertThat(run("getent", "group", "sluice-admin").exit()).as("the console's group").isZero();
            final PosixFileAttributes settings = Files.readAttributes(SETTINGS, PosixFileAttributes.class);
            assertThat(settings.group().getName()).isEqualTo("sluice");
            assertThat(PosixFilePermissions.toString(settings.permissions())).isEqualTo("rw-r-----");
            assertThat(run("dpkg-query", "-W", "-f=${Conffiles}", "sluice").output()).contains(SETTINGS.toString());

            final Result check = run("/usr/lib/sluice/sluice-daemon", "--config", SETTINGS.toString(), "--check-config");
            assertThat(check.exit()).as(check.output()).isZero();
            assertThat(check.output()).contains("spool.directory=/var/lib/sluice/spool").contains("sluice: configuration OK");

            Files.writeString(SETTINGS, Files.readString(SETTINGS) + "smtp.hostname=mx.upgrade.test\n");
            final Result upgrade = run("dpkg", "-i", "--force-confold", deb.toString());
            assertThat(upgrade.exit()).as(upgrade.output()).isZero();
            assertThat(Files.readString(SETTINGS)).as("an upgrade keeps the operator's settings")
                .contains("smtp.hostname=mx.upgrade.test");
            assertThat(run("/usr/lib/sluice/sluice-daemon", "--config", SETTINGS.toString(), "--check-config").output())
                .contains("smtp.hostname=mx.upgrade.test");
        }
        finally
        {
            final Result purge = run("dpkg", "--purge", "sluice");
            assertThat(purge.exit()).as(purge.output()).isZero();
        }
        assertThat(Path.of("/usr/share/sluice")).doesNotExist();
        assertThat(SETTINGS).as("purged with its conffile").doesNotExist();
    }

    /** @return the newest {@code target/sluice_*_all.deb} the package phase wrote. */
    private static Path builtPackage() throws IOException
    {
        try (Stream<Path> files = Files.list(Path.of("target")))
        {
            final List<Path> debs = new ArrayList<>(files.filter(p -> p.getFileName().toString().matches("sluice_.*_all\\.deb"))
                .toList());
            assertThat(debs).as("the package from mvn package in appliance-daemon/target").isNotEmpty();
            debs.sort(Comparator.comparing(p -> p.toFile().lastModified()));
            return debs.get(debs.size() - 1).toAbsolutePath();
        }
    }

    private record Result(int exit, String output)
    {
    }

    private static Result run(final String... command) throws IOException, InterruptedException
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(120, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish in 120 s: " + output);
        }
        return new Result(process.exitValue(), output);
    }
}
