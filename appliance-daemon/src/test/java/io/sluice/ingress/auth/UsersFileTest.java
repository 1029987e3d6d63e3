package io.sluice.ingress.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The users file: what it reads, what it refuses (naming file and line, never the hash), and how it is rewritten. */
class UsersFileTest
{
    /** The floor, so the tests stay quick; the shipped count is checked by its own test. */
    static final PasswordHash HASH = PasswordHash.of("password-1".toCharArray(), PasswordHash.MIN_ITERATIONS);

    @TempDir
    Path dir;

    @Test
    void shouldHashSlowlyWithSaltAndCheckInConstantTime()
    {
        assertThat(HASH.matches("password-1".toCharArray())).isTrue();
        assertThat(HASH.matches("password-2".toCharArray())).isFalse();
        final PasswordHash again = PasswordHash.parse(HASH.encoded());
        assertThat(again).isEqualTo(HASH);
        assertThat(PasswordHash.of("password-1".toCharArray(), PasswordHash.MIN_ITERATIONS)).as("salted").isNotEqualTo(HASH);
        assertThat(HASH.toString()).doesNotContain(HASH.encoded().split(":")[3]);
        assertThat(PasswordHash.DEFAULT_ITERATIONS).isGreaterThanOrEqualTo(600_000);
        assertThatThrownBy(() -> PasswordHash.parse("pbkdf2-sha256:1000:" + HASH.encoded().split(":", 3)[2]))
            .hasMessageContaining("iteration count 1000 is outside");
        assertThatThrownBy(() -> PasswordHash.parse("plain:secret")).hasMessageContaining("is not pbkdf2-sha256");
    }

    @Test
    void shouldReadUsersWithTenantDomainsAndRate() throws IOException
    {
        final Path file = write("# comment", "",
            "alice " + HASH.encoded() + " tenant=acme domains=Acme.example,acme.test rate=100/min",
            "bob " + HASH.encoded() + " tenant=other");
        final UsersFile users = UsersFile.read(file);
        final AuthUser alice = users.users().get("alice");
        assertThat(alice.tenant()).isEqualTo("acme");
        assertThat(alice.domains()).containsExactlyInAnyOrder("acme.example", "acme.test");
        assertThat(alice.rate()).isEqualTo(new AuthUser.Rate(100, 60));
        assertThat(alice.ownsSender("news@ACME.example")).isTrue();
        assertThat(alice.ownsSender("news@other.example")).isFalse();
        assertThat(users.users().get("bob").rate()).isNull();
        assertThat(UsersFile.format(alice)).isEqualTo(
            "alice " + HASH.encoded() + " tenant=acme domains=acme.example,acme.test rate=100/min");
    }

    @Test
    void shouldRefuseABadLineNamingFileAndLineButNotTheHash() throws IOException
    {
        final String secretish = "pbkdf2-sha256:100000:c2FsdA==:bm90LWEtaGFzaA==";
        assertThatThrownBy(() -> UsersFile.read(write("alice " + HASH.encoded() + " tenant=acme", "# x", "bob " + secretish
            + " tenant=acme")))
            .hasMessageStartingWith(dir.resolve("users") + " line 3: ").hasMessageNotContaining("bm90LWEtaGFzaA");
        assertThatThrownBy(() -> UsersFile.read(write("alice " + HASH.encoded())))
            .hasMessageContaining("line 1: expected NAME HASH tenant=TENANT");
        assertThatThrownBy(() -> UsersFile.read(write("alice " + HASH.encoded() + " domains=a.example")))
            .hasMessageContaining("line 1: user alice has no tenant=");
        assertThatThrownBy(() -> UsersFile.read(write("alice " + HASH.encoded() + " tenant=a", "alice " + HASH.encoded()
            + " tenant=b"))).hasMessageContaining("line 2: user alice is listed twice");
        assertThatThrownBy(() -> UsersFile.read(write("alice " + HASH.encoded() + " tenant=a rate=5/week")))
            .hasMessageContaining("line 1: rate expects N/s, N/min or N/h");
        assertThatThrownBy(() -> UsersFile.read(write("alice MyPlainPassword tenant=a")))
            .hasMessageContaining("line 1: the hash is not").hasMessageNotContaining("MyPlainPassword");
    }

    @Test
    void shouldRewriteLineByLineKeepingCommentsAndPermissions() throws IOException
    {
        final Path file = write("# our users", "alice " + HASH.encoded() + " tenant=acme");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        final AuthUser bob = new AuthUser("bob", HASH, "other", Set.of(), null);
        UsersFile.read(file).withUser(bob).write();
        assertThat(Files.readAllLines(file)).containsExactly("# our users", "alice " + HASH.encoded() + " tenant=acme",
            UsersFile.format(bob));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        UsersFile.read(file).without("alice").write();
        assertThat(UsersFile.read(file).users()).containsOnlyKeys("bob");
        assertThat(Files.readAllLines(file)).first().isEqualTo("# our users");

        final Path fresh = dir.resolve("fresh");
        UsersFile.empty(fresh).withUser(bob).write();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(fresh))).isEqualTo("rw-r-----");
        assertThat(UsersFile.read(fresh).users()).containsOnlyKeys("bob");
        assertThat(Files.exists(dir.resolve("fresh.tmp"))).isFalse();
    }

    private Path write(final String... lines) throws IOException
    {
        final Path file = dir.resolve("users");
        Files.write(file, List.of(lines), StandardCharsets.UTF_8);
        return file;
    }
}
