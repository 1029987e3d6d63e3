package io.sluice.spool;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.bytes.MappedBytes;
import net.openhft.chronicle.bytes.MappedBytesStore;
import net.openhft.posix.MAdviseFlag;
import net.openhft.posix.PosixAPI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Advises the kernel that the journal's write mappings are accessed at random ({@code madvise(MADV_RANDOM)}), once per
 * mapped chunk, before the writer's first pages in it are faulted.
 *
 * <p>Why: a write fault into a part of a cycle file not yet in the page cache goes through the kernel's mapped
 * read-ahead, which (Linux 6.x, ext4) allocates the page cache there in large folios. Dirty state is kept per folio,
 * so each msync of a group commit writes back the whole folio around the few KiB the batch appended. Measured on the
 * 2-core VM ({@code benchmarks/results/2026-12-06-vm-session7-madvise/}): a probe appending 32 KiB per msync to a fresh
 * mapped file wrote 1,033-1,222 KiB to the disk per msync without the advice and 41-42 KiB with it (a {@code pwrite}
 * and {@code fdatasync} of the same bytes: 39-40 KiB); the journal itself, 8 producers of 4 KiB messages, dirtied
 * 49-53 KiB per msync before and 32-34 KiB after. Throughput did not change there (the disk's sync latency sets it);
 * the write-back per message did, by about 40 %: I/O bandwidth and an appliance's flash.
 *
 * <p>Reading is not advised: recovery and the drain map the files through their own tailers, where read-ahead helps.
 * A chunk the writer shares with a reader (the newest file's) reads without read-ahead, which the page cache hides.
 * If the advice fails (no native access), the journal works as before and the failure is logged once.
 * Writer thread only.
 */
final class MappedWriteAdvice
{
    private static final Logger LOG = LoggerFactory.getLogger(MappedWriteAdvice.class);

    private BytesStore<?, ?> advised;
    /** Set when the native call cannot be made at all: never tried again. */
    private boolean failed;
    private long refusals;
    private long chunksAdvised;

    /** Advises the chunk {@code bytes} writes into now, if it is a mapping not advised yet. */
    void adviseIfNew(final Bytes<?> bytes)
    {
        if (failed || !(bytes instanceof MappedBytes mapped))
        {
            return;
        }
        final BytesStore<?, ?> store = mapped.bytesStore();
        if (store == advised || !(store instanceof MappedBytesStore chunk))
        {
            return;
        }
        advised = store;
        // The chunk's mapping starts at its first byte's address: mmap returns page-aligned addresses.
        final long address = chunk.addressForRead(chunk.start());
        // Offsets are the file's: the mapping holds the chunk and the overlap after it, up to its real capacity.
        final long length = chunk.realCapacity() - chunk.start();
        try
        {
            final int result = PosixAPI.posix().madvise(address, length, MAdviseFlag.MADV_RANDOM);
            if (result != 0)
            {
                // Each chunk is tried: one refused mapping says nothing of the next. Logged once, not per chunk.
                if (refusals++ == 0)
                {
                    LOG.warn("madvise(MADV_RANDOM) of a journal mapping failed ({}): its msyncs may write back whole"
                        + " folios", PosixAPI.posix().lastErrorStr());
                }
                return;
            }
            chunksAdvised++;
        }
        catch (final RuntimeException | LinkageError ex)
        {
            failed = true;
            LOG.warn("madvise of the journal's mappings is unavailable ({}): msyncs may write back whole folios",
                ex.toString());
        }
    }

    /** @return how many mapped chunks were advised: a test's proof that the advice reached the kernel. */
    long chunksAdvised()
    {
        return chunksAdvised;
    }
}
