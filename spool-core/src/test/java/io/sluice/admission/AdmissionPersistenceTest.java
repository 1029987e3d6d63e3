package io.sluice.admission;

import static io.sluice.admission.AdmissionTesting.ip;
import static io.sluice.admission.AdmissionTesting.quietContext;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import io.sluice.testing.TestClock;

/** State across restarts: a flooding source gets no fresh burst, and a bad state file never stops a start. */
class AdmissionPersistenceTest
{
    private static final InetAddress FLOODER = ip("203.0.113.66");

    @TempDir
    Path directory;

    private final TestClock clock = new TestClock();
    private final TestPressure pressure = new TestPressure();

    private Path stateFile()
    {
        return directory.resolve("admission.state");
    }

    private Admission open()
    {
        return Admission.open(quietContext(clock).stateFile(stateFile())
            .ratePerSecond(KeyKind.IP, Traffic.MESSAGES, 1).burst(KeyKind.IP, Traffic.MESSAGES, 10)
            .ratePerSecond(KeyKind.IP, Traffic.CONNECTIONS, 1).burst(KeyKind.IP, Traffic.CONNECTIONS, 10)
            .ratePerSecond(KeyKind.GLOBAL, Traffic.MESSAGES, 100).burst(KeyKind.GLOBAL, Traffic.MESSAGES, 1000), pressure);
    }

    private static Decision message(final Admission admission, final InetAddress client)
    {
        return admission.admitMessage(client, false, null, "example.org", "mail");
    }

    private static int acceptedInARow(final Admission admission, final InetAddress client)
    {
        int accepted = 0;
        while (message(admission, client).isAccepted())
        {
            accepted++;
        }
        return accepted;
    }

    @Test
    void shouldGiveAFloodingSourceNoFreshBurstAfterARestart()
    {
        try (Admission admission = open())
        {
            assertThat(acceptedInARow(admission, FLOODER)).isEqualTo(10);
            for (int i = 0; i < 10; i++)
            {
                assertThat(admission.admitConnection(FLOODER).isAccepted()).isTrue();
            }
            assertThat(message(admission, ip("192.0.2.1")).isAccepted()).isTrue();
        }
        assertThat(stateFile()).exists();
        assertThat(stateFile().resolveSibling("admission.state.tmp")).doesNotExist();

        try (Admission admission = open())
        {
            assertThat(message(admission, FLOODER).verdict()).isEqualTo(Verdict.RATE_LIMITED);
            assertThat(admission.admitConnection(FLOODER).verdict()).isEqualTo(Verdict.RATE_LIMITED);
            assertThat(acceptedInARow(admission, ip("192.0.2.1"))).as("9 tokens were left").isEqualTo(9);
            assertThat(acceptedInARow(admission, ip("192.0.2.2"))).as("never seen: a full bucket").isEqualTo(10);
            assertThat(admission.count(AdmissionCounter.STATE_FILE_FAILURES)).isZero();
        }
    }

    @Test
    void shouldCreditTheTimeTheApplianceWasDown()
    {
        try (Admission admission = open())
        {
            assertThat(acceptedInARow(admission, FLOODER)).isEqualTo(10);
        }
        clock.advance(Duration.ofSeconds(4));
        try (Admission admission = open())
        {
            assertThat(acceptedInARow(admission, FLOODER)).as("1 token a second for 4 s offline").isEqualTo(4);
        }
        clock.advance(Duration.ofHours(1));
        try (Admission admission = open())
        {
            assertThat(admission.trackedKeys()).as("refilled to full while down: nothing to restore").isZero();
            assertThat(acceptedInARow(admission, FLOODER)).isEqualTo(10);
        }
    }

