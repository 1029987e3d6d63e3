package io.sluice.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal writer's mappings reach the kernel advised for random access (see {@link MappedWriteAdvice}): read back
 * from this process's own {@code /proc/self/smaps}, where the kernel lists each mapping of a cycle file with its
 * flags ({@code rr}: random read-ahead advice given).
 */
class MappedWriteAdviceTest
{
    private static final Pattern MAPPING = Pattern.compile("[0-9a-f]+-[0-9a-f]+ ");

    @TempDir
    Path dir;

    @Test
    void shouldAdviseEveryChunkTheWriterWritesForRandomAccess() throws Exception
    {
        final Path spoolDir = dir.resolve("spool");
        assertThat(advisedMappingsOf(spoolDir)).as("nothing mapped before the spool opens").isEmpty();
        // 1 MiB chunks and 3 MiB of appends: the writer moves through several mappings.
        try (Spool spool = Spool.open(new SpoolContext().directory(spoolDir).blockSizeBytes(1 << 20).chunkBytes(64 << 10)
            .diskReserveBytes(8 << 20).durability(Durability.DURABLE)))
        {
            for (int i = 0; i < 750; i++)
            {
                assertThat(spool.append(TestMessages.envelope("r@x.test"), TestMessages.body("m" + i, 4096)).get()
                    .isAccepted()).isTrue();
            }
            final List<String> mappings = mappingsOf(spoolDir);
            assertThat(mappings).as("the cycle file is mapped").isNotEmpty();
            assertThat(advisedMappingsOf(spoolDir)).as("the mapping the writer writes into, of %s", mappings).isNotEmpty();
            assertThat(spool.journalChunksAdvised()).as("every 1 MiB chunk written, each advised once")
                .isBetween(3L, 6L);
        }
    }

    /** @return the smaps lines naming a mapping of a file under {@code spoolDir} whose flags include {@code rr}. */
    private static List<String> advisedMappingsOf(final Path spoolDir) throws IOException
    {
        return scan(spoolDir, true);
    }

    private static List<String> mappingsOf(final Path spoolDir) throws IOException
    {
        return scan(spoolDir, false);
    }

    private static List<String> scan(final Path spoolDir, final boolean advisedOnly) throws IOException
    {
        final List<String> found = new ArrayList<>();
        String mapping = null;
        for (final String line : Files.readAllLines(Path.of("/proc/self/smaps")))
        {
            // A mapping's first line: "start-end perms offset dev inode [path]"; its flags come last, on "VmFlags:".
            if (MAPPING.matcher(line).lookingAt())
            {
                mapping = line.contains(spoolDir.toString()) ? line : null;
            }
            else if (mapping != null && line.startsWith("VmFlags:"))
            {
                if (!advisedOnly || List.of(line.substring("VmFlags:".length()).trim().split(" ")).contains("rr"))
                {
                    found.add(mapping);
                }
                mapping = null;
            }
        }
        return found;
    }
}
