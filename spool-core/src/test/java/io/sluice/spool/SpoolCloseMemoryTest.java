package io.sluice.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A closed spool gives its pending index back: the index is direct memory (64 B a message), freed only when the
 * collector frees the buffers, so a closed spool that something still references must not hold it. The 10M backlog
 * harness opened its spool a second time while the closed one was still in scope and ran out of direct memory at
 * twice the index (1.28 GB against the JVM's 1 GiB).
 */
class SpoolCloseMemoryTest
{
    private static final int MESSAGES = 160_000;
    private static final int REOPENS = 3;
    private static final int WINDOW = 4_096;

    @TempDir
    Path dir;

    @Test
    void shouldLetTheCollectorFreeAClosedSpoolsIndexWhileTheSpoolIsStillReferenced() throws Exception
    {
        final SpoolContext context = new SpoolContext().directory(dir.resolve("spool")).blockSizeBytes(1 << 20)
            .chunkBytes(16 << 10).diskReserveBytes(8 << 20).checkpointIntervalMs(0);
        final long base = directBytesAfterGc();
        final List<Spool> closed = new ArrayList<>();
        try (Spool spool = Spool.open(context))
        {
            // In windows: the writer's queue holds 65,536 requests, and a full queue refuses.
            final List<CompletableFuture<AppendResult>> window = new ArrayList<>(WINDOW);
            for (int i = 0; i < MESSAGES; i++)
            {
                window.add(spool.append(new Envelope("127.0.0.1", "default", "mail", "s" + i + "@x.test",
                    List.of("r@y.test"), 0, false, false, false), TestMessages.body("m" + i, 200)));
                if (window.size() == WINDOW || i == MESSAGES - 1)
                {
                    for (final CompletableFuture<AppendResult> append : window)
                    {
                        assertThat(append.get().isAccepted()).isTrue();
                    }
                    window.clear();
                }
            }
            closed.add(spool);
        }
        final long index = (long)MESSAGES * IndexChunk.ENTRY_BYTES;
        for (int i = 0; i < REOPENS; i++)
        {
            final Spool reopened = Spool.open(context);
            assertThat(reopened.pendingCount()).isEqualTo(MESSAGES);
            reopened.close();
            closed.add(reopened);
        }

        // Cleaners free direct buffers after the collection that found them unreachable, on their own thread.
        SpoolAwait.until(() -> directBytesAfterGc() - base < 2 * index);
        assertThat(closed).hasSize(REOPENS + 1);
    }

    private static long directBytesAfterGc()
    {
        System.gc();
        return ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
            .filter(pool -> pool.getName().equals("direct")).mapToLong(BufferPoolMXBean::getMemoryUsed).sum();
    }
}
