package io.sluice.admission;

import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.BucketState;
import io.github.bucket4j.MathType;
import io.sluice.config.AtomicFiles;
import org.agrona.concurrent.status.AtomicCounter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file that carries admission's state across a restart: run-time blocks, per-key overrides, and every
 * bucket that was not full. A bucket is saved as the tokens it had and the wall-clock time of the save, not as
 * Bucket4j's own snapshot, because that holds monotonic-clock instants that mean nothing to the next process.
 *
 * <p>Layout (big-endian): magic {@code "SLAD"}, version, save time (epoch ms); block count, then per block its
 * CIDR text and expiry (epoch ms, {@link Long#MAX_VALUE} for none); override count, then per override kind,
 * traffic, key text, rate, burst; then per bucket a kind byte, traffic, key text and tokens, ended by the byte
 * {@value #END}; last, the CRC32C of everything before it. Anything that does not parse, or fails the CRC, is
 * corrupt as a whole.
 *
 * <p>Written atomically: to a temporary file beside it, forced to disk, renamed over the old one, and the
 * directory forced, so a crash leaves the old file or the new one, never a torn one.
 *
 * <p>Beside the codec, what turns admission's keys into the file and back ({@link #readOrSetAside},
 * {@link #offlineMillis}, {@link #bucketState}, {@link #saveBuckets}), so {@link Admission} holds policy only and
 * decides just what to restore.
 */
final class AdmissionStateFile
{
    private static final Logger LOG = LoggerFactory.getLogger(Admission.class);
    /** Offline time credited to restored buckets is capped: a year refills any bucket a limit allows. */
    private static final long MAX_OFFLINE_MS = 365L * 24 * 3600 * 1000;
    static final int MAGIC = 0x534C_4144;
    static final int VERSION = 1;
    private static final int END = 0xFF;
    /** Far above a million buckets with long domain keys; a bigger file is not ours. */
    private static final long MAX_FILE_BYTES = 1L << 30;

    /** Bucket state as saved. */
    record SavedBucket(KeyKind kind, Traffic traffic, String key, long tokens)
    {
    }

    /** A block as saved; {@code expiresAtMillis} is {@link Long#MAX_VALUE} for a permanent one. */
    record SavedBlock(String network, long expiresAtMillis)
    {
    }

    /** Everything read back from a state file. */
    record Saved(long savedAtMillis, List<SavedBlock> blocks, List<LimitOverride> overrides, List<SavedBucket> buckets)
    {
    }

    private AdmissionStateFile()
    {
    }

    /**
     * @return what the file holds.
     * @throws IOException if it cannot be read or is corrupt: the caller starts empty.
     */
    static Saved read(final Path path) throws IOException
    {
        final DataInputStream in = AtomicFiles.readChecked(path, "state file", 12, MAX_FILE_BYTES);
        if (in.readInt() != MAGIC || in.readInt() != VERSION)
        {
            throw new IOException("state file " + path + " is not an admission state file of version " + VERSION);
        }
        final long savedAtMillis = in.readLong();
        final int blockCount = count(in);
        final List<SavedBlock> blocks = new ArrayList<>(blockCount);
        for (int i = 0; i < blockCount; i++)
        {
            blocks.add(new SavedBlock(in.readUTF(), in.readLong()));
        }
        final int overrideCount = count(in);
        final List<LimitOverride> overrides = new ArrayList<>(overrideCount);
        for (int i = 0; i < overrideCount; i++)
        {
            final KeyKind kind = kind(in.readUnsignedByte());
            final Traffic traffic = traffic(in.readUnsignedByte());
            final String key = in.readUTF();
            final double rate = in.readDouble();
            final long burst = in.readLong();
            overrides.add(new LimitOverride(kind, traffic, key, limit(rate, burst)));
        }
        final List<SavedBucket> buckets = new ArrayList<>();
        for (int tag = in.readUnsignedByte(); tag != END; tag = in.readUnsignedByte())
        {
            buckets.add(new SavedBucket(kind(tag), traffic(in.readUnsignedByte()), in.readUTF(), in.readLong()));
        }
        if (in.available() != 0)
        {
            throw new IOException("state file " + path + " has " + in.available() + " bytes after its end");
        }
        return new Saved(savedAtMillis, blocks, overrides, buckets);
    }

    private static int count(final DataInputStream in) throws IOException
    {
        final int count = in.readInt();
        if (count < 0 || count > in.available())
        {
            throw new IOException("impossible entry count " + count);
        }
        return count;
    }

    private static KeyKind kind(final int ordinal) throws IOException
    {
        if (ordinal >= KeyKind.values().length)
        {
            throw new IOException("unknown key kind " + ordinal);
        }
        return KeyKind.values()[ordinal];
    }

    private static Traffic traffic(final int ordinal) throws IOException
    {
        if (ordinal >= Traffic.values().length)
        {
            throw new IOException("unknown traffic " + ordinal);
        }
        return Traffic.values()[ordinal];
    }

    private static Limit limit(final double rate, final long burst) throws IOException
    {
        try
        {
            return new Limit(rate, burst);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IOException("impossible limit: " + ex.getMessage(), ex);
        }
    }

    /**
     * @param path     the state file; null when none is configured.
     * @param failures counts a file that cannot be read.
     * @return what the file holds; null when there is none, or it is unreadable or corrupt: then it is logged,
     *         counted and moved aside to {@code <name>.corrupt}, and admission starts with empty buckets.
     */
    static Saved readOrSetAside(final Path path, final AtomicCounter failures)
    {
        if (path == null || !Files.exists(path))
        {
            return null;
        }
        try
        {
            return read(path);
        }
        catch (final IOException | RuntimeException ex)
        {
            failures.increment();
            LOG.warn("admission: state file {} is unreadable ({}); starting with empty buckets, file moved to {}",
                path, ex.toString(), path.resolveSibling(path.getFileName() + ".corrupt"));
            AtomicFiles.setAside(path, "admission", LOG);
            return null;
        }
    }

    /** @return how long the appliance was down since the save, capped at a year, never negative. */
    static long offlineMillis(final Saved saved, final long nowMillis)
    {
        return Math.min(MAX_OFFLINE_MS, Math.max(0, nowMillis - saved.savedAtMillis()));
    }

    /**
     * Recreates a saved bucket with the tokens it had, then lets Bucket4j refill it for the time the appliance
     * was down: a flooding source comes back as empty as it left, less what the rate would have given it since.
     *
     * @return the bucket's state now; null if it has refilled to full (a full bucket need not be kept).
     */
    static BucketState bucketState(
        final BucketConfiguration configuration, final long savedTokens, final long nowNs, final long offlineNs)
    {
        final long capacity = configuration.getBandwidths()[0].getCapacity();
        final long tokens = Math.max(0, Math.min(capacity, savedTokens));
        final BucketState state = BucketState.createInitialState(configuration, MathType.INTEGER_64_BITS, nowNs - offlineNs);
        state.consume(capacity - tokens);
        state.refillAllBandwidth(nowNs);
        return state.getAvailableTokens() >= capacity ? null : state;
    }

    /**
     * @param writer where the key's buckets are written; null to count them only.
     * @return how many of the key's buckets were not full (and were written, if there is a writer).
     */
    static int saveBuckets(final TrackedKey key, final long nowNs, final Writer writer) throws IOException
    {
        int saved = 0;
        for (final Traffic traffic : Traffic.values())
        {
            final long tokens = key.availableTokens(traffic, nowNs);
            if (tokens >= 0 && tokens < key.capacity(traffic))
            {
                if (writer != null && !key.isClassKey())
                {
                    // Class buckets are not saved: a class is re-earned from the reputation file, which is.
                    writer.bucket(key.kind, traffic, key.text(), tokens);
                }
                saved++;
            }
        }
        return saved;
    }

    /** Writes one state file: the header, then buckets one at a time, then {@link #commit()}. Not thread-safe. */
    static final class Writer implements AutoCloseable
    {
        private final Path path;
        private final Path temporary;
        private final FileChannel channel;
        private final BufferedOutputStream buffered;
        private final CRC32C crc = new CRC32C();
        private final DataOutputStream out;
        private int buckets;
        private boolean committed;

        Writer(final Path path, final long savedAtMillis, final List<Block> blocks, final List<LimitOverride> overrides)
            throws IOException
        {
            this.path = path;
            this.temporary = AtomicFiles.temporarySibling(path);
            this.channel = FileChannel.open(temporary,
                StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            this.buffered = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
            this.out = new DataOutputStream(new CheckedOutputStream(buffered, crc));
            try
            {
                header(savedAtMillis, blocks, overrides);
            }
            catch (final IOException | RuntimeException ex)
            {
                close();
                throw ex;
            }
        }

        private void header(final long savedAtMillis, final List<Block> blocks, final List<LimitOverride> overrides)
            throws IOException
        {
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeLong(savedAtMillis);
            out.writeInt(blocks.size());
            for (final Block block : blocks)
            {
                out.writeUTF(block.network().toString());
                out.writeLong(block.isPermanent() ? Long.MAX_VALUE : block.expiresAt().toEpochMilli());
            }
            out.writeInt(overrides.size());
            for (final LimitOverride override : overrides)
            {
                out.writeByte(override.kind().ordinal());
                out.writeByte(override.traffic().ordinal());
                out.writeUTF(override.key());
                out.writeDouble(override.limit().ratePerSecond());
                out.writeLong(override.limit().burst());
            }
        }

        void bucket(final KeyKind kind, final Traffic traffic, final String key, final long tokens) throws IOException
        {
            out.writeByte(kind.ordinal());
            out.writeByte(traffic.ordinal());
            out.writeUTF(key);
            out.writeLong(tokens);
            buckets++;
        }

        /** @return the buckets written, now durable under the final name. */
        int commit() throws IOException
        {
            out.writeByte(END);
            out.flush();
            new DataOutputStream(buffered).writeInt((int)crc.getValue());
            buffered.flush();
            channel.force(true);
            channel.close();
            AtomicFiles.moveIntoPlace(temporary, path);
            committed = true;
            return buckets;
        }

        @Override
        public void close() throws IOException
        {
            if (!committed)
            {
                channel.close();
                Files.deleteIfExists(temporary);
            }
        }
    }
}
