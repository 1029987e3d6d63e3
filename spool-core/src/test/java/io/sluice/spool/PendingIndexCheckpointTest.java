package io.sluice.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checkpoint file on its own: every entry comes back as it was, heap overflow and per-file bytes included, and a
 * file cut short, altered or of another format is refused whole.
 */
class PendingIndexCheckpointTest
{
    @TempDir
    Path dir;

    private static PendingIndex sample()
    {
        final PendingIndex index = new PendingIndex(4);
        for (long id = 1; id <= 30; id++)
        {
            final List<RecipientStatus> statuses = Collections.nCopies(id % 3 == 0 ? 5 : 1 + (int)(id % 2),
                RecipientStatus.NEW);
            final long[] indexes = id % 7 == 0 ? new long[] {id * 100, id * 100 + 5} : new long[] {id * 100, id * 100 + 1};
            index.ledger().written((int)(id / 10), 1000);
            index.add(id, indexes, (int)(id / 10), 500 + id, 400 + id, 7 * id, statuses, null);
        }
        index.apply(3, 4, RecipientStatus.failed(1, "550"), 9003);
        index.apply(6, JournalRecordCodec.ALL_RECIPIENTS, RecipientStatus.deferred(1, 5, "451"), 9006);
        index.apply(8, 1, RecipientStatus.delivered(1, "250"), 9008);
        index.apply(5, 0, RecipientStatus.delivered(1, "250"), 9005);
        return index;
    }

    private static String describe(final PendingIndex index, final long id)
    {
        final PendingSlot slot = new PendingSlot();
        if (!index.read(id, slot))
        {
            return id + " not pending";
        }
        final StringBuilder text = new StringBuilder().append(id).append(' ').append(slot.headIndex).append(' ')
            .append(Arrays.toString(slot.recordIndexes())).append(' ').append(slot.cycle()).append(' ')
            .append(slot.recordBytes()).append(' ').append(slot.contentLength()).append(' ').append(slot.receivedAtMillis);
        for (int r = 0; r < slot.recipients(); r++)
        {
            text.append(" r").append(r).append('=').append(slot.outcomeIndex(r)).append(slot.isFinal(r) ? "F" : "-");
        }
        return text.toString();
    }

    @Test
    void shouldLoadEveryEntryAsItWasWritten() throws IOException
    {
        final PendingIndex written = sample();
        final Path file = dir.resolve(IndexCheckpoint.FILE_NAME);
        IndexCheckpoint.write(file, written, 0x1234, 77, 30);

        final PendingIndex loaded = new PendingIndex();
        final IndexCheckpoint.Loaded header = IndexCheckpoint.load(file, loaded);
        assertThat(header).isEqualTo(new IndexCheckpoint.Loaded(0x1234, 77, 30, written.size()));
        for (long id = 0; id <= 31; id++)
        {
            assertThat(describe(loaded, id)).isEqualTo(describe(written, id));
        }
        assertThat(loaded.size()).isEqualTo(written.size());
        assertThat(loaded.pendingBytes()).isEqualTo(written.pendingBytes());
        for (int cycle = 0; cycle <= 3; cycle++)
        {
            assertThat(loaded.ledger().writtenBytes(cycle)).isEqualTo(written.ledger().writtenBytes(cycle));
            assertThat(loaded.ledger().liveMessages(cycle)).isEqualTo(written.ledger().liveMessages(cycle));
            assertThat(loaded.ledger().liveBytes(cycle)).isEqualTo(written.ledger().liveBytes(cycle));
        }
        assertThat(loaded.changes(3, 4)).isFalse();
        assertThat(loaded.changes(3, 3)).isTrue();
    }

    @Test
    void shouldRefuseAFileCutShortAlteredOrForeign() throws IOException
    {
        final Path file = dir.resolve(IndexCheckpoint.FILE_NAME);
        IndexCheckpoint.write(file, sample(), 1, 2, 3);
        final byte[] whole = Files.readAllBytes(file);

        Files.write(file, Arrays.copyOf(whole, whole.length - 70));
        assertThatThrownBy(() -> IndexCheckpoint.load(file, new PendingIndex())).isInstanceOf(IOException.class);

        final byte[] altered = whole.clone();
        altered[100] ^= 1;
        Files.write(file, altered);
        assertThatThrownBy(() -> IndexCheckpoint.load(file, new PendingIndex())).isInstanceOf(IOException.class)
            .hasMessageContaining("CRC32C");

        Files.write(file, "not a checkpoint at all, but long enough to have a header and a CRC".getBytes());
        assertThatThrownBy(() -> IndexCheckpoint.load(file, new PendingIndex())).isInstanceOf(IOException.class);
    }
}
