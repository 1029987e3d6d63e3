package io.sluice.bounce;

import io.sluice.counters.EnumCounters;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.sluice.config.AtomicFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file that carries the bounce policy's memory across a restart, so a restart in the middle of a flood does not
 * hand it a clean slate: the suppression list (addresses with their expiry), the dedup table (bounces sent recently,
 * with the time left in the window), and the budget window's slots (what was accepted and bounced, with their age).
 * The recipient and domain buckets are not kept: the budget caps their sum, and a forgotten key starts full anyway.
 *
 * <p>Times that run on the monotonic clock (dedup, budget) are written as durations relative to the save, and the
 * wall-clock time that passed until the restart is taken off them when read back; the suppression list keeps its
 * wall-clock expiries as they are.
 *
 * <p>Layout (big-endian): magic {@code "SLBS"}, version, save time (epoch ms); the suppression count, then per entry
 * the address and its expiry (epoch ms); the dedup count, then per entry the key and the ms left; the budget slot
 * count, then per slot its age in ms at the save, messages accepted and bounces sent; last, the CRC32C of everything
 * before it. Anything that does not parse, or fails the CRC, is corrupt as a whole.
 *
 * <p>Written atomically, in the manner of containment's state file: to a temporary file beside it, forced to disk,
 * renamed over the old one, and the directory forced, so a crash leaves the old file or the new one, never a torn one.
 *
 * <p>{@link #capture}, {@link #restore} and {@link #save} turn the policy's tables into the file and back, so
 * {@link BouncePolicy} holds policy only.
 */
final class BounceStateFile
{
    private static final Logger LOG = LoggerFactory.getLogger(BouncePolicy.class);
    static final int MAGIC = 0x534C_4253;
    static final int VERSION = 1;
    /** Far above 100,000 suppressions and dedup keys; a bigger file is not ours. */
    private static final long MAX_FILE_BYTES = 1L << 30;

    /** One dedup entry: the bounce's key and how long it still collapses identical bounces, from the save. */
    record SavedDedup(String key, long remainingMs)
    {
    }

    /** One budget slot: how old it was at the save (from its start), what it counted. */
    record SavedSlot(long ageMs, long accepted, long sent)
    {
    }

    /** Everything read back from a state file. */
    record Saved(long savedAtMillis, List<SuppressedAddress> suppressions, List<SavedDedup> dedup, List<SavedSlot> budget)
    {
    }

    private BounceStateFile()
    {
    }

    /** @return the tables as of now, to save. Caller holds the policy's lock. */
    static Saved capture(final SuppressionList suppressions, final DedupTable dedup, final BudgetWindow budget,
        final long nowMillis, final long nowNs)
    {
        final List<SavedDedup> recentBounces = new ArrayList<>(dedup.size());
        dedup.forEach(nowNs, (key, remainingNs) ->
            recentBounces.add(new SavedDedup(key, TimeUnit.NANOSECONDS.toMillis(remainingNs))));
        final List<SavedSlot> slots = new ArrayList<>();
        budget.forEach(nowNs, (ageNs, accepted, sent) ->
            slots.add(new SavedSlot(TimeUnit.NANOSECONDS.toMillis(ageNs), accepted, sent)));
        return new Saved(nowMillis, suppressions.list(nowMillis), recentBounces, slots);
    }

    /**
     * Reads the file, if there is one, back into the policy's tables. A corrupt file is logged, counted and moved aside
     * to {@code <name>.corrupt}: the policy then starts empty, as it would without a file, and never refuses to start.
     * Time that passed while the daemon was down counts against the dedup entries and the budget's slots.
     *
     * @param path the state file; null when none is configured.
     * @return true if the tables were restored from the file.
     */
    static boolean restore(final Path path, final SuppressionList suppressions, final DedupTable dedup,
        final BudgetWindow budget, final long nowMillis, final long nowNs, final EnumCounters<BounceCounter> counters)
    {
        if (path == null || !Files.exists(path))
        {
            return false;
        }
        try
        {
            final Saved saved = read(path);
            final long downMs = Math.max(0, nowMillis - saved.savedAtMillis());
            for (final SuppressedAddress address : saved.suppressions())
            {
                if (address.expiresAtMillis() > nowMillis)
                {
                    suppressions.add(address.address(), address.expiresAtMillis(), nowMillis);
                }
            }
            for (final SavedDedup entry : saved.dedup())
            {
                dedup.restore(entry.key(), nowNs, TimeUnit.MILLISECONDS.toNanos(entry.remainingMs() - downMs));
            }
            for (final SavedSlot slot : saved.budget())
            {
                budget.restore(nowNs, TimeUnit.MILLISECONDS.toNanos(slot.ageMs() + downMs), slot.accepted(), slot.sent());
            }
            return true;
        }
        catch (final IOException | RuntimeException ex)
        {
            counters.counter(BounceCounter.STATE_FILE_FAILURES).increment();
            LOG.error("bounce policy: state file {} is unreadable ({}); starting with an empty suppression list", path,
                ex.toString());
            AtomicFiles.setAside(path, "bounce policy", LOG);
            return false;
        }
    }

    /** Writes the state, counting the write or its failure. */
    static void save(final Path path, final Saved saved, final EnumCounters<BounceCounter> counters) throws IOException
    {
        try
        {
            write(path, saved);
            counters.counter(BounceCounter.STATE_FILES_WRITTEN).increment();
        }
        catch (final IOException ex)
        {
            counters.counter(BounceCounter.STATE_FILE_FAILURES).increment();
            throw ex;
        }
    }

    /**
     * @return what the file holds.
     * @throws IOException if it cannot be read or is corrupt.
     */
    static Saved read(final Path path) throws IOException
    {
        final DataInputStream in = AtomicFiles.readChecked(path, "bounce state file", 32, MAX_FILE_BYTES);
        if (in.readInt() != MAGIC || in.readInt() != VERSION)
        {
            throw new IOException("bounce state file " + path + " is not a bounce state file of version " + VERSION);
        }
        final long savedAtMillis = in.readLong();
        final List<SuppressedAddress> suppressions = new ArrayList<>();
        for (int i = count(in, path); i > 0; i--)
        {
            final String address = in.readUTF();
            final long expiry = in.readLong();
            if (!Addresses.isMailbox(address))
            {
                throw new IOException("bounce state file " + path + " lists '" + address + "', which is not a mailbox");
            }
            suppressions.add(new SuppressedAddress(address, expiry));
        }
        final List<SavedDedup> dedup = new ArrayList<>();
        for (int i = count(in, path); i > 0; i--)
        {
            dedup.add(new SavedDedup(in.readUTF(), nonNegative(in.readLong(), path)));
        }
        final List<SavedSlot> budget = new ArrayList<>();
        for (int i = count(in, path); i > 0; i--)
        {
            budget.add(new SavedSlot(nonNegative(in.readLong(), path), nonNegative(in.readLong(), path),
                nonNegative(in.readLong(), path)));
        }
        if (in.available() != 0)
        {
            throw new IOException("bounce state file " + path + " has " + in.available() + " bytes after its end");
        }
        return new Saved(savedAtMillis, suppressions, dedup, budget);
    }

    private static int count(final DataInputStream in, final Path path) throws IOException
    {
        final int count = in.readInt();
        if (count < 0 || count > in.available())
        {
            throw new IOException("bounce state file " + path + " has an impossible count " + count);
        }
        return count;
    }

    private static long nonNegative(final long value, final Path path) throws IOException
    {
        if (value < 0)
        {
            throw new IOException("bounce state file " + path + " has a negative duration or count " + value);
        }
        return value;
    }

    /** Writes the file atomically (see the class comment). */
    static void write(final Path path, final Saved saved) throws IOException
    {
        final ByteArrayOutputStream buffer = new ByteArrayOutputStream(
            64 + saved.suppressions().size() * 48 + saved.dedup().size() * 96 + saved.budget().size() * 24);
        final DataOutputStream out = new DataOutputStream(buffer);
        out.writeInt(MAGIC);
        out.writeInt(VERSION);
        out.writeLong(saved.savedAtMillis());
        out.writeInt(saved.suppressions().size());
        for (final SuppressedAddress address : saved.suppressions())
        {
            out.writeUTF(address.address());
            out.writeLong(address.expiresAtMillis());
        }
        out.writeInt(saved.dedup().size());
        for (final SavedDedup entry : saved.dedup())
        {
            out.writeUTF(entry.key());
            out.writeLong(entry.remainingMs());
        }
        out.writeInt(saved.budget().size());
        for (final SavedSlot slot : saved.budget())
        {
            out.writeLong(slot.ageMs());
            out.writeLong(slot.accepted());
            out.writeLong(slot.sent());
        }
        out.flush();
        AtomicFiles.replaceChecked(path, buffer.toByteArray());
    }
}
