package io.sluice.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.syntax.ArchRuleDefinition;
import io.sluice.config.InvalidSettingException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fleet's settings: refused by key with what was expected; unset, a single appliance that never loads Redis. */
class FleetContextTest
{
    @TempDir
    Path dir;

    @Test
    void shouldBeASingleApplianceWhenRedisIsUnset()
    {
        final FleetContext context = new FleetContext().conclude();
        assertThat(context.enabled()).isFalse();
        assertThat(Fleet.open(context)).isSameAs(Fleet.NONE);
        assertThat(Fleet.NONE.status().summary()).isEqualTo("single appliance");
    }

    @Test
    void shouldNotReachARedisClassFromWhatASingleApplianceLoads()
    {
        // What a daemon without fleet.redis loads of the fleet: these, never RedisFleet and what it uses.
        final JavaClasses loaded = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importClasses(Fleet.class, FleetContext.class, FleetStatus.class, FleetCounter.class);
        ArchRuleDefinition.noClasses().should().dependOnClassesThat().resideInAnyPackage("io.lettuce..",
            "io.github.bucket4j.redis..", "io.github.bucket4j.distributed..").check(loaded);
    }

    @Test
    void shouldTakeRedisAddressesAndReadThePasswordFile() throws Exception
    {
        final Path password = Files.writeString(dir.resolve("redis.password"), "fleetuser s3cret\n");
        final FleetContext context = new FleetContext().redis("rediss://redis.example:6380").passwordFile(password)
            .nodeId("node-1").conclude();
        assertThat(context.enabled()).isTrue();
        assertThat(context.user()).isEqualTo("fleetuser");
        assertThat(context.password()).containsExactly("s3cret".toCharArray());
        assertThat(context.key("holds")).isEqualTo("sluice:holds");
        assertThat(new FleetContext().redis("redis-sentinel://s1:26379,s2:26379#master").conclude().nodeId())
            .as("the host name by default").isNotEmpty();
    }

    @Test
    void shouldRefuseBadValuesNamingTheKey() throws Exception
    {
        assertThatThrownBy(() -> new FleetContext().redis("http://redis:6379").conclude())
            .isInstanceOf(InvalidSettingException.class).hasMessageContaining("fleet.redis=http://redis:6379");
        assertThatThrownBy(() -> new FleetContext().redis("redis://user:secret@redis:6379").conclude())
            .isInstanceOf(InvalidSettingException.class).hasMessageContaining("fleet.passwordFile");
        assertThatThrownBy(() -> new FleetContext().passwordFile(dir.resolve("p")).conclude())
            .isInstanceOf(InvalidSettingException.class).hasMessageContaining("fleet.passwordFile")
            .hasMessageContaining("without `fleet.redis`");
        assertThatThrownBy(() -> new FleetContext().redis("redis://r:6379").passwordFile(dir.resolve("missing")).conclude())
            .isInstanceOf(InvalidSettingException.class).hasMessageContaining("fleet.passwordFile");
        final Path empty = Files.writeString(dir.resolve("empty"), "\n");
        assertThatThrownBy(() -> new FleetContext().redis("redis://r:6379").passwordFile(empty).conclude())
            .isInstanceOf(InvalidSettingException.class).hasMessageContaining("found none");
        assertThatThrownBy(() -> new FleetContext().name("a b"))
            .isInstanceOf(InvalidSettingException.class).hasMessageContaining("fleet.name");
        assertThatThrownBy(() -> new FleetContext().timeoutMs(5))
            .isInstanceOf(InvalidSettingException.class).hasMessageContaining("fleet.timeoutMs");
    }
}