    @Test
    void shouldKeepRunTimeBlocksAndOverridesButNotConfiguredBlocks()
    {
        try (Admission admission = Admission.open(quietContext(clock).stateFile(stateFile()).blocklist("192.0.2.0/24"), pressure))
        {
            admission.block("198.51.100.0/24", null);
            admission.block("203.0.113.0/24", Duration.ofMinutes(5));
            admission.block("2001:db8::/48", Duration.ofMinutes(60));
            admission.setOverride(KeyKind.IP, Traffic.CONNECTIONS, "2001:db8::25", 5, 50);
            admission.setOverride(KeyKind.TENANT, "acme", 10, 100);
        }
        clock.advance(Duration.ofMinutes(10));
        try (Admission admission = Admission.open(quietContext(clock).stateFile(stateFile()), pressure))
        {
            assertThat(admission.blocks()).extracting(b -> b.network().toString())
                .as("the 5-minute block lapsed while down; the configured one is the configuration's to keep")
                .containsExactly("198.51.100.0/24", "2001:db8:0:0:0:0:0:0/48");
            assertThat(admission.blocks().get(1).expiresAt()).isEqualTo(clock.instant().plus(Duration.ofMinutes(50)));
            assertThat(admission.overrides()).containsExactly(
                new LimitOverride(KeyKind.IP, Traffic.CONNECTIONS, "2001:db8:0:0:0:0:0:25", new Limit(5, 50)),
                new LimitOverride(KeyKind.TENANT, Traffic.MESSAGES, "acme", new Limit(10, 100)));
            assertThat(admission.admitConnection(ip("198.51.100.1")).verdict()).isEqualTo(Verdict.BLOCKED);
            assertThat(admission.admitConnection(ip("192.0.2.1")).isAccepted()).isTrue();
        }
    }

    @Test
    void shouldStartEmptyWhenTheStateFileIsGarbage() throws IOException
    {
        Files.writeString(stateFile(), "this is not a state file, it is a note someone left", StandardCharsets.UTF_8);
        try (Admission admission = open())
        {
            assertThat(admission.count(AdmissionCounter.STATE_FILE_FAILURES)).isEqualTo(1);
            assertThat(acceptedInARow(admission, FLOODER)).isEqualTo(10);
        }
        assertThat(stateFile().resolveSibling("admission.state.corrupt")).exists();
        assertThat(stateFile()).as("written afresh at close").exists();
    }

    @Test
    void shouldStartEmptyWhenAnyByteOfTheStateFileIsFlippedOrTheFileIsCutShort() throws IOException
    {
        try (Admission admission = open())
        {
            acceptedInARow(admission, FLOODER);
            admission.block("198.51.100.0/24", null);
        }
        final byte[] good = Files.readAllBytes(stateFile());
        for (int i = 0; i < good.length; i++)
        {
            final byte[] bad = good.clone();
            bad[i] ^= 0x40;
            Files.write(stateFile(), bad);
            assertStartsEmpty("byte " + i + " flipped");
        }
        for (int length = 0; length < good.length; length += 7)
        {
            Files.write(stateFile(), Arrays.copyOf(good, length));
            assertStartsEmpty("cut to " + length + " bytes");
        }
    }

    private void assertStartsEmpty(final String why)
    {
        try (Admission admission = open())
        {
            assertThat(admission.count(AdmissionCounter.STATE_FILE_FAILURES)).as(why).isEqualTo(1);
            assertThat(admission.blocks()).as(why).isEmpty();
            assertThat(admission.trackedKeys()).as(why).isZero();
        }
    }

    @Test
    void shouldLeaveThePreviousFileWhenASnapshotCannotBeWritten() throws IOException
    {
        final Path notADirectory = directory.resolve("file");
        Files.writeString(notADirectory, "x");
        final AdmissionContext context = quietContext(clock).stateFile(notADirectory.resolve("admission.state"));
        try (Admission admission = Admission.open(context, pressure))
        {
            assertThatThrownBy(admission::snapshot).isInstanceOf(UncheckedIOException.class);
            assertThat(admission.count(AdmissionCounter.STATE_FILE_FAILURES)).isEqualTo(1);
        }
    }

    @Test
    void shouldWriteNothingWithoutAStateFile()
    {
        try (Admission admission = Admission.open(quietContext(clock)
            .ratePerSecond(KeyKind.IP, Traffic.MESSAGES, 1).burst(KeyKind.IP, Traffic.MESSAGES, 10), pressure))
        {
            message(admission, FLOODER);
            assertThat(admission.snapshot()).isEqualTo(1);
            assertThat(admission.count(AdmissionCounter.STATE_SNAPSHOTS_WRITTEN)).isZero();
        }
        assertThat(directory).isEmptyDirectory();
    }
}
