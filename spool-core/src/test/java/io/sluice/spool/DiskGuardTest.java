package io.sluice.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The disk guard on a real 48 MiB tmpfs (mounted by the test, as root; without root it fails
 * and says why, never skips: {@link SmallFilesystem}): the spool
 * answers {@code REFUSED_DISK_FULL} before the disk fills, never crashes (Chronicle would die of SIGBUS), loses nothing
 * it acknowledged, and accepts again when space returns.
 */
class DiskGuardTest
{
    @TempDir
    Path dir;

    private static SpoolContext context(final Path spoolDir)
    {
        return new SpoolContext().directory(spoolDir).blockSizeBytes(256 << 10).chunkBytes(32 << 10)
            .diskReserveBytes(4 << 20).diskCheckIntervalMs(1);
    }

    @Test
    void shouldRefuseWithATypedResultBeforeAFullTmpfsAndResumeWhenSpaceReturns() throws Exception
    {
        try (SmallFilesystem fs = SmallFilesystem.mount(dir.resolve("mnt"), 48))
        {
            final Path spoolDir = fs.path().resolve("spool");
            final Path ballast = fs.path().resolve("ballast");
            final List<Long> accepted = new ArrayList<>();
            AppendResult refused = null;
            try (Spool spool = Spool.open(context(spoolDir)))
            {
                try (RandomAccessFile file = new RandomAccessFile(ballast.toFile(), "rw"))
                {
                    // Real blocks, not a sparse length, so the space is really gone.
                    final byte[] mib = new byte[1 << 20];
                    for (int i = 0; i < 8; i++)
                    {
                        file.write(mib);
                    }
                }
                for (int i = 0; i < 1_000 && refused == null; i++)
                {
                    final AppendResult result =
                        spool.append(TestMessages.envelope("r@x.test"), TestMessages.body("fill" + i, 200_000)).get();
                    if (result.isAccepted())
                    {
                        accepted.add(result.messageId());
                    }
                    else
                    {
                        refused = result;
                    }
                }
                assertThat(refused).as("the guard must refuse before the disk is full").isNotNull();
                assertThat(refused.status()).isEqualTo(AppendResult.Status.REFUSED_DISK_FULL);
                assertThat(spool.isAcceptingMessages()).isFalse();
                assertThat(spool.counters().get(SpoolCounter.APPENDS_REFUSED_DISK)).isEqualTo(1);
                assertThat(accepted).as("the tmpfs held some mail before it filled").hasSizeGreaterThan(50);

                Files.delete(ballast);
                // No append asks: the writer's own maintenance sees the space return and reopens.
                SpoolAwait.until(spool::isAcceptingMessages, DiskPressureTest.REOPEN_TIMEOUT_MS);
                final AppendResult after =
                    spool.append(TestMessages.envelope("r@x.test"), TestMessages.body("after", 200_000)).get();
                assertThat(after.status()).as("resumes by itself once space returns").isEqualTo(AppendResult.Status.ACCEPTED);
                accepted.add(after.messageId());
                assertThat(spool.isAcceptingMessages()).isTrue();
            }
            try (Spool spool = Spool.open(context(spoolDir)))
            {
                assertThat(spool.pendingCount()).as("nothing acknowledged was lost").isEqualTo(accepted.size());
                for (final long id : accepted)
                {
                    assertThat(spool.readContent(id).remaining()).isEqualTo(200_000);
                }
            }
        }
    }

    @Test
    void shouldRefuseEverythingWhenTheReserveExceedsTheDisk() throws Exception
    {
        final long hugeReserve = Files.getFileStore(dir).getTotalSpace() * 2;
        try (Spool spool = Spool.open(new SpoolContext().directory(dir).diskReserveBytes(hugeReserve)))
        {
            assertThat(spool.isAcceptingMessages()).isFalse();
            final AppendResult result = spool.append(TestMessages.envelope("r@x.test"), TestMessages.body("x", 100)).get();
            assertThat(result.status()).isEqualTo(AppendResult.Status.REFUSED_DISK_FULL);
            assertThat(spool.pendingCount()).isZero();
        }
    }
}
