package io.sluice.admission;

import static io.sluice.admission.AdmissionTesting.ip;
import static io.sluice.admission.AdmissionTesting.quietContext;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import io.sluice.testing.TestClock;

/** Reputation across restarts, and a damaged reputation file: reported, set aside, a clean start, never a crash. */
class ReputationPersistenceTest
{
    @TempDir
    Path directory;

    private final TestClock clock = new TestClock();

    private Path file()
    {
        return directory.resolve("reputation.state");
    }

    private Admission open()
    {
        return Admission.open(quietContext(clock).stateFile(directory.resolve("admission.state")), new TestPressure());
    }

    private void demoteAndClose()
    {
        try (Admission admission = open())
        {
            for (int i = 1; i <= 8; i++)
            {
                admission.learn(ip("203.0.113." + i), ReputationEvent.POLICY_REJECTION);
            }
            for (int i = 1; i <= 30; i++)
            {
                admission.learn(ip("198.51.100." + i), ReputationEvent.CLEAN_DELIVERY);
            }
        }
    }

    @Test
    void shouldKeepDemotionsAndCleanRecordsAcrossARestartAndDecayWhileDown()
    {
        demoteAndClose();
        assertThat(file()).as("beside the admission state file").exists();
        try (Admission admission = open())
        {
            assertThat(admission.classOf(ip("203.0.113.200"), false)).isEqualTo(SourceClass.DEMOTED);
            assertThat(admission.classOf(ip("198.51.100.200"), false)).isEqualTo(SourceClass.CLEAN);
            assertThat(admission.reputation("203.0.113.0/24").counts()).containsEntry("policy rejection", 8);
            assertThat(admission.reputationKeys()).isEqualTo(8 + 30 + 2);
        }
        clock.advance(Duration.ofHours(13));
        try (Admission admission = open())
        {
            assertThat(admission.classOf(ip("203.0.113.200"), false)).as("8 points halved while down")
                .isEqualTo(SourceClass.UNKNOWN);
        }
    }

    @Test
    void shouldStartCleanFromACorruptFileAndSetItAside() throws IOException
    {
        demoteAndClose();
        final byte[] bytes = Files.readAllBytes(file());
        bytes[bytes.length / 2] ^= 0x40;
        Files.write(file(), bytes);
        assertCleanStart("fails its CRC32C check");
    }

    @Test
    void shouldStartCleanFromATruncatedFile() throws IOException
    {
        demoteAndClose();
        final byte[] bytes = Files.readAllBytes(file());
        Files.write(file(), java.util.Arrays.copyOf(bytes, bytes.length - 7));
        assertCleanStart("truncated");
    }

    @Test
    void shouldStartCleanFromAFileThatIsNotOurs() throws IOException
    {
        Files.writeString(file(), "this is not a reputation file at all, just text", StandardCharsets.US_ASCII);
        assertCleanStart("text");
        Files.write(file(), new byte[3]);
        assertCleanStart("too short");
    }

    private void assertCleanStart(final String why)
    {
        try (Admission admission = open())
        {
            assertThat(admission.count(AdmissionCounter.STATE_FILE_FAILURES)).as(why).isEqualTo(1);
            assertThat(admission.reputationKeys()).as(why).isZero();
            assertThat(admission.classOf(ip("203.0.113.200"), false)).as(why).isEqualTo(SourceClass.UNKNOWN);
            assertThat(directory.resolve("reputation.state.corrupt")).as(why).exists();
        }
    }

    @Test
    void shouldWriteNoReputationFileWhenTurnedOff()
    {
        try (Admission admission = Admission.open(contextWithoutFile(), new TestPressure()))
        {
            admission.learn(ip("203.0.113.1"), ReputationEvent.SPOOF);
        }
        assertThat(file()).doesNotExist();
        assertThat(directory.resolve("admission.state")).exists();
    }

    private AdmissionContext contextWithoutFile()
    {
        final AdmissionContext context = quietContext(clock).stateFile(directory.resolve("admission.state"));
        context.reputation().stateFile(Path.of(""));
        return context;
    }
}
