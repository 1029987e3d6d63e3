package io.sluice.spool;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.bytes.MappedBytesStore;
import net.openhft.posix.PosixAPI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maps the journal's next pages writable ahead of the writer, {@value #STEP_BYTES} bytes at a time, with one
 * {@code madvise(MADV_POPULATE_WRITE)} (Linux 5.14) instead of a page fault for every 4 KiB page the writer's copy
 * reaches first. Measured on the 2-core VM (issue 21): the journal writer's copy into a fresh page of the map was
 * most of its sampled Java time while accepting, each first touch a page fault, and a fault costs a VM far more than
 * on bare metal. The pages hold zeros until written, as the sparse file's hole did: nothing a reader or recovery
 * sees changes. Where the call is refused (an older kernel, no native access) it is never tried again.
 *
 * <p>Writer thread only.
 */
final class PagePrefault
{
    private static final Logger LOG = LoggerFactory.getLogger(PagePrefault.class);
    /** {@code MADV_POPULATE_WRITE} from Linux's mman-common.h; not in Chronicle's flag enum. */
    private static final int MADV_POPULATE_WRITE = 23;
    private static final long PAGE = 4096;
    /**
     * How far ahead of the write position one call maps: 32 pages, a call per ~30 messages of 4 KiB. The pages take
     * disk (or tmpfs) as they are mapped, so a new journal file costs this much more than its first records; kept
     * well inside what the reserve allows an early roll ({@code SpaceReclaimer.ROLL_COST_BYTES}).
     */
    static final long STEP_BYTES = 128L << 10;
    /** The next call comes when the writer is this close to the end of what was mapped ahead. */
    private static final long LOW_WATER_BYTES = 32L << 10;

    private final PosixAPI posix;
    private boolean enabled;
    private BytesStore<?, ?> store;
    private long populatedTo;

    PagePrefault(final boolean enabled)
    {
        PosixAPI api = null;
        if (enabled)
        {
            try
            {
                api = PosixAPI.posix();
            }
            catch (final RuntimeException | LinkageError ex)
            {
                LOG.info("journal pages are not mapped ahead (no native access: {}); each first write faults", ex.toString());
            }
        }
        this.posix = api;
        this.enabled = api != null;
    }

    /** After a write: maps the pages ahead of {@code bytes}' write position if the writer is near the end of them. */
    void after(final Bytes<?> bytes)
    {
        if (!enabled)
        {
            return;
        }
        final BytesStore<?, ?> current = bytes.bytesStore();
        if (!(current instanceof MappedBytesStore mapped))
        {
            return;
        }
        final long position = bytes.writePosition();
        if (current != store)
        {
            store = current;
            populatedTo = position & -PAGE;
        }
        if (populatedTo - position > LOW_WATER_BYTES)
        {
            return;
        }
        final long from = Math.max(populatedTo, position & -PAGE);
        final long to = Math.min(from + STEP_BYTES, mapped.safeLimit()) & -PAGE;
        if (to <= from)
        {
            return;
        }
        final int result;
        try
        {
            result = posix.madvise(mapped.addressForWrite(from), to - from, MADV_POPULATE_WRITE);
        }
        catch (final RuntimeException | LinkageError ex)
        {
            enabled = false;
            LOG.info("journal pages are no longer mapped ahead: {}", ex.toString());
            return;
        }
        if (result != 0)
        {
            enabled = false;
            LOG.info("journal pages are not mapped ahead: madvise(MADV_POPULATE_WRITE) refused ({}); each first write faults",
                posix.lastErrorStr());
            return;
        }
        populatedTo = to;
    }
}
